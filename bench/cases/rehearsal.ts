/**
 * `rehearsal`: the big rehearsal of issue 10 as an operator runs it, `npm run demo -- --yes --json
 * --groups 2000 --commits 5000000 --lambda-timeout 20`, in a child process; prints its JSON
 * summary and the wall time. No floors: the summary says whether the run recovered every group.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchCase, BenchOutcome } from '../types.ts';

const DEMO = fileURLToPath(new URL('../../local/demo/run.ts', import.meta.url));
const ARGS = ['--yes', '--json', '--groups', '2000', '--commits', '5000000', '--lambda-timeout', '20'];

async function run(): Promise<BenchOutcome> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', DEMO, ...ARGS], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallS = (performance.now() - started) / 1000;
  console.log(`npm run demo -- ${ARGS.join(' ')}: exit ${code}, ${wallS.toFixed(1)} s wall`);
  console.log(stdout.trim() || `(no summary) ${stderrTail}`);
  return { floors: [] };
}

export const rehearsalCases: BenchCase[] = [
  { name: 'rehearsal', description: 'the big rehearsal: 2,000 groups, 5,000,000 commits, every Lambda stopped at 20 s (npm run demo -- --yes --json ...)', run },
];
