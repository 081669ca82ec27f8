import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { killChildren, runProcess, watchProcess } from './helpers.ts';

describe('kcat (librdkafka) against the local cluster', () => {
  let local: LocalCluster;
  let bootstrap: string;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: 6, transactionPartitions: 2, coordinator: false });
    bootstrap = local.bootstrapServers.join(',');
    local.cluster.createTopic('events', { partitions: 3 });
  });

  afterAll(async () => {
    killChildren();
    await local?.stop();
  });

  it('-L lists every broker and topic with leaders and replicas', async () => {
    const result = await runProcess('kcat', ['-b', bootstrap, '-L']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(' 3 brokers:');
    for (const server of local.bootstrapServers) expect(result.stdout).toMatch(new RegExp(`broker \\d at ${server}`));
    expect(result.stdout).toContain('topic "__consumer_offsets" with 6 partitions:');
    expect(result.stdout).toContain('topic "events" with 3 partitions:');
    expect(result.stdout).toMatch(/partition 1, leader 2, replicas: 2,3,1, isrs: 2,3,1/);
  });

  it('produces and consumes keyed messages', async () => {
    const produced = await runProcess('kcat', ['-b', bootstrap, '-P', '-t', 'events', '-p', '1', '-K', ':'], { input: 'k1:hello\nk2:world\nk3:again\n' });
    expect(produced.code).toBe(0);
    const consumed = await runProcess('kcat', ['-b', bootstrap, '-C', '-t', 'events', '-p', '1', '-o', 'beginning', '-e', '-f', '%o %k %s\n']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['0 k1 hello', '1 k2 world', '2 k3 again']);
    // the same bytes through read_committed (no transactions: everything is stable)
    const committed = await runProcess('kcat', ['-b', bootstrap, '-C', '-t', 'events', '-p', '1', '-o', '1', '-e', '-X', 'isolation.level=read_committed', '-f', '%o %s\n']);
    expect(committed.stdout.trim().split('\n')).toEqual(['1 world', '2 again']);
  });

  it('-Q answers offsets by timestamp, and -1 past the newest record', async () => {
    const kafka = new Kafka({ clientId: 'kcat-test', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'events', messages: [{ value: 'a', timestamp: '1000', partition: 2 }, { value: 'b', timestamp: '2000', partition: 2 }, { value: 'c', timestamp: '3000', partition: 2 }] });
    await producer.disconnect();
    const query = async (ts: number): Promise<string> => (await runProcess('kcat', ['-b', bootstrap, '-Q', '-t', `events:2:${ts}`])).stdout.trim();
    expect(await query(1500)).toBe('events [2] offset 1');
    expect(await query(1000)).toBe('events [2] offset 0');
    expect(await query(3000)).toBe('events [2] offset 2');
    expect(await query(9999)).toBe('events [2] offset -1');
  });

  it('a tailing consumer follows a leader move and a stopped leader', async () => {
    local.cluster.createTopic('moving', { partitions: 1, replicationFactor: 3 });
    const kafka = new Kafka({ clientId: 'kcat-test', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const tail = watchProcess('kcat', ['-b', bootstrap, '-u', '-C', '-t', 'moving', '-p', '0', '-o', 'beginning', '-f', '%o %s\n']);
    const shows = (line: string) => tail.until((out) => out.includes(line), 30_000);
    let stopped: number | undefined;
    try {
      await producer.send({ topic: 'moving', messages: [{ value: 'before', partition: 0 }] });
      await shows('0 before');
      const p = local.cluster.partition('moving', 0)!;
      local.faults.moveLeader(0, p.replicas[1]!, 'moving');
      await producer.send({ topic: 'moving', messages: [{ value: 'after-move', partition: 0 }] });
      await shows('1 after-move');
      stopped = p.leader;
      await local.faults.stopBroker(stopped);
      await producer.send({ topic: 'moving', messages: [{ value: 'after-stop', partition: 0 }] });
      await shows('2 after-stop');
      expect(tail.stdout().toString().trim().split('\n')).toEqual(['0 before', '1 after-move', '2 after-stop']);
    } finally {
      tail.kill();
      await producer.disconnect();
      // Later tests expect every broker up, whatever happened above.
      if (stopped !== undefined) await local.faults.startBroker(stopped);
    }
  }, 60_000);
});
