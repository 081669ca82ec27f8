import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findImportCycles } from '../../../scripts/import-cycles.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

describe('import graph', () => {
  it('has no cycle in lambdas, lib, local, bin, bench or scripts, type-only imports counted', async () => {
    const cycles = await findImportCycles(ROOT);
    expect(cycles.map((cycle) => cycle.join(' -> '))).toEqual([]);
  }, 120_000); // parses every source file with the TypeScript compiler: seconds, more on a loaded machine

  describe('the check itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-cycles-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'src'));
    const write = (name: string, text: string): void => writeFileSync(join(dir, 'src', name), text);
    write('batch.ts', "import type { Entry } from './entries.ts';\nexport interface Batch { first: Entry }\n");
    write('entries.ts', "import type { Batch } from './batch.ts';\nexport type Entry = Batch | { kind: 'corrupt' };\n");
    write('a.ts', "import { b } from './b.ts';\nexport const a = (): number => b() + 1;\n");
    write('b.ts', "export { c as b } from './c.ts';\n");
    write('c.ts', "import { a } from './a.ts';\nexport const c = (): number => (typeof a === 'function' ? 1 : 0);\n");
    write('leaf.ts', "import type { Batch } from './batch.ts';\nexport type Leaf = Batch;\n");

    it('finds a loop through type-only imports and one through a re-export, and nothing else', async () => {
      const cycles = await findImportCycles(dir, ['src/**/*.ts']);
      const asSets = cycles.map((cycle) => [...cycle].sort());
      expect(asSets).toHaveLength(2);
      expect(asSets).toContainEqual(['src/batch.ts', 'src/entries.ts']);
      expect(asSets).toContainEqual(['src/a.ts', 'src/b.ts', 'src/c.ts']);
    });
  });
});
