/**
 * The incident's cause, made on a real broker: an offset commit record for a group whose value
 * the coordinator cannot read, appended to the group's `__consumer_offsets` partition. Kafka
 * accepts produce requests to internal topics only from the client id `__admin_client`
 * (KafkaApis.handleProduceRequest, internalTopicsAllowed); the next load of that partition
 * (a leader move, a restart) stops at it.
 */
import { Kafka, logLevel } from 'kafkajs';
import { encodeOffsetCommitKey } from '../../lambdas/core/offsets-records/index.ts';

/** An OffsetCommitValue that announces version 3 and ends after four bytes of its offset. */
export const TRUNCATED_OFFSET_COMMIT_VALUE = Buffer.from([0x00, 0x03, 0x00, 0x00, 0x00]);

export async function appendUnreplayableCommit(
  bootstrap: string[],
  target: { group: string; topic: string; partition: number; offsetsPartition: number },
): Promise<bigint> {
  const client = new Kafka({ clientId: '__admin_client', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const [result] = await producer.send({
      topic: '__consumer_offsets',
      acks: -1,
      messages: [{ partition: target.offsetsPartition, key: encodeOffsetCommitKey({ group: target.group, topic: target.topic, partition: target.partition }), value: TRUNCATED_OFFSET_COMMIT_VALUE }],
    });
    if (!result || result.errorCode !== 0) throw new Error(`the broker refused the record: ${JSON.stringify(result)}`);
    return BigInt(result.baseOffset ?? '-1');
  } finally {
    await producer.disconnect();
  }
}
