/**
 * The README's "Use it as a library" example, run as written (imports by package name, through
 * package.json exports, i.e. the built dist/js) in its own plain Node process against the local cluster.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { consumeAll, createTopic, produce, realClient, startCluster } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GROUP = 'library-reader';

function librarySection(): string {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n## Use it as a library\n');
  expect(start, 'README has a "Use it as a library" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const block = /\n```\n([\s\S]*?)\n```\n/.exec(section);
  expect(block, 'the section has a code block').not.toBeNull();
  return block![1]!;
}

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startCluster();
  const kafka = realClient(cluster, 'readme-library-it');
  await createTopic(kafka, 'books', 2);
  await produce(kafka, 'books', 2, 4);
  const consumer = await consumeAll(kafka, GROUP, 'books', 8);
  await consumer.disconnect();
});

afterAll(async () => {
  await cluster?.stop();
});

it('runs the example as written: package-name imports, every call answering', async () => {
  const code = librarySection();
  // The cwd is the package root, so Node resolves the package's own name through its exports.
  const result = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    // Plain node, no tsx: the package's exports are the built JavaScript (dist/, built by the global setup).
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BOOTSTRAP: cluster.bootstrapServers.join(','), GROUP },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, out, err }));
  });
  expect(result.code, result.err).toBe(0);
  const printed = JSON.parse(result.out) as { where: { groupId: string }; groups: string[]; offsets: Record<string, Record<string, { offset: string }>>; complete: boolean };
  expect(printed.where.groupId).toBe(GROUP);
  expect(printed.groups).toContain(GROUP);
  expect(printed.offsets['books']?.['0']?.offset).toBe('4');
  expect(printed.offsets['books']?.['1']?.offset).toBe('4');
  expect(printed.complete).toBe(true);
});
