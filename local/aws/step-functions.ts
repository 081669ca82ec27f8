/**
 * Step Functions task-token stand-in (awsJson1_0, target AWSStepFunctions): SendTaskSuccess,
 * SendTaskFailure and SendTaskHeartbeat for tasks a local runner registered as waiting. The
 * runner awaits `waitForTask(token)`; the approval endpoint (or a test, or the CLI through the
 * SDK) answers it over HTTP exactly as it would answer AWS. Errors follow the service: a token
 * never issued is InvalidToken, an answered one TaskDoesNotExist, an expired one TaskTimedOut.
 */
import { awsJsonHandler, optionalString, requiredString } from './aws-json.ts';
import { ServiceError, type StandinHandler } from './http-service.ts';

export type TaskOutcome = { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: string; cause: string };

interface WaitingTask {
  state: 'WAITING' | 'ANSWERED' | 'TIMED_OUT';
  settle: (outcome: TaskOutcome) => void;
  heartbeats: number;
}

/** What the service accepts as task output (256 KiB of JSON). */
const MAX_OUTPUT_BYTES = 256 * 1024;

export class StepFunctionsStandin {
  readonly handler: StandinHandler;
  private readonly tasks = new Map<string, WaitingTask>();
  /** Every answer in arrival order, for tests and the demo. */
  readonly answers: Array<{ taskToken: string } & TaskOutcome> = [];

  constructor() {
    this.handler = awsJsonHandler({
      targetPrefix: 'AWSStepFunctions',
      version: '1.0',
      operations: {
        SendTaskSuccess: (input) => {
          const token = requiredString(input, 'taskToken', 'InvalidToken');
          const outputText = requiredString(input, 'output', 'InvalidOutput');
          if (Buffer.byteLength(outputText) > MAX_OUTPUT_BYTES) throw new ServiceError('InvalidOutput', 400, `output is larger than ${MAX_OUTPUT_BYTES} bytes`);
          let output: unknown;
          try {
            output = JSON.parse(outputText);
          } catch {
            throw new ServiceError('InvalidOutput', 400, 'Invalid State Machine Output: output is not valid JSON');
          }
          this.answer(token, { status: 'SUCCEEDED', output });
          return {};
        },
        SendTaskFailure: (input) => {
          const token = requiredString(input, 'taskToken', 'InvalidToken');
          this.answer(token, { status: 'FAILED', error: optionalString(input, 'error') ?? '', cause: optionalString(input, 'cause') ?? '' });
          return {};
        },
        SendTaskHeartbeat: (input) => {
          this.open(requiredString(input, 'taskToken', 'InvalidToken')).heartbeats += 1;
          return {};
        },
      },
    });
  }

  /**
   * Registers a task waiting for its token and resolves with the first answer. `timeoutMs`
   * ends the wait with States.Timeout, as the state's TimeoutSeconds does.
   */
  waitForTask(taskToken: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TaskOutcome> {
    if (this.tasks.has(taskToken)) throw new Error(`task token ${taskToken} is already registered`);
    return new Promise<TaskOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const task: WaitingTask = {
        state: 'WAITING',
        heartbeats: 0,
        settle: (outcome) => {
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      const expire = (cause: string): void => {
        if (task.state !== 'WAITING') return;
        task.state = 'TIMED_OUT';
        task.settle({ status: 'FAILED', error: 'States.Timeout', cause });
      };
      const onAbort = (): void => expire('the local run was stopped');
      this.tasks.set(taskToken, task);
      if (options.timeoutMs !== undefined) timer = setTimeout(() => expire(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Tokens still waiting for an answer. */
  waitingTokens(): string[] {
    return [...this.tasks.entries()].filter(([, task]) => task.state === 'WAITING').map(([token]) => token);
  }

  private open(taskToken: string): WaitingTask {
    const task = this.tasks.get(taskToken);
    if (!task) throw new ServiceError('InvalidToken', 400, 'Invalid Token: the task token was not issued by this state machine service');
    if (task.state === 'TIMED_OUT') throw new ServiceError('TaskTimedOut', 400, 'Task Timed Out');
    if (task.state === 'ANSWERED') throw new ServiceError('TaskDoesNotExist', 400, 'Task does not exist anymore');
    return task;
  }

  private answer(taskToken: string, outcome: TaskOutcome): void {
    const task = this.open(taskToken);
    task.state = 'ANSWERED';
    this.answers.push({ taskToken, ...outcome });
    task.settle(outcome);
  }
}
