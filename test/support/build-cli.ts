/**
 * Vitest global setup: builds the shipped JavaScript (dist/js, as `npm run build` does minus the
 * declarations) before any test runs, so the tests that start the installed bin run today's code.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BUILT_CLI = fileURLToPath(new URL('../../dist/js/cli.js', import.meta.url));

export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));
  execFileSync(process.execPath, [script, '--js-only'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
