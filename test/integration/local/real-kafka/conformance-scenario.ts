/**
 * One scenario played the same way on a real release and on the local cluster's matching
 * profile, reduced to what must agree: the records the coordinator wrote to
 * `__consumer_offsets` (modulo timestamps, member ids and client hosts), the ApiVersions answer,
 * and the answers clients get (kcat, kafkajs, kafka-python).
 */
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import type { OffsetsRecord } from '../../../../lambdas/core/offsets-records/index.ts';
import { fetchApiVersions, type ApiVersionRange } from '../../../../local/real-kafka/api-versions.ts';
import { dumpOffsetsPartition } from '../kafka/coordinator-test-helpers.ts';
import { PYTHON, runProcess } from '../kafka/helpers.ts';
import { clientFor } from './support.ts';

export const SCENARIO_TOPIC = 'ticks';
export const KCAT_GROUP = 'conformance-kcat';
export const SEEDED_GROUP = 'conformance-seeded';
export const PYTHON_GROUP = 'conformance-python';

export interface ScenarioTranscript {
  records: Record<string, unknown[]>;
  apiVersions: ApiVersionRange[];
  answers: Record<string, unknown>;
}

/** A record without what legitimately differs between two runs (times, member ids, hosts). */
export function normalizeRecord(record: OffsetsRecord): unknown {
  switch (record.kind) {
    case 'offset-commit':
      return record.tombstone
        ? { kind: record.kind, group: record.group, topic: record.topic, partition: record.partition, tombstone: true }
        : {
            kind: record.kind,
            group: record.group,
            topic: record.topic,
            partition: record.partition,
            valueVersion: record.value.valueVersion,
            offset: record.value.offset.toString(),
            leaderEpochKnown: record.value.leaderEpoch >= 0,
            metadata: record.value.metadata,
            expires: record.value.expireTimestamp >= 0n,
          };
    case 'group-metadata':
      return record.tombstone
        ? { kind: record.kind, group: record.group, tombstone: true }
        : {
            kind: record.kind,
            group: record.group,
            valueVersion: record.value.valueVersion,
            protocolType: record.value.protocolType,
            generation: record.value.generation,
            protocol: record.value.protocol,
            members: record.value.members.map((m) => ({ clientId: m.clientId, staticMember: m.groupInstanceId !== null, rebalanceTimeout: m.rebalanceTimeout, sessionTimeout: m.sessionTimeout })),
          };
    default:
      return { kind: record.kind };
  }
}

const PYTHON_COMMIT = `
import sys
from kafka import KafkaConsumer, TopicPartition, OffsetAndMetadata
c = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id=sys.argv[2], enable_auto_commit=False, api_version_auto_timeout_ms=10000)
tp = TopicPartition(sys.argv[3], 0)
c.commit({tp: OffsetAndMetadata(2, 'py-meta', -1)} if 'leader_epoch' in OffsetAndMetadata._fields else {tp: OffsetAndMetadata(2, 'py-meta')})
print(c.committed(tp))
print(c.config['api_version'])
c.close()
`;

export async function playScenario(bootstrap: string[], offsetsPartitions: number): Promise<ScenarioTranscript> {
  const kafka = clientFor(bootstrap, 'conformance');
  const admin = kafka.admin();
  await admin.connect();
  const answers: Record<string, unknown> = {};
  try {
    await admin.createTopics({ topics: [{ topic: SCENARIO_TOPIC, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    const b = bootstrap.join(',');
    const produced = await runProcess('kcat', ['-b', b, '-P', '-t', SCENARIO_TOPIC, '-K', ':', '-p', '0'], { timeoutMs: 20_000, input: 'a:1\nb:2\nc:3\n' });
    if (produced.code !== 0) throw new Error(`kcat produce failed: ${produced.stderr}`);
    const consumed = await runProcess('kcat', ['-b', b, '-G', KCAT_GROUP, '-o', 'beginning', '-e', '-q', SCENARIO_TOPIC], { timeoutMs: 60_000 });
    answers.kcatConsumed = { code: consumed.code, lines: consumed.stdout.trim().split('\n').sort() };
    await admin.setOffsets({ groupId: SEEDED_GROUP, topic: SCENARIO_TOPIC, partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '0' }] });
    answers.seededFetch = (await admin.fetchOffsets({ groupId: SEEDED_GROUP, topics: [SCENARIO_TOPIC] }))[0]?.partitions.map((p) => [p.partition, p.offset]);
    const python = await runProcess(PYTHON, ['-c', PYTHON_COMMIT, b, PYTHON_GROUP, SCENARIO_TOPIC], { timeoutMs: 60_000 });
    answers.python = { code: python.code, committed: python.stdout.split('\n')[0], error: python.code === 0 ? '' : python.stderr.trim().split('\n').at(-1) };
    const described = await admin.describeGroups([KCAT_GROUP, 'conformance-nobody']);
    answers.describe = described.groups.map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType, members: g.members.length })).sort((x, y) => (x.groupId < y.groupId ? -1 : 1));
    answers.unknownGroupFetch = (await admin.fetchOffsets({ groupId: 'conformance-nobody', topics: [SCENARIO_TOPIC] }))[0]?.partitions.map((p) => p.offset);
  } finally {
    await admin.disconnect();
  }
  const records: Record<string, unknown[]> = {};
  for (const group of [KCAT_GROUP, SEEDED_GROUP, PYTHON_GROUP]) {
    const dump = await dumpOffsetsPartition(bootstrap.join(','), partitionForGroup(group, offsetsPartitions));
    records[group] = dump.filter((r) => 'group' in r.decoded && r.decoded.group === group).map((r) => normalizeRecord(r.decoded));
  }
  const [host, port] = bootstrap[0]!.split(':') as [string, string];
  return { records, apiVersions: await fetchApiVersions(host, Number(port)), answers };
}
