/**
 * Two of the local cluster's fixed divergences played on the real release and on the matching
 * local profile, over the raw wire: a batch over the topic's max.message.bytes (MESSAGE_TOO_LARGE,
 * no error message), and a static member restarting in a Stable group (a new member id, the same
 * generation, the old incarnation fenced, its assignment kept; the leader named per JoinGroup
 * version). Each side's answers go into a transcript; the two transcripts must be equal.
 */
import { expect, it } from 'vitest';
import { encodeConsumerAssignment, encodeConsumerSubscription } from '../../../../lambdas/core/offsets-records/index.ts';
import { encodeRecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import { startLocalCluster } from '../../../../local/kafka/index.ts';
import { ApiKey } from '../../../../local/kafka/protocol/api-keys.ts';
import { decodeResponse, encodeRequest } from '../../../../local/kafka/protocol/codec.ts';
import { startRealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { RawClient } from '../kafka/helpers.ts';
import { clientFor, describeRealKafka } from './support.ts';

type Body = Record<string, unknown>;

const GROUP = 'static-restarts';
const TOPIC = 'limited';
const batchOf = (valueBytes: number): Buffer => encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.alloc(valueBytes, 7), timestamp: 1 }] });
const FITS = batchOf(100);
const SUBSCRIPTION = encodeConsumerSubscription({ topics: [TOPIC] }, 0);
const ASSIGNMENT = encodeConsumerAssignment({ assignedPartitions: [{ topic: TOPIC, partitions: [0] }] }, 0);

async function call(bootstrap: string, apiKey: number, apiVersion: number, body: Body, timeoutMs = 30_000): Promise<Body> {
  const [host, port] = bootstrap.split(':');
  const client = await RawClient.open(host!, Number(port));
  try {
    client.socket.write(encodeRequest({ apiKey, apiVersion, correlationId: 7, clientId: 'divergences' }, body));
    await client.until(() => client.frames.length === 1 || client.closed, timeoutMs);
    if (client.frames.length === 0) throw new Error(`the connection closed without answering API ${apiKey} v${apiVersion}`);
    return decodeResponse(apiKey, apiVersion, client.frames[0]!).body;
  } finally {
    client.close();
  }
}

/** What one side answered, with member ids replaced by their role, so both sides compare equal. */
async function play(bootstrap: string[]): Promise<Body> {
  const broker = bootstrap[0]!;
  const admin = clientFor(bootstrap, 'divergences-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(FITS.length) }] }] });
  } finally {
    await admin.disconnect();
  }
  const produce = async (records: Buffer) => {
    const answer = await call(broker, ApiKey.Produce, 8, { transactionalId: null, acks: -1, timeoutMs: 5_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
    const p = ((answer['responses'] as Body[])[0]!['partitionResponses'] as Body[])[0]!;
    return { errorCode: p['errorCode'], errorMessage: p['errorMessage'] };
  };
  const produced = { over: await produce(batchOf(101)), fits: await produce(FITS) };

  // The group's coordinator is the only broker, once __consumer_offsets exists.
  for (let attempt = 0; ; attempt++) {
    const found = await call(broker, ApiKey.FindCoordinator, 3, { key: GROUP, keyType: 0 });
    if (found['errorCode'] === 0) break;
    if (attempt > 100) throw new Error(`FindCoordinator kept answering ${String(found['errorCode'])}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const join = (version: number, memberId: string) =>
    call(broker, ApiKey.JoinGroup, version, {
      groupId: GROUP, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: 'pod-1',
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUBSCRIPTION }], reason: null,
    });
  // A real broker may still be loading the new shard (COORDINATOR_LOAD_IN_PROGRESS, 14): a client retries.
  let first = await join(5, '');
  for (let attempt = 0; first['errorCode'] === 14 && attempt < 100; attempt++) {
    await new Promise((r) => setTimeout(r, 200));
    first = await join(5, '');
  }
  const firstId = first['memberId'] as string;
  const firstSync = await call(broker, ApiKey.SyncGroup, 3, {
    groupId: GROUP, generationId: first['generationId'], memberId: firstId, groupInstanceId: 'pod-1', assignments: [{ memberId: firstId, assignment: ASSIGNMENT }],
  });
  const heartbeat = async (memberId: string, generationId: unknown) =>
    (await call(broker, ApiKey.Heartbeat, 3, { groupId: GROUP, generationId, memberId, groupInstanceId: 'pod-1' }))['errorCode'];
  const roleOf = (id: unknown, names: Record<string, string>): string => Object.entries(names).find(([, memberId]) => memberId === id)?.[0] ?? String(id);

  // Restarted (no member id): JoinGroup v5 names the previous leader id, v9 the new one and skips the assignment.
  const second = await join(5, '');
  const secondId = second['memberId'] as string;
  const names1 = { first: firstId, second: secondId };
  const secondSync = await call(broker, ApiKey.SyncGroup, 3, { groupId: GROUP, generationId: second['generationId'], memberId: secondId, groupInstanceId: 'pod-1', assignments: [] });
  const third = await join(9, '');
  const thirdId = third['memberId'] as string;
  const names2 = { ...names1, third: thirdId };
  return {
    produced,
    first: { errorCode: first['errorCode'], generationId: first['generationId'], leader: roleOf(first['leader'], names1) },
    firstSync: { errorCode: firstSync['errorCode'] },
    second: { errorCode: second['errorCode'], generationId: second['generationId'], newId: secondId !== firstId, leader: roleOf(second['leader'], names1), members: (second['members'] as Body[]).length },
    fencedHeartbeat: await heartbeat(firstId, second['generationId']),
    secondSync: { errorCode: secondSync['errorCode'], keptAssignment: Buffer.compare(secondSync['assignment'] as Buffer, ASSIGNMENT) === 0 },
    third: {
      errorCode: third['errorCode'], generationId: third['generationId'], leader: roleOf(third['leader'], names2),
      skipAssignment: third['skipAssignment'], members: (third['members'] as Body[]).map((m) => roleOf(m['memberId'], names2)),
    },
    heartbeats: { second: await heartbeat(secondId, third['generationId']), third: await heartbeat(thirdId, third['generationId']) },
  };
}

const release = REAL_KAFKA_RELEASES.vulnerable41;
describeRealKafka(release, 'MESSAGE_TOO_LARGE and a static member\'s restart, the local 4.1 profile against the real release', () => {
  it('answers the same on both sides', async () => {
    const playLocal = async () => {
      const local = await startLocalCluster({ brokers: 1, offsetsPartitions: 3, transactionPartitions: 1, kafkaVersion: '4.1' });
      try {
        return await play(local.bootstrapServers);
      } finally {
        await local.stop();
      }
    };
    const playReal = async () => {
      const real = await startRealKafka({ version: release, brokers: 1, offsetsPartitions: 3 });
      try {
        return await play(real.bootstrapServers);
      } finally {
        await real.stop();
      }
    };
    const [local, real] = await Promise.all([playLocal(), playReal()]);
    expect(local).toEqual(real);
    // What the real release answered, spelled out (10 MESSAGE_TOO_LARGE, 82 FENCED_INSTANCE_ID).
    expect(real).toMatchObject({
      produced: { over: { errorCode: 10, errorMessage: null }, fits: { errorCode: 0 } },
      second: { errorCode: 0, generationId: 1, newId: true, leader: 'first' },
      fencedHeartbeat: 82,
      secondSync: { errorCode: 0, keptAssignment: true },
      third: { errorCode: 0, generationId: 1, leader: 'third', skipAssignment: true, members: ['third'] },
    });
  }, 180_000);
});
