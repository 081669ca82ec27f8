import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { dumpOffsetsPartition, offsetsFromDump } from './coordinator-test-helpers.ts';
import { killChildren, PYTHON, runProcess } from './helpers.ts';

const OFFSETS_PARTITIONS = 10;
const MESSAGES = 30;

describe('kcat (librdkafka) consumer groups and kafka-python admin against the group coordinator', () => {
  let local: LocalCluster;
  let bootstrap: string;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 2 });
    bootstrap = local.bootstrapServers.join(',');
    local.cluster.createTopic('orders', { partitions: 3 });
    const input = Array.from({ length: MESSAGES }, (_, i) => `key-${i}:value-${i}`).join('\n') + '\n';
    const produced = await runProcess('kcat', ['-b', bootstrap, '-P', '-t', 'orders', '-K', ':'], { timeoutMs: 20_000, input });
    expect(produced.code).toBe(0);
  });

  afterAll(async () => {
    killChildren();
    await local?.stop();
  });

  const endOffsets = (): Record<string, string> =>
    Object.fromEntries(local.cluster.topic('orders')!.partitions.map((p) => [`orders-${p.partition}`, String(p.log.logEndOffset)]));

  it('a -G consumer joins, consumes every message and commits; the raw __consumer_offsets records decode to exactly those commits', async () => {
    const group = 'kcat-orders';
    // The test counts commit records: only the commit kcat makes as it closes may happen, not an
    // interval commit that a slow machine would let fire mid-way.
    const consumed = await runProcess(
      'kcat',
      ['-b', bootstrap, '-G', group, '-X', 'auto.commit.interval.ms=600000', '-o', 'beginning', '-e', '-f', '%p:%o %k=%s\\n', 'orders'],
      { timeoutMs: 40_000 },
    );
    expect(consumed.code).toBe(0);
    const lines = consumed.stdout.trim().split('\n');
    expect(lines).toHaveLength(MESSAGES);
    expect(new Set(lines.map((l) => l.split(' ')[1]))).toEqual(new Set(Array.from({ length: MESSAGES }, (_, i) => `key-${i}=value-${i}`)));
    expect(consumed.stderr).toMatch(new RegExp(`Group ${group} rebalanced .*assigned: orders \\[0\\], orders \\[1\\], orders \\[2\\]`));

    const partition = partitionForGroup(group, OFFSETS_PARTITIONS);
    const dump = await dumpOffsetsPartition(bootstrap, partition);
    expect(offsetsFromDump(dump, group)).toEqual(endOffsets());
    const kinds = dump.filter((r) => 'group' in r.decoded && r.decoded.group === group).map((r) => r.decoded.kind);
    expect(kinds[0]).toBe('group-metadata');
    expect(kinds.filter((k) => k === 'offset-commit')).toHaveLength(3);
    expect(dump.every((r) => r.decoded.kind !== 'skipped')).toBe(true);
    // The metadata written when the rebalance completed names the kcat member and its assignment.
    const stable = dump.find((r) => r.decoded.kind === 'group-metadata' && !r.decoded.tombstone && r.decoded.value.members.length > 0)?.decoded;
    expect(stable).toMatchObject({ kind: 'group-metadata', group, value: { valueVersion: 3, protocolType: 'consumer', generation: 1, members: [{ clientId: 'rdkafka' }] } });
    // The last record is the group turning Empty when kcat left.
    expect(dump.at(-1)?.decoded).toMatchObject({ kind: 'group-metadata', group, value: { members: [], protocol: null } });
  });

  it('kafka-python KafkaAdminClient lists, describes and reads the offsets the clients committed', async () => {
    const group = 'kcat-listed';
    const consumed = await runProcess('kcat', ['-b', bootstrap, '-G', group, '-o', 'beginning', '-e', 'orders'], { timeoutMs: 40_000 });
    expect(consumed.code).toBe(0);
    const script = [
      'import json, sys',
      'from kafka import KafkaAdminClient',
      'admin = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","), request_timeout_ms=10000)',
      'groups = sorted(admin.list_consumer_groups())',
      'described = admin.describe_consumer_groups([sys.argv[2]])[0]',
      'offsets = admin.list_consumer_group_offsets(sys.argv[2])',
      'admin.close()',
      'print(json.dumps({"groups": groups, "state": described.state, "protocol_type": described.protocol_type, "error": described.error_code,',
      '  "offsets": {"%s-%d" % (tp.topic, tp.partition): str(om.offset) for tp, om in offsets.items()}}))',
    ].join('\n');
    const result = await runProcess(PYTHON, ['-c', script, bootstrap, group], { timeoutMs: 40_000 });
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as { groups: [string, string][]; state: string; protocol_type: string; error: number; offsets: Record<string, string> };
    expect(answer.groups).toContainEqual([group, 'consumer']);
    expect(answer.groups).toContainEqual(['kcat-orders', 'consumer']);
    expect(answer).toMatchObject({ state: 'Empty', protocol_type: 'consumer', error: 0 });
    expect(answer.offsets).toEqual(endOffsets());
  });

  it('a kafka-python KafkaConsumer joins its own group, consumes and commits what kcat then reads back', async () => {
    const group = 'py-consumers';
    const script = [
      'import json, sys',
      'from kafka import KafkaConsumer',
      'c = KafkaConsumer("orders", bootstrap_servers=sys.argv[1].split(","), group_id=sys.argv[2], auto_offset_reset="earliest",',
      '  enable_auto_commit=False, consumer_timeout_ms=10000, session_timeout_ms=10000, heartbeat_interval_ms=1000)',
      'seen = 0',
      'for m in c:',
      '    seen += 1',
      '    if seen == int(sys.argv[3]): break',
      'c.commit()',
      'assigned = sorted(tp.partition for tp in c.assignment())',
      'c.close()',
      'print(json.dumps({"seen": seen, "assigned": assigned}))',
    ].join('\n');
    const result = await runProcess(PYTHON, ['-c', script, bootstrap, group, String(MESSAGES)], { timeoutMs: 40_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ seen: MESSAGES, assigned: [0, 1, 2] });
    const dump = await dumpOffsetsPartition(bootstrap, partitionForGroup(group, OFFSETS_PARTITIONS));
    expect(offsetsFromDump(dump, group)).toEqual(endOffsets());
  });
});
