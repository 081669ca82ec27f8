/**
 * Asking a person before a write. A write needs a "y" typed on a terminal or --yes; with
 * neither (a pipe, a cron job, CI) the answer is no, so nothing is ever written by default.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { CommandContext } from './command.ts';

export type Consent = { approved: true; how: 'yes-flag' | 'terminal' } | { approved: false; why: string };

export function canAsk(context: CommandContext): boolean {
  return context.io.interactive && (context.io.stdin as Readable & { isTTY?: boolean }).isTTY === true;
}

async function readLine(stdin: Readable): Promise<string> {
  const lines = createInterface({ input: stdin, terminal: false });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}

/** `question` is shown as "<question> [y/N] " on stderr; only y or yes approves. */
export async function askConsent(context: CommandContext, question: string, yesFlag: boolean): Promise<Consent> {
  if (yesFlag) return { approved: true, how: 'yes-flag' };
  if (!canAsk(context)) return { approved: false, why: 'there is no terminal to ask on and --yes was not given' };
  context.io.stderr.write(`${question} [y/N] `);
  const answer = (await readLine(context.io.stdin)).trim().toLowerCase();
  if (answer === 'y' || answer === 'yes') return { approved: true, how: 'terminal' };
  return { approved: false, why: answer === '' ? 'no answer (the default is no)' : `the answer was "${answer}"` };
}
