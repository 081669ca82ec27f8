/**
 * Ctrl-C for the CLI. One keypress can reach the process two or three times (the terminal
 * signals the whole process group, and `npx`/npm relays the same signal to its child), so
 * repeats within a short moment count as the same request: stop cleanly, say where. A Ctrl-C
 * pressed again after that moment means "leave now".
 */

/** Repeats of one keypress arrive within milliseconds; a person pressing again takes longer. */
export const REPEAT_WINDOW_MS = 1000;

export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface InterruptOptions {
  now(): number;
  /** Called on a second, deliberate interrupt: the process leaves at once. */
  leaveNow(): void;
  repeatWindowMs?: number;
}

export function interruptOnSignals(source: SignalSource, options: InterruptOptions): AbortSignal {
  const controller = new AbortController();
  const window = options.repeatWindowMs ?? REPEAT_WINDOW_MS;
  let firstAt: number | undefined;
  const onSignal = (): void => {
    const now = options.now();
    if (firstAt === undefined) {
      firstAt = now;
      controller.abort(new Error('interrupted by the operator'));
    } else if (now - firstAt > window) {
      options.leaveNow();
    }
  };
  source.on('SIGINT', onSignal);
  source.on('SIGTERM', onSignal);
  return controller.signal;
}

/** How long a command may take to stop by itself once interrupted (a scan finishing its fetch). */
export const INTERRUPT_GRACE_MS = 500;

/**
 * Settles with the command, unless the operator interrupts and it does not stop within the
 * grace time (e.g. while kafkajs retries a connection): then rejects at once, so the process
 * can leave within a second whatever the command is waiting for.
 */
export function untilInterrupted<T>(running: Promise<T>, signal: AbortSignal | undefined, graceMs = INTERRUPT_GRACE_MS): Promise<T> {
  if (!signal) return running;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(() => reject(new StillWaitingError()), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    running.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The command was still waiting (for a connection, an answer) when it was interrupted. */
export class StillWaitingError extends Error {
  constructor() {
    super('interrupted while waiting for the cluster to answer');
    this.name = 'StillWaitingError';
  }
}

export interface ScanStop {
  partition: number;
  nextOffset: string;
  endOffset: string;
  records?: number;
}

/** Where an interrupted scan stopped, from a SCAN_INTERRUPTED error's details. */
export function scanStopOf(details: Record<string, unknown>): ScanStop | undefined {
  const position = details['position'] as { partition?: unknown; nextOffset?: unknown; endOffset?: unknown } | undefined;
  if (!position || typeof position.partition !== 'number' || typeof position.nextOffset !== 'string' || typeof position.endOffset !== 'string') return undefined;
  const stats = details['stats'] as { records?: unknown } | undefined;
  return {
    partition: position.partition,
    nextOffset: position.nextOffset,
    endOffset: position.endOffset,
    ...(typeof stats?.records === 'number' ? { records: stats.records } : {}),
  };
}

/**
 * The lines an interrupted run ends with: where it stopped and how to go on, with the resume
 * option when the command has one.
 */
export function interruptedMessage(stop: ScanStop | undefined, resume: { option?: string; given?: string }, why?: string): string {
  const where = stop
    ? `interrupted: stopped at offset ${stop.nextOffset} of __consumer_offsets-${stop.partition} (log end ${stop.endOffset}${stop.records === undefined ? '' : `, ${stop.records} records read`}); nothing was written.`
    : `interrupted ${why ?? 'while waiting for the cluster to answer (connecting, or a request in flight)'}; nothing was written.`;
  let next: string;
  if (stop && resume.option && resume.given) next = `To resume from there, run the same command again with ${resume.option} ${resume.given}.`;
  else if (resume.option) next = `Run the same command again to start over (it is read-only); add ${resume.option} FILE to be able to resume an interrupted scan.`;
  else next = 'Run the same command again to start over (it is read-only).';
  return `${where}\n${next}`;
}
