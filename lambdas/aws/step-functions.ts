import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { RecoveryError } from '../core/errors.ts';
import { awsError, awsErrorName } from './errors.ts';

function taskTokenError(error: unknown, action: string): RecoveryError {
  switch (awsErrorName(error)) {
    case 'TaskTimedOut':
      return new RecoveryError('NOT_FOUND', 'The approval already timed out: the execution has ended and nothing was written. Start a new execution.', { cause: error });
    case 'TaskDoesNotExist':
      return new RecoveryError('NOT_FOUND', 'The approval task no longer exists: the execution was already approved, rejected or stopped.', { cause: error });
    case 'InvalidToken':
      return new RecoveryError('INVALID_INPUT', 'taskToken: Step Functions does not recognise this task token. Copy it again from the approval message.', {
        details: { field: 'taskToken' },
        cause: error,
      });
    case 'InvalidOutput':
      return new RecoveryError('INVALID_INPUT', 'taskOutput: not valid JSON for Step Functions. Send a JSON object.', { details: { field: 'taskOutput' }, cause: error });
    default:
      return awsError(error, action);
  }
}

export async function sendTaskSuccess(sfn: SFNClient, taskToken: string, output: unknown): Promise<void> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  } catch (error) {
    throw taskTokenError(error, 'states:SendTaskSuccess');
  }
}

/** Error names are capped at 256 characters and causes at 32768 by the API. */
export async function sendTaskFailure(sfn: SFNClient, taskToken: string, errorName: string, cause: string): Promise<void> {
  try {
    await sfn.send(new SendTaskFailureCommand({ taskToken, error: errorName.slice(0, 256), cause: cause.slice(0, 32_768) }));
  } catch (error) {
    throw taskTokenError(error, 'states:SendTaskFailure');
  }
}
