import { describe, expect, it } from 'vitest';
import { LAMBDA_TIMEOUT_ERROR, LambdaTaskError, invokeLikeLambda } from '../../../../local/stepfunctions/lambda-runtime.ts';

const after = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

async function failure(promise: Promise<unknown>): Promise<LambdaTaskError> {
  try {
    await promise;
  } catch (error) {
    return error as LambdaTaskError;
  }
  throw new Error('the invocation succeeded');
}

describe('invokeLikeLambda: the function timeout, as Lambda enforces it', () => {
  it('fails an invocation still running at the timeout with Sandbox.Timedout and the Lambda message', async () => {
    const started = Date.now();
    const error = await failure(invokeLikeLambda(() => after(2_000, 'too late'), {}, 0.2));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(LambdaTaskError);
    expect(error.name).toBe(LAMBDA_TIMEOUT_ERROR);
    expect(JSON.parse(error.message)).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.20 seconds' });
  });

  it('returns what a function that ends in time returns, through JSON', async () => {
    await expect(invokeLikeLambda(() => after(20, { n: 1, gone: undefined }), {}, 2)).resolves.toEqual({ n: 1 });
  });

  it("keeps the handler's own error when it fails before the timeout", async () => {
    const error = await failure(
      invokeLikeLambda(async () => {
        const thrown = new Error('no such group');
        thrown.name = 'RecoveryError.NOT_FOUND';
        throw thrown;
      }, {}, 2),
    );
    expect(error.name).toBe('RecoveryError.NOT_FOUND');
    expect(JSON.parse(error.message)).toMatchObject({ errorType: 'RecoveryError.NOT_FOUND', errorMessage: 'no such group' });
  });
});
