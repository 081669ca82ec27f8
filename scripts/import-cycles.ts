/**
 * Finds import cycles among the repository's source files, type-only imports included: a type
 * that travels both ways between two modules means one of them holds a type it does not own.
 *
 *   npx tsx scripts/import-cycles.ts     prints every cycle; exits 1 when there is one
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree } from 'dpdm';

/** The folders whose code ships or runs the project (tests may import anything). */
export const SOURCE_GLOBS = ['lambdas', 'lib', 'local', 'bin', 'bench', 'scripts'].map((folder) => `${folder}/**/*.{ts,mjs,js}`);

/** Each cycle as the files on it, relative to `root`, in import order. */
export async function findImportCycles(root: string, globs: readonly string[] = SOURCE_GLOBS): Promise<string[][]> {
  const tree = await parseDependencyTree([...globs], {
    cwd: root,
    context: root,
    // dpdm's transform drops type-only imports; they count here.
    transform: false,
    skipDynamicImports: false,
  });
  return parseCircular(tree);
}

async function main(): Promise<void> {
  const root = resolve(fileURLToPath(import.meta.url), '..', '..');
  const cycles = await findImportCycles(root);
  for (const cycle of cycles) console.log(`cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  if (cycles.length > 0) process.exit(1);
  console.log('no import cycles');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
