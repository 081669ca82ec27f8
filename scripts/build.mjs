#!/usr/bin/env node
// Builds what the package ships: the CLI and the library as JavaScript (esbuild) and the
// library's type declarations (tsc). Plain JavaScript so that it runs before anything is built
// (npm's `prepare` on a fresh clone, `prepack` before a tarball). Usage:
//   node scripts/build.mjs            JavaScript and declarations
//   node scripts/build.mjs --js-only  JavaScript only (what the tests' global setup runs)
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(root, 'dist');

/**
 * Output name -> source. The library entries are the package's `exports`; `cli` is its `bin`.
 * A new public subpath is one line here plus its `exports` entry in package.json.
 */
export const ENTRIES = {
  cli: 'bin/cli.ts',
  index: 'lambdas/core/index.ts',
  kafka: 'lambdas/kafka/index.ts',
};

export async function buildJavaScript() {
  // esbuild is a devDependency: present wherever a build runs (a clone after npm ci, npm pack).
  const { build } = await import('esbuild');
  rmSync(join(OUT_DIR, 'js'), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name, join(root, source)])),
    outdir: join(OUT_DIR, 'js'),
    bundle: true,
    // Shared modules become chunks, so `--help` loads the command layer and nothing of Kafka.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Dependencies stay packages the installer resolves (kafkajs, the MSK IAM signer), not copies.
    packages: 'external',
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  });
  // npm makes `bin` targets executable on install; this does it for a checkout's own dist.
  chmodSync(join(OUT_DIR, 'js', 'cli.js'), 0o755);
}

export function buildDeclarations() {
  rmSync(join(OUT_DIR, 'types'), { recursive: true, force: true });
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  // The sources import each other as `./x.ts`; a declaration file must name `./x.js` so that
  // an installing project resolves it without allowImportingTsExtensions.
  for (const file of declarationFiles(join(OUT_DIR, 'types'))) {
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1$2.js$3');
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? declarationFiles(join(dir, entry.name)) : entry.name.endsWith('.d.ts') ? [join(dir, entry.name)] : [],
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildJavaScript();
  if (!process.argv.includes('--js-only')) {
    buildDeclarations();
    process.stderr.write(`build: dist/ in ${Date.now() - started} ms\n`);
  }
}
