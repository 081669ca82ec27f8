/** The demo in a terminal: the narration on a stream (bold headings, colour when it is a TTY) and the approval question. */
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { ApprovalAnswer, ApprovalQuestion, DemoEvent, DemoReporter } from './events.ts';
import { narrate, type LineStyle } from './narrator.ts';
import { interrupted } from './wait.ts';

const ANSI: Record<LineStyle, [string, string]> = {
  heading: ['\x1b[1m', '\x1b[22m'],
  plain: ['', ''],
  evidence: ['\x1b[2m', '\x1b[22m'],
  good: ['\x1b[32m', '\x1b[39m'],
  bad: ['\x1b[31m', '\x1b[39m'],
};

export interface TerminalStreams {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  input: NodeJS.ReadableStream & { isTTY?: boolean };
}

export class TerminalReporter implements DemoReporter {
  private readonly colour: boolean;

  constructor(private readonly streams: TerminalStreams) {
    this.colour = streams.out.isTTY === true && process.env['NO_COLOR'] === undefined;
  }

  event(event: DemoEvent): void {
    for (const line of narrate(event)) {
      const [on, off] = this.colour ? ANSI[line.style] : ['', ''];
      this.streams.out.write(`${on}${line.text}${off}\n`);
    }
  }

  async confirm(question: ApprovalQuestion, signal: AbortSignal): Promise<ApprovalAnswer> {
    if (this.streams.input.isTTY !== true) {
      return { approved: false, by: 'demo', reason: 'no terminal to ask and no --yes' };
    }
    const rl = createInterface({ input: this.streams.input, output: this.streams.out });
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const onAbort = (): void => reject(interrupted());
        signal.addEventListener('abort', onAbort, { once: true });
        // readline takes Ctrl-C from a raw terminal itself; make it stop the demo as it does elsewhere.
        rl.once('SIGINT', () => process.kill(process.pid, 'SIGINT'));
        rl.question(`\nSeed the recovered offsets into '${question.targetGroup}' (plan ${question.planSha256.slice(0, 12)}...)? approve? [y/N] `, (answer) => {
          signal.removeEventListener('abort', onAbort);
          resolve(answer);
        });
      });
      const approved = /^\s*y(es)?\s*$/i.test(reply);
      return { approved, by: userInfo().username || 'operator', reason: approved ? 'approved at the terminal' : 'rejected at the terminal' };
    } finally {
      rl.close();
    }
  }
}
