/**
 * What an installing project gets: package.json points its `bin` and every `exports` entry at
 * the build (dist/, rebuilt by the global setup), each built entry exports what its source does,
 * and the heavy packages only the CDK app and the Lambdas use are not runtime dependencies.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  types: string;
  files: string[];
  dependencies: Record<string, string>;
};

const libraryExports = Object.entries(manifest.exports).filter((entry): entry is [string, { types: string; default: string }] => typeof entry[1] === 'object');

describe('package.json', () => {
  it('has the bin and every export in dist/, and ships only dist/', () => {
    expect(manifest.files).toEqual(['dist/']);
    expect(manifest.bin['coordinator-recovery']).toBe('dist/js/cli.js');
    expect(readFileSync(`${root}${manifest.bin['coordinator-recovery']}`, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(manifest.types).toBe((manifest.exports['.'] as { types: string }).types);
    expect(libraryExports.length).toBeGreaterThan(0);
    for (const [subpath, target] of libraryExports) {
      expect(target.default, subpath).toMatch(/^\.\/dist\/js\/[\w-]+\.js$/);
      expect(target.types, subpath).toMatch(/^\.\/dist\/types\/.+\.d\.ts$/);
      expect(existsSync(`${root}${target.default}`), `${subpath}: ${target.default}`).toBe(true);
    }
  });

  it.each(libraryExports)('%s: the built module exports what its source exports', async (_subpath, target) => {
    const source = target.types.replace(/^\.\/dist\/types\//, '').replace(/\.d\.ts$/, '.ts');
    const fromSource = await import(pathToFileURL(`${root}${source}`).href);
    const built = await import(pathToFileURL(`${root}${target.default}`).href);
    expect(Object.keys(built).sort()).toEqual(Object.keys(fromSource).sort());
  });

  it('resolves the package\'s own name to the sources inside this repository (tsconfig paths mirror exports)', () => {
    const tsconfig = JSON.parse(readFileSync(`${root}tsconfig.json`, 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    const expected = Object.fromEntries(
      libraryExports.map(([subpath, target]) => [subpath === '.' ? 'coordinator-recovery' : `coordinator-recovery/${subpath.slice(2)}`, [target.types.replace(/^\.\/dist\/types\//, './').replace(/\.d\.ts$/, '.ts')]]),
    );
    expect(tsconfig.compilerOptions.paths).toEqual(expected);
  });

  it('the built files import only node built-ins and the runtime dependencies', () => {
    const dir = `${root}dist/js`;
    const files = [...readdirSync(dir).map((name) => `${dir}/${name}`), ...readdirSync(`${dir}/chunks`).map((name) => `${dir}/chunks/${name}`)].filter((file) => file.endsWith('.js'));
    const imported = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)"([\w@][\w@./:-]*)"/g)) imported.add(match[1]!);
    }
    const allowed = (specifier: string) =>
      specifier.startsWith('node:') || Object.keys(manifest.dependencies).some((name) => specifier === name || specifier.startsWith(`${name}/`));
    expect([...imported].filter((specifier) => !allowed(specifier))).toEqual([]);
    expect([...imported].some((specifier) => specifier.startsWith('kafkajs'))).toBe(true);
  });

  it('needs neither CDK, nor the Lambdas\' AWS SDK clients, nor tsx at run time', () => {
    const runtime = Object.keys(manifest.dependencies);
    for (const heavy of ['aws-cdk-lib', 'constructs', 'tsx', '@aws-lambda-powertools/logger']) expect(runtime).not.toContain(heavy);
    expect(runtime.filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
  });
});
