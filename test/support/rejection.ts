import type { RecoveryError } from '../../lambdas/core/errors.ts';

/** The error a call fails with, for assertions on its code and details; a call that succeeds fails the test. */
export async function failure(promise: Promise<unknown>): Promise<RecoveryError> {
  try {
    await promise;
  } catch (error) {
    return error as RecoveryError;
  }
  throw new Error('expected the call to fail');
}
