import { describe, expect, it } from 'vitest';
import { loggingConfig, newClusterId, serverProperties } from '../../../../local/real-kafka/broker-config.ts';
import { parseBrokerLog } from '../../../../local/real-kafka/broker-log-file.ts';
import { loggingBackend, parseReleaseVersion } from '../../../../local/real-kafka/release-jars.ts';

describe('real Kafka harness files', () => {
  it('never hands kafka-storage a cluster id that starts with a dash, which its parser takes for an option', () => {
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x01)];
    const id = newClusterId(() => draws.shift()!);
    expect(Buffer.alloc(16, 0xfb).toString('base64url')).toMatch(/^-/);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
    expect(draws).toHaveLength(0);
    for (let i = 0; i < 2000; i += 1) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('reads multi-line broker log entries with their logger, level and UTC time', () => {
    const content = [
      '[2026-12-05 19:39:32,611] INFO [GroupCoordinator id=1] Loading (org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime)',
      '[2026-12-05 19:39:32,614] ERROR [GroupCoordinator id=1] Failed to load metadata from __consumer_offsets-9 with epoch 0 due to x. (org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime)',
      'java.lang.RuntimeException: x',
      '\tat org.apache.kafka.Foo.bar(Foo.java:1)',
      '',
    ].join('\n');
    const entries = parseBrokerLog(1, content);
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({
      brokerId: 1,
      level: 'ERROR',
      time: '2026-12-05T19:39:32.614Z',
      logger: 'org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime',
    });
    expect(entries[1]!.text.split('\n')).toHaveLength(3);
    expect(entries[1]!.line).toContain('Failed to load metadata from __consumer_offsets-9');
  });

  it('writes a static KRaft quorum of combined nodes with replication capped by the node count', () => {
    const quorum = [
      { id: 1, brokerPort: 9001, controllerPort: 9101 },
      { id: 2, brokerPort: 9002, controllerPort: 9102 },
    ];
    const text = serverProperties({ node: quorum[1]!, quorum, dataDir: '/tmp/d', offsetsPartitions: 12, transactionPartitions: 4, overrides: { 'log.cleaner.enable': false } });
    const props = Object.fromEntries(text.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
    expect(props['node.id']).toBe('2');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:9101,2@127.0.0.1:9102');
    expect(props['listeners']).toBe('PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102');
    expect(props['offsets.topic.replication.factor']).toBe('2');
    expect(props['offsets.topic.num.partitions']).toBe('12');
    expect(props['log.cleaner.enable']).toBe('false');
  });

  it('picks the logging backend each release line ships', () => {
    expect(loggingBackend(parseReleaseVersion('3.9.2'))).toBe('reload4j');
    expect(loggingBackend(parseReleaseVersion('4.1.1'))).toBe('log4j2');
    expect(loggingConfig(parseReleaseVersion('4.4.0'), '/x/server.log').text).toContain('[%d] %p %m (%c)%n');
    expect(loggingConfig(parseReleaseVersion('3.9.2'), '/x/server.log').jvmFlag).toBe('-Dlog4j.configuration=file:');
  });

  it('refuses a release number that is not major.minor.patch, naming the field', () => {
    expect(() => parseReleaseVersion('4.1', 'version')).toThrow(/version: expected a release such as 4\.1\.1, got "4\.1"/);
  });
});
