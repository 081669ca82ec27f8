#!/usr/bin/env node
// Builds what the package ships: the CLI and the library as JavaScript (esbuild) and the
// library's type declarations (tsc). Plain JavaScript so that it runs before anything is built
// (npm's `prepare` on a fresh clone, `prepack` before a tarball). Usage:
//   node scripts/build.mjs            JavaScript and declarations
//   node scripts/build.mjs --js-only  JavaScript only (what the tests' global setup runs)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(root, 'dist');

/**
 * What to build, read from package.json so that a new public subpath is one `exports` entry:
 * `{ "types": "./dist/types/<source>.d.ts", "default": "./dist/js/<name>.js" }` builds
 * <source>.ts into dist/js/<name>.js with its declarations; the `bin` is built from bin/cli.ts.
 */
export function entries() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const library = Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === 'object')
    .map(([subpath, target]) => {
      const types = /^\.\/dist\/types\/(.+)\.d\.ts$/.exec(target.types ?? '');
      const output = /^\.\/dist\/js\/([\w-]+)\.js$/.exec(target.default ?? '');
      if (!types || !output) throw new Error(`package.json exports["${subpath}"] must be { "types": "./dist/types/<source>.d.ts", "default": "./dist/js/<name>.js" }`);
      return { name: output[1], source: `${types[1]}.ts` };
    });
  return [{ name: 'cli', source: 'bin/cli.ts' }, ...library];
}

export function runtimeDependencies() {
  return Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {});
}

export async function buildJavaScript() {
  // esbuild is a devDependency: present wherever a build runs (a clone after npm ci, npm pack).
  const { build } = await import('esbuild');
  rmSync(join(OUT_DIR, 'js'), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(entries().map(({ name, source }) => [name, join(root, source)])),
    outdir: join(OUT_DIR, 'js'),
    bundle: true,
    // Shared modules become chunks, so `--help` loads the command layer and nothing of Kafka.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Runtime dependencies stay packages the installer resolves (kafkajs, the MSK IAM signer, the
    // codecs). Anything else the code imports is bundled: the AWS SDK clients that `diagnose
    // --cluster-arn` loads on demand ride in a lazily loaded chunk, so they stay devDependencies.
    external: runtimeDependencies().flatMap((name) => [name, `${name}/*`]),
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  });
  // npm makes `bin` targets executable on install; this does it for a checkout's own dist.
  chmodSync(join(OUT_DIR, 'js', 'cli.js'), 0o755);
}

export function buildDeclarations() {
  rmSync(join(OUT_DIR, 'types'), { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  // The project's compiler options, for the library entries only (the CLI ships no types).
  const config = join(OUT_DIR, 'tsconfig.types.json');
  const library = entries().filter(({ name }) => name !== 'cli');
  writeFileSync(
    config,
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: '..', outDir: 'types' },
      // Ambient declarations for untyped packages (codec-packages.d.ts, kafkajs-src.d.ts) come along.
      include: ['../lambdas/**/*.d.ts'],
      files: library.map(({ source }) => `../${source}`),
    }),
  );
  try {
    execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit', cwd: root });
  } finally {
    rmSync(config, { force: true });
  }
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
