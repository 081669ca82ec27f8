import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { ApiKey } from '../../../../local/kafka/protocol/api-keys.ts';
import { decodeResponse, encodeRequest } from '../../../../local/kafka/protocol/codec.ts';
import { ErrorCode } from '../../../../local/kafka/protocol/error-codes.ts';
import { killChildren, PYTHON, RawClient, runProcess } from './helpers.ts';

const pythonScript = fileURLToPath(new URL('./kafka_python_sasl.py', import.meta.url));

describe('SASL with librdkafka and kafka-python', () => {
  let local: LocalCluster;
  let bootstrap: string;
  const clients: RawClient[] = [];

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
    for (const c of clients) c.close();
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

  it('answers a failed SaslAuthenticate, then closes the connection; a successful one keeps it', async () => {
    const broker = local.brokers[0]!;
    const authenticate = async (password: string): Promise<{ client: RawClient; errorCode: unknown }> => {
      const client = await RawClient.open(broker.host, broker.port);
      clients.push(client);
      client.socket.write(encodeRequest({ apiKey: ApiKey.SaslHandshake, apiVersion: 1, correlationId: 1, clientId: 'raw' }, { mechanism: 'PLAIN' }));
      client.socket.write(
        encodeRequest({ apiKey: ApiKey.SaslAuthenticate, apiVersion: 2, correlationId: 2, clientId: 'raw' }, { authBytes: Buffer.from(`\u0000alice\u0000${password}`) }),
      );
      await client.until(() => client.frames.length === 2 || client.closed);
      return { client, errorCode: decodeResponse(ApiKey.SaslAuthenticate, 2, client.frames[1]!).body['errorCode'] };
    };

    const refused = await authenticate('wrong');
    expect(refused.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await refused.client.until(() => refused.client.closed);
    expect(local.logs.lines(1).at(-1)?.message).toMatch(/Closing socket connection .* after its response: SASL authentication failed/);

    const accepted = await authenticate('alice-secret');
    expect(accepted.errorCode).toBe(ErrorCode.NONE);
    accepted.client.socket.write(encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: 3, clientId: 'raw' }, { topics: null, allowAutoTopicCreation: false }));
    await accepted.client.until(() => accepted.client.frames.length === 3 || accepted.client.closed);
    expect(accepted.client.frames[2]!.readInt32BE(0)).toBe(3);
  });
});
