import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { killChildren, PYTHON, runProcess } from './helpers.ts';

const script = fileURLToPath(new URL('./kafka_python_client.py', import.meta.url));

describe('kafka-python against the local cluster', () => {
  let local: LocalCluster;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: 6, transactionPartitions: 2, coordinator: false });
    local.cluster.createTopic('py-events', { partitions: 2 });
  });

  afterAll(async () => {
    killChildren();
    await local?.stop();
  });

  it('produces with acks=all and consumes without a group', async () => {
    const result = await runProcess(PYTHON, [script, local.bootstrapServers.join(','), 'py-events', '5'], { timeoutMs: 40_000 });
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      sent: number[];
      received: Array<{ offset: number; key: string; value: string }>;
      end: number;
      api_version: number[];
    };
    expect(out.sent).toEqual([0, 1, 2, 3, 4]);
    expect(out.received).toEqual([0, 1, 2, 3, 4].map((i) => ({ offset: i, key: `key-${i}`, value: `value-${i}` })));
    expect(out.end).toBe(5);
    // kafka-python infers the broker version from ApiVersions: ours must look modern enough
    expect(out.api_version[0]).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
