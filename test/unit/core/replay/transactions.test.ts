import { describe, expect, it } from 'vitest';
import { encodeControlBatch, encodeRecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import { loadVectors } from '../../../support/shared-schemas.ts';
import { commit, LogBuilder, offsetsByGroup, replay, T0, tombstone } from './log-builder.ts';

interface ScenarioBatch {
  baseOffset: string;
  producerId: string;
  producerEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  controlType?: 'COMMIT' | 'ABORT';
  records: Array<{ logOffset?: string; keyHex: string; valueHex: string | null }>;
}
interface Scenario {
  name: string;
  batches: ScenarioBatch[];
  expectCommittedOffsets: Array<{ group: string; topic: string; partition: number; offset: string }>;
}

const scenarios = loadVectors().transactionScenarios.scenarios as unknown as Scenario[];

/** Frames a scenario's logical batches with the RecordBatch writer, at the log offsets the file gives. */
function scenarioLog(scenario: Scenario): Buffer {
  return Buffer.concat(
    scenario.batches.map((batch) => {
      const baseOffset = BigInt(batch.baseOffset);
      if (batch.isControl) {
        const frame = encodeControlBatch({
          baseOffset,
          producerId: BigInt(batch.producerId),
          producerEpoch: batch.producerEpoch,
          type: batch.controlType!,
          timestamp: T0,
        });
        // The marker bytes must be exactly the ones the vectors file spells out.
        expect(frame.subarray(frame.length - 12).toString('hex')).toContain(batch.records[0]!.keyHex);
        return frame;
      }
      return encodeRecordBatch({
        baseOffset,
        producerId: BigInt(batch.producerId),
        producerEpoch: batch.producerEpoch,
        isTransactional: batch.isTransactional,
        records: batch.records.map((r) => ({
          key: Buffer.from(r.keyHex, 'hex'),
          value: r.valueHex === null ? null : Buffer.from(r.valueHex, 'hex'),
          timestamp: T0,
          offsetDelta: Number(BigInt(r.logOffset!) - baseOffset),
        })),
      });
    }),
  );
}

function expected(scenario: Scenario): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const e of scenario.expectCommittedOffsets) (out[e.group] ??= {})[`${e.topic}/${e.partition}`] = e.offset;
  return out;
}

describe('transaction scenarios of vectors.json', () => {
  it('has the scenarios this suite expects', () => {
    expect(scenarios.map((s) => s.name)).toEqual(
      expect.arrayContaining(['txn-commit-and-abort', 'txn-open-never-decided', 'txn-commit-older-than-plain-commit']),
    );
  });

  for (const scenario of scenarios) {
    it(`${scenario.name}: all-groups replay`, () => {
      expect(offsetsByGroup(replay(scenarioLog(scenario)))).toEqual(expected(scenario));
    });

    it(`${scenario.name}: one-group replay`, () => {
      for (const group of Object.keys(expected(scenario))) {
        expect(offsetsByGroup(replay(scenarioLog(scenario), { group }))).toEqual({ [group]: expected(scenario)[group] });
      }
    });

    it(`${scenario.name}: same result when fed one batch per fetch with the aborted list`, () => {
      const aborted = scenario.batches
        .filter((b) => b.isControl && b.controlType === 'ABORT')
        .map((marker) => {
          const first = scenario.batches.find((b) => !b.isControl && b.producerId === marker.producerId)!;
          return { producerId: BigInt(marker.producerId), firstOffset: BigInt(first.baseOffset) };
        });
      expect(offsetsByGroup(replay(scenarioLog(scenario), {}, aborted))).toEqual(expected(scenario));
    });
  }

  it('txn-commit-and-abort: counts the committed, aborted and plain records', () => {
    const result = replay(scenarioLog(scenarios.find((s) => s.name === 'txn-commit-and-abort')!));
    expect(result.stats()).toMatchObject({
      controlBatches: 2,
      transactionsCommitted: 1,
      transactionsAborted: 1,
      transactionalRecordsCommitted: 2,
      abortedRecords: 1,
      offsetCommitsApplied: 1,
    });
    expect(result.pendingTransactions()).toEqual([]);
    expect(result.committedOffset('txn-group', 'orders', 0)).toMatchObject({ offset: 500n, logOffset: 1n });
  });

  it('txn-open-never-decided: reports the open transaction', () => {
    const result = replay(scenarioLog(scenarios.find((s) => s.name === 'txn-open-never-decided')!));
    expect(result.pendingTransactions()).toEqual([{ producerId: 1000n, records: 1, firstLogOffset: 1n }]);
  });

  it('txn-commit-older-than-plain-commit: counts the superseded transactional record', () => {
    const result = replay(scenarioLog(scenarios.find((s) => s.name === 'txn-commit-older-than-plain-commit')!));
    expect(result.stats().transactionalRecordsSuperseded).toBe(1);
    expect(result.committedOffset('txn-group', 'orders', 0)).toMatchObject({ offset: 500n, logOffset: 2n });
  });
});

describe('interleaved producers', () => {
  it('keeps each producer pending on its own until its own marker', () => {
    const log = new LogBuilder();
    log.transactional(1n, [commit('g', 't', 0, 10n)]);
    log.transactional(2n, [commit('g', 't', 1, 20n)]);
    log.transactional(1n, [commit('g', 't', 0, 11n), commit('g', 't', 2, 12n)]);
    log.plain([commit('g', 't', 3, 30n)]);
    log.transactional(2n, [commit('g', 't', 0, 99n)]);
    log.marker(2n, 'ABORT');
    log.transactional(3n, [commit('g', 't', 4, 40n)]);
    log.marker(1n, 'COMMIT');
    // producer 3 never decides
    const result = replay(log.buffer());
    expect(offsetsByGroup(result)).toEqual({ g: { 't/0': '11', 't/2': '12', 't/3': '30' } });
    expect(result.pendingTransactions().map((p) => p.producerId)).toEqual([3n]);
    expect(result.stats()).toMatchObject({ abortedRecords: 2, transactionalRecordsCommitted: 2 });
  });

  it('lets a producer run a second transaction after its first was aborted', () => {
    const log = new LogBuilder();
    const firstTxn = log.transactional(7n, [commit('g', 't', 0, 1n)]);
    log.marker(7n, 'ABORT');
    log.transactional(7n, [commit('g', 't', 0, 2n)]);
    log.marker(7n, 'COMMIT');
    const aborted = [{ producerId: 7n, firstOffset: firstTxn }];
    expect(offsetsByGroup(replay(log.buffer(), {}, aborted))).toEqual({ g: { 't/0': '2' } });
    expect(offsetsByGroup(replay(log.buffer()))).toEqual({ g: { 't/0': '2' } });
  });

  it('drops an aborted transaction on sight when the fetch lists it, without holding it', () => {
    const log = new LogBuilder();
    const first = log.transactional(9n, [commit('g', 't', 0, 5n)]);
    log.transactional(9n, [commit('g', 't', 1, 6n)]);
    const result = replay(log.buffer(), {}, [{ producerId: 9n, firstOffset: first }]);
    // The marker is not in this fetch yet: nothing is pending, the records were counted as aborted.
    expect(result.pendingTransactions()).toEqual([]);
    expect(result.stats().abortedRecords).toBe(2);
    expect(result.groups()).toEqual([]);
  });

  it('counts aborted records alike whether the aborted list or the ABORT marker decides', () => {
    const log = new LogBuilder();
    const first = log.transactional(9n, [commit('g', 't', 0, 5n), commit('other', 't', 0, 6n), commit('g', 't', 1, 7n)]);
    log.transactional(9n, [commit('g', 't', 2, 8n, { timestamp: T0 - 10n })]);
    log.marker(9n, 'ABORT');
    const list = [{ producerId: 9n, firstOffset: first }];
    const counted = (options: { group?: string; since?: bigint }) => ({
      byMarker: replay(log.buffer(), options).stats(),
      byList: replay(log.buffer(), options, list).stats(),
    });
    for (const [options, aborted] of [
      [{}, 4],
      [{ group: 'g' }, 3],
      [{ group: 'other' }, 1],
      // A commit outside the window is counted as such, not as aborted, either way.
      [{ group: 'g', since: T0 }, 2],
    ] as const) {
      const { byMarker, byList } = counted(options);
      expect({ options, aborted: byMarker.abortedRecords }).toEqual({ options, aborted });
      expect({ options, aborted: byList.abortedRecords }).toEqual({ options, aborted });
      expect(byList.outsideWindow).toBe(byMarker.outsideWindow);
      expect(byList.otherGroups).toBe(byMarker.otherGroups);
    }
  });

  it('applies a tombstone to pending transactional offsets of the same key too', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n)]);
    log.transactional(4n, [commit('g', 't', 0, 2n), commit('g', 't', 1, 3n)]);
    log.plain([tombstone('g', 't', 0)]);
    log.marker(4n, 'COMMIT');
    expect(offsetsByGroup(replay(log.buffer()))).toEqual({ g: { 't/1': '3' } });
  });

  it('ignores a COMMIT marker of a producer that wrote nothing here', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n)]);
    log.marker(55n, 'COMMIT');
    const result = replay(log.buffer());
    expect(offsetsByGroup(result)).toEqual({ g: { 't/0': '1' } });
    expect(result.stats().transactionsCommitted).toBe(1);
  });
});
