import { describe, expect, it, vi } from 'vitest';
import { BrokerLogSink } from '../../../../../local/kafka/broker-log.ts';
import { Cluster, type LeadershipChange } from '../../../../../local/kafka/cluster/cluster.ts';
import { coordinatorRoute, KEY_TYPE_GROUP } from '../../../../../local/kafka/handlers/find-coordinator.ts';
import { partitionForGroup } from '../../../../../lambdas/core/hash.ts';

function running(n: number): Cluster {
  const cluster = new Cluster({ brokerIds: Array.from({ length: n }, (_, i) => i + 1), logs: new BrokerLogSink() });
  for (let id = 1; id <= n; id++) cluster.brokerStarted(id, 9000 + id);
  return cluster;
}

describe('Cluster', () => {
  it('spreads replicas round-robin and leads with the first replica', () => {
    const cluster = running(3);
    const topic = cluster.createTopic('orders', { partitions: 4 });
    expect(topic.partitions.map((p) => p.replicas)).toEqual([[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 2, 3]]);
    expect(topic.partitions.map((p) => p.leader)).toEqual([1, 2, 3, 1]);
    expect(topic.configs['cleanup.policy']).toBe('delete');
  });

  it('moves leaders to ISR members when a broker stops; on restart the broker follows until a preferred election', () => {
    const cluster = running(3);
    cluster.createTopic('orders', { partitions: 3 });
    const changes: LeadershipChange[] = [];
    cluster.onLeadershipChange((c) => changes.push(c));
    cluster.brokerStopped(2);
    const p1 = cluster.partition('orders', 1)!;
    expect(p1.leader).toBe(3);
    expect(p1.isr).toEqual([3, 1]);
    expect(changes).toEqual([{ topic: 'orders', partition: 1, previousLeader: 2, leader: 3, leaderEpoch: 1, reason: 'broker-stopped' }]);
    cluster.brokerStarted(2, 9002);
    expect(p1).toMatchObject({ leader: 3, leaderEpoch: 1, isr: [3, 1, 2] });
    expect(changes).toHaveLength(1);
    expect(cluster.imbalancedPartitions().map((p) => `${p.topic}-${p.partition}`)).toEqual(['orders-1']);
    expect(cluster.electPreferredLeaders().map((p) => p.partition)).toEqual([1]);
    expect(changes.at(-1)).toEqual({ topic: 'orders', partition: 1, previousLeader: 3, leader: 2, leaderEpoch: 2, reason: 'preferred-election' });
    cluster.close();
  });

  it('gives a restarted broker its preferred leadership back one check interval later (auto.leader.rebalance.enable)', () => {
    vi.useFakeTimers();
    try {
      const cluster = new Cluster({ brokerIds: [1, 2, 3], logs: new BrokerLogSink(), leaderImbalanceCheckIntervalMs: 5_000 });
      [1, 2, 3].forEach((id) => cluster.brokerStarted(id, 9000 + id));
      cluster.createTopic('orders', { partitions: 3 });
      cluster.brokerStopped(2);
      vi.advanceTimersByTime(60_000);
      expect(cluster.partition('orders', 1)!.leader).toBe(3);
      cluster.brokerStarted(2, 9002);
      vi.advanceTimersByTime(4_999);
      expect(cluster.partition('orders', 1)!.leader).toBe(3);
      vi.advanceTimersByTime(1);
      expect(cluster.partition('orders', 1)).toMatchObject({ leader: 2, leaderEpoch: 2 });
      expect(cluster.imbalancedPartitions()).toEqual([]);
      cluster.close();

      const manual = new Cluster({ brokerIds: [1, 2], logs: new BrokerLogSink(), autoLeaderRebalance: false });
      [1, 2].forEach((id) => manual.brokerStarted(id, 9000 + id));
      manual.createTopic('orders', { partitions: 2 });
      manual.brokerStopped(1);
      manual.brokerStarted(1, 9001);
      vi.advanceTimersByTime(3_600_000);
      expect(manual.partition('orders', 0)!.leader).toBe(2);
      expect(() => new Cluster({ brokerIds: [1], logs: new BrokerLogSink(), leaderImbalanceCheckIntervalMs: 0 })).toThrow(/leaderImbalanceCheckIntervalMs/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('moves one partition leader by reassignment plus preferred election', () => {
    const cluster = running(3);
    cluster.createTopic('__consumer_offsets', { partitions: 5, replicationFactor: 3 });
    const p = cluster.moveLeader('__consumer_offsets', 0, 3);
    expect(p.leader).toBe(3);
    expect(p.replicas[0]).toBe(3);
    expect(cluster.topic('__consumer_offsets')!.configs['cleanup.policy']).toBe('compact');
    const route = coordinatorRoute(cluster, KEY_TYPE_GROUP, 'payments');
    expect(route.partition).toBe(partitionForGroup('payments', 5));
  });

  it('leaves a partition leaderless when no ISR member runs', () => {
    const cluster = running(2);
    cluster.createTopic('solo', { partitions: 1, replicationFactor: 1 });
    cluster.brokerStopped(1);
    expect(cluster.partition('solo', 0)!.leader).toBe(-1);
    // A leaderless partition needs no election: the returning replica leads it at once.
    cluster.brokerStarted(1, 9001);
    expect(cluster.partition('solo', 0)!.leader).toBe(1);
  });
});
