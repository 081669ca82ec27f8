import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * The path of a fresh directory under the OS's temporary directory that exists from before the
 * enclosing suite's (or file's) first test until after its last, then is removed with everything
 * in it. Call it where the suite is declared. The path is known at once, but nothing is created
 * until the suite runs, so listing the tests (`vitest list`) leaves nothing behind.
 */
export function tempDirForSuite(prefix: string): string {
  const dir = join(tmpdir(), `${prefix}${randomBytes(6).toString('hex')}`);
  // Not recursive: an existing directory of that name fails the suite rather than being shared.
  beforeAll(() => mkdirSync(dir, { mode: 0o700 }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
