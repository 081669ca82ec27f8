import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { RECOVERY_BUNDLING } from '../../../lib/recovery-functions.ts';
import { encodeRecordBatch } from '../../../lambdas/core/record-batch/index.ts';
import type { decodeRecordBatches as DecodeFn } from '../../../lambdas/core/record-batch/index.ts';
import { zstdCompressor } from '../../support/zstd.ts';

// The decoder and its codec packages, bundled the way the Lambdas are (one ESM file, the same
// target, banner and main fields), then loaded away from node_modules: a codec package that
// needs a native addon, a .wasm file beside it or a download would fail here.
const ENTRY = fileURLToPath(new URL('../../../lambdas/core/record-batch/index.ts', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'recovery-codec-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the record-batch codecs in a Lambda-style bundle', () => {
  it('decodes snappy, lz4 and zstd batches with nothing but the bundle', async () => {
    const outfile = join(outdir, 'codecs.mjs');
    await build({
      entryPoints: [ENTRY],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: RECOVERY_BUNDLING.target!,
      mainFields: RECOVERY_BUNDLING.mainFields!,
      banner: { js: RECOVERY_BUNDLING.banner! },
      minify: true,
      logLevel: 'silent',
    });
    const bundled = (await import(pathToFileURL(outfile).href)) as { decodeRecordBatches: typeof DecodeFn };
    const zstd = await zstdCompressor();
    const records = Array.from({ length: 10 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i}`.repeat(30)), timestamp: 1_700_000_000_000n, offsetDelta: i }));
    for (const compression of ['snappy', 'lz4', 'zstd'] as const) {
      const frame = encodeRecordBatch({ baseOffset: 5n, records, compression, ...(compression === 'zstd' ? { compress: zstd } : {}) });
      const [entry] = bundled.decodeRecordBatches(frame).batches;
      expect(entry?.kind, compression).toBe('records');
      if (entry?.kind === 'records') expect(entry.records().map((r) => r.value?.toString())).toEqual(records.map((r) => r.value.toString()));
    }
  }, 60_000);
});
