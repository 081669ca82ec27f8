import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerLogSink, formatLog4jTimestamp } from '../../../../local/kafka/broker-log.ts';

describe('BrokerLogSink', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('formats log4j lines, keeps them per broker, notifies subscribers and writes files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'broker-log-'));
    dirs.push(dir);
    const at = Date.UTC(2026, 10, 24, 10, 0, 0, 123);
    const sink = new BrokerLogSink({ logDir: dir, now: () => at });
    const seen: string[] = [];
    const unsubscribe = sink.subscribe((l) => seen.push(l.text));
    sink.forBroker(1).info('[KafkaServer id=1] started', 'kafka.server.KafkaServer');
    unsubscribe();
    sink.forBroker(2).error('[GroupCoordinator id=2] boom', 'kafka.coordinator.group.GroupCoordinator');
    expect(formatLog4jTimestamp(at)).toBe('2026-11-24 10:00:00,123');
    expect(seen).toEqual(['[2026-11-24 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)']);
    expect(sink.lines(2).map((l) => l.level)).toEqual(['ERROR']);
    expect(sink.lines().map((l) => l.brokerId)).toEqual([1, 2]);
    expect(sink.lines(undefined, 1).map((l) => l.brokerId)).toEqual([2]);
    expect(readFileSync(join(dir, 'broker-2.log'), 'utf8')).toBe(
      '[2026-11-24 10:00:00,123] ERROR [GroupCoordinator id=2] boom (kafka.coordinator.group.GroupCoordinator)\n',
    );
  });
});
