import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { HANDLER_NAMES, RECOVERY_BUNDLING, handlerEntry } from '../../../lib/recovery-functions.ts';

// The one test that runs esbuild for real. It bundles one Kafka-facing handler with exactly the
// options RecoveryFunctions uses (all ten would cost a minute on a busy machine); the template
// tests skip bundling.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let outdir: string;
let isolated: string;
let assetDir: string;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'recovery-bundle-out-'));
  isolated = mkdtempSync(join(tmpdir(), 'recovery-bundle-run-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'BundleProbe');
  new NodejsFunction(stack, 'SeedOffsets', {
    entry: handlerEntry('seed-offsets'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    bundling: RECOVERY_BUNDLING,
  });
  const assembly = app.synth();
  const template = JSON.parse(readFileSync(assembly.getStackByName('BundleProbe').templateFullPath, 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const fn = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function')!;
  assetDir = join(assembly.directory, fn.Metadata!['aws:asset:path']!);
}, 180_000);
afterAll(() => {
  for (const dir of [outdir, isolated]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Lambda bundles (esbuild, no Docker)', () => {
  it('every handler the stack bundles exists', () => {
    for (const name of HANDLER_NAMES) expect(existsSync(handlerEntry(name)), name).toBe(true);
  });

  it('writes one ESM file with the createRequire banner and a source map', () => {
    const bundle = join(assetDir, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(statSync(bundle).size).toBeGreaterThan(100_000);
    expect(readFileSync(bundle, 'utf8').startsWith("import { createRequire as __recoveryCreateRequire } from 'node:module';")).toBe(true);
  });

  it('is self-contained: loads away from node_modules and validates its input', async () => {
    const target = join(isolated, 'index.mjs');
    copyFileSync(join(assetDir, 'index.mjs'), target);
    copyFileSync(join(assetDir, 'index.mjs.map'), `${target}.map`);
    const previousLevel = process.env['POWERTOOLS_LOG_LEVEL'];
    process.env['POWERTOOLS_LOG_LEVEL'] = 'SILENT';
    try {
      const module = (await import(pathToFileURL(target).href)) as { handler: (event: unknown) => Promise<unknown> };
      expect(typeof module.handler).toBe('function');
      await expect(module.handler({})).rejects.toMatchObject({ name: 'RecoveryError.INVALID_INPUT' });
    } finally {
      if (previousLevel === undefined) delete process.env['POWERTOOLS_LOG_LEVEL'];
      else process.env['POWERTOOLS_LOG_LEVEL'] = previousLevel;
    }
  });
});
