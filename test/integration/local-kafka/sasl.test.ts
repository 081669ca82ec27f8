import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../../local/kafka/index.ts';
import { killChildren, PYTHON, runProcess } from './helpers.ts';

const pythonScript = fileURLToPath(new URL('./kafka_python_sasl.py', import.meta.url));

describe('SASL with librdkafka and kafka-python', () => {
  let local: LocalCluster;
  let bootstrap: string;

  beforeAll(async () => {
    local = await startLocalCluster({
      brokers: 1,
      offsetsPartitions: 2,
      transactionPartitions: 1,
      coordinator: false,
      sasl: { plain: { alice: 'alice-secret' }, scramSha512: { bob: 'bob-secret' } },
    });
    bootstrap = local.bootstrapServers.join(',');
    local.cluster.createTopic('secured', { partitions: 1 });
  });
  afterAll(async () => {
    killChildren();
    await local?.stop();
  });

  const kcat = (mechanism: string, user: string, password: string) =>
    runProcess('kcat', ['-b', bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanism=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, '-L', '-m', '3'], {
      timeoutMs: 20_000,
    });

  it('kcat authenticates with PLAIN and SCRAM-SHA-512 and is refused with a wrong password', async () => {
    expect((await kcat('PLAIN', 'alice', 'alice-secret')).stdout).toContain('topic "secured"');
    expect((await kcat('SCRAM-SHA-512', 'bob', 'bob-secret')).stdout).toContain('topic "secured"');
    const refused = await kcat('SCRAM-SHA-512', 'bob', 'wrong');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/invalid credentials with SASL mechanism SCRAM-SHA-512/);
  });

  it('kafka-python produces over PLAIN and SCRAM-SHA-512', async () => {
    const plain = await runProcess(PYTHON, [pythonScript, bootstrap, 'PLAIN', 'alice', 'alice-secret', 'secured'], { timeoutMs: 30_000 });
    expect(plain.stderr).not.toMatch(/Traceback/);
    const scram = await runProcess(PYTHON, [pythonScript, bootstrap, 'SCRAM-SHA-512', 'bob', 'bob-secret', 'secured'], { timeoutMs: 30_000 });
    expect(scram.stderr).not.toMatch(/Traceback/);
    expect([plain.stdout.trim(), scram.stdout.trim()].sort()).toEqual(['0', '1']);
  }, 60_000);

  it('closes connections that skip authentication', async () => {
    const result = await runProcess('kcat', ['-b', bootstrap, '-L', '-m', '2'], { timeoutMs: 20_000 });
    expect(result.code).not.toBe(0);
    expect(local.logs.lines(1).some((l) => /Metadata received before SASL authentication completed/.test(l.message))).toBe(true);
  });
});
