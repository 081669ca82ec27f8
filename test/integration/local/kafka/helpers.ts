import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { FrameDecoder } from '../../../../local/kafka/protocol/frame.ts';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes, for binary output (kcat dumps of record keys and values) */
  stdoutBytes: Buffer;
  stderr: string;
  timedOut: boolean;
}

export interface WatchedProcess {
  stdout(): Buffer;
  stderr(): string;
  /** Resolves when `predicate` holds on the output so far; rejects after `timeoutMs` or on exit without it. */
  until(predicate: (stdout: string, stderr: string) => boolean, timeoutMs: number): Promise<void>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

/** Every child a test started and that still runs: killChildren() ends them whatever the test did. */
const running = new Set<ChildProcess>();

/** Starts a real client whose output is watched while it runs (a stuck consumer never exits on its own). */
export function watchProcess(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): WatchedProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
  running.add(child);
  const out: Buffer[] = [];
  let err = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  child.stdout!.on('data', (d: Buffer) => {
    out.push(d);
    notify();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const ended = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exit !== undefined) return;
      exit = { code, signal };
      running.delete(child);
      notify();
      resolve(exit);
    };
    // 'close', not 'exit': only then has all of the output been read.
    child.on('close', ended);
    child.on('error', (error) => {
      err += `${command} failed to start: ${error.message}`;
      ended(null, null);
    });
  });
  child.stdin!.end(options.input ?? '');
  return {
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    until(predicate, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate(Buffer.concat(out).toString(), err)) finish(resolve);
          else if (exit !== undefined) finish(() => reject(new Error(`${command} exited (${exit!.code}) before the condition held; stderr tail: ${err.slice(-2000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`condition not met within ${timeoutMs} ms; stderr tail: ${err.slice(-2000)}`))), timeoutMs);
        const finish = (then: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
    exited: () => exited,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

/** Runs a real client to its end with a hard timeout; the process is killed when it overstays. */
export async function runProcess(command: string, args: string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  const child = watchProcess(command, args, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill();
  }, options.timeoutMs ?? 20_000);
  const { code, signal } = await child.exited();
  clearTimeout(timer);
  const stdoutBytes = child.stdout();
  return { code, signal, stdout: stdoutBytes.toString(), stdoutBytes, stderr: child.stderr(), timedOut };
}

/** Kills every child still running (afterAll/afterEach). */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** A raw client socket that collects response frames, for tests below the client libraries. */
export class RawClient {
  readonly socket: Socket;
  private readonly decoder = new FrameDecoder();
  readonly frames: Buffer[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      this.frames.push(...this.decoder.push(chunk));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `predicate` holds (checked on every frame and on close) or the timeout passes. */
  async until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('condition not met before the timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export const PYTHON = '/usr/bin/python3';
