import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_NAMES } from '../../../lib/recovery-functions.ts';
import { resourcesOfType, synthesize, type Synthesized } from '../helpers.ts';

// The one synthesis that runs esbuild for real (ten bundles): everything else skips bundling.
let synth: Synthesized;
let isolated: string;
beforeAll(() => {
  synth = synthesize({ bundle: true, context: { 'aws:cdk:enable-asset-metadata': true } });
  isolated = mkdtempSync(join(tmpdir(), 'recovery-bundle-'));
}, 240_000);
afterAll(() => {
  synth?.dispose();
  if (isolated) rmSync(isolated, { recursive: true, force: true });
});

function assetDirOf(step: string): string {
  for (const [id, resource] of Object.entries(synth.json.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = ((resource.Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables);
    if (variables['RECOVERY_STEP'] !== step) continue;
    const assetPath = (resource as { Metadata?: Record<string, string> }).Metadata?.['aws:asset:path'];
    if (!assetPath) throw new Error(`${id} has no asset`);
    return join(synth.assemblyDir, assetPath);
  }
  throw new Error(`no function for ${step}`);
}

describe('Lambda bundles (esbuild, no Docker)', () => {
  it('writes an ESM bundle with a source map for every handler', () => {
    expect(resourcesOfType(synth.json, 'AWS::Lambda::Function')).toHaveLength(HANDLER_NAMES.length);
    for (const step of HANDLER_NAMES) {
      const dir = assetDirOf(step);
      expect(existsSync(join(dir, 'index.mjs')), `${step} bundle`).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), `${step} source map`).toBe(true);
      expect(statSync(join(dir, 'index.mjs')).size).toBeGreaterThan(10_000);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8').startsWith("import { createRequire as __recoveryCreateRequire } from 'node:module';")).toBe(true);
    }
  });

  it('produces a self-contained bundle that loads outside the repository and validates its input', async () => {
    // Copied away from node_modules: the bundle must carry kafkajs and the AWS SDK itself.
    const target = join(isolated, 'index.mjs');
    copyFileSync(join(assetDirOf('seed-offsets'), 'index.mjs'), target);
    copyFileSync(join(assetDirOf('seed-offsets'), 'index.mjs.map'), `${target}.map`);
    const module = (await import(pathToFileURL(target).href)) as { handler: (event: unknown) => Promise<unknown> };
    expect(typeof module.handler).toBe('function');
    await expect(module.handler({})).rejects.toMatchObject({ name: 'RecoveryError.INVALID_INPUT' });
  });
});
