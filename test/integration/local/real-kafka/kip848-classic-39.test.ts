/**
 * A 3.9 broker with its default (classic) group coordinator advertises ConsumerGroupHeartbeat
 * in ApiVersions but does not serve the KIP-848 protocol; the local 3.9 profile must answer a
 * join the same way (a raw ConsumerGroupHeartbeat v0 through the wire codec on both sides).
 */
import { expect, it } from 'vitest';
import { startLocalCluster } from '../../../../local/kafka/index.ts';
import { ApiKey } from '../../../../local/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../../local/kafka/protocol/error-codes.ts';
import { decodeResponse, encodeRequest } from '../../../../local/kafka/protocol/codec.ts';
import { startRealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { RawClient } from '../kafka/helpers.ts';
import { describeRealKafka } from './support.ts';

async function heartbeat(bootstrap: string): Promise<{ errorCode: unknown; memberEpoch: unknown }> {
  const [host, port] = bootstrap.split(':') as [string, string];
  const client = await RawClient.open(host, Number(port));
  try {
    const body = { groupId: 'kip848-on-39', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], topicPartitions: [] };
    client.socket.write(encodeRequest({ apiKey: ApiKey.ConsumerGroupHeartbeat, apiVersion: 0, correlationId: 7, clientId: 'kip848-39' }, body));
    await client.until(() => client.frames.length > 0);
    const answer = decodeResponse(ApiKey.ConsumerGroupHeartbeat, 0, client.frames[0]!).body;
    return { errorCode: answer['errorCode'], memberEpoch: answer['memberEpoch'] };
  } finally {
    client.close();
  }
}

describeRealKafka(REAL_KAFKA_RELEASES.classic39, 'ConsumerGroupHeartbeat on the local 3.9 profile against the real release', () => {
  it('answers a KIP-848 join UNSUPPORTED_VERSION, as the classic coordinator does', async () => {
    const local = await startLocalCluster({ brokers: 1, offsetsPartitions: 3, transactionPartitions: 1, kafkaVersion: '3.9' });
    const real = await startRealKafka({ version: REAL_KAFKA_RELEASES.classic39, brokers: 1, offsetsPartitions: 3 }).catch(async (error: unknown) => {
      await local.stop();
      throw error;
    });
    try {
      const [ours, theirs] = await Promise.all([heartbeat(local.bootstrapServers[0]!), heartbeat(real.bootstrapServers[0]!)]);
      expect(ours).toEqual(theirs);
      expect(theirs.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    } finally {
      await Promise.all([local.stop(), real.stop()]);
    }
  }, 90_000);
});
