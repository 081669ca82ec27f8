import {
  decodeOffsetsRecord,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../../lambdas/core/offsets-records/index.ts';
import type { CoordinatorRecord } from './coordinator-records.ts';
import { CONSUMER_GROUP_RECORD_TYPES, decodeConsumerGroupRecord, encodeConsumerGroupRecord } from './consumer-group-records.ts';

/** Versions Kafka 2.3-4.3 write for classic groups; offset commits follow the cluster option. */
export const GROUP_METADATA_VALUE_VERSION = 3;
/**
 * Which OffsetCommitValue version a commit is written in: one version for every commit, or a
 * release's rule (v1 when the commit carries an expire timestamp, i.e. the request gave a
 * retention time, else the release's plain version: 3 up to 4.0, 4 from 4.1).
 */
export type OffsetCommitValueVersion = 1 | 3 | 4 | { plain: 3 | 4 };

export function offsetCommitValueVersionFor(policy: OffsetCommitValueVersion, expireTimestamp: bigint): 1 | 3 | 4 {
  if (typeof policy === 'number') return policy;
  return expireTimestamp >= 0n ? 1 : policy.plain;
}

export interface EncodedRecord {
  key: Buffer;
  value: Buffer | null;
}

/**
 * Turns a coordinator record into the key and value bytes Kafka writes to `__consumer_offsets`,
 * using the shared record encoders so the recovery scanner and this coordinator agree on every byte.
 */
export function encodeCoordinatorRecord(
  record: CoordinatorRecord,
  offsetCommitValueVersion: OffsetCommitValueVersion,
): EncodedRecord {
  switch (record.kind) {
    case 'offset':
      return {
        key: encodeOffsetCommitKey({ group: record.group, topic: record.topic, partition: record.partition }),
        value:
          record.value === null
            ? null
            : encodeOffsetCommitValue(
                {
                  offset: record.value.offset,
                  leaderEpoch: record.value.leaderEpoch,
                  metadata: record.value.metadata,
                  commitTimestamp: record.value.commitTimestamp,
                  expireTimestamp: record.value.expireTimestamp,
                },
                offsetCommitValueVersionFor(offsetCommitValueVersion, record.value.expireTimestamp),
              ),
      };
    case 'group':
      return {
        key: encodeGroupMetadataKey(record.group),
        value:
          record.value === null
            ? null
            : encodeGroupMetadataValue(record.value, GROUP_METADATA_VALUE_VERSION),
      };
    case 'consumer':
      return encodeConsumerGroupRecord(record.record);
    default:
      throw new RangeError(`record type ${record.recordType} is not written by the group coordinator`);
  }
}

/** The inverse, for replay: record types no group coordinator here owns (share, streams) come back as `other`. */
export function decodeCoordinatorRecord(key: Buffer | null, value: Buffer | null): CoordinatorRecord {
  const decoded = decodeOffsetsRecord(key, value);
  switch (decoded.kind) {
    case 'offset-commit':
      return {
        kind: 'offset',
        group: decoded.group,
        topic: decoded.topic,
        partition: decoded.partition,
        value: decoded.tombstone
          ? null
          : {
              offset: decoded.value.offset,
              leaderEpoch: decoded.value.leaderEpoch,
              metadata: decoded.value.metadata,
              commitTimestamp: decoded.value.commitTimestamp,
              expireTimestamp: decoded.value.expireTimestamp,
            },
      };
    case 'group-metadata':
      return {
        kind: 'group',
        group: decoded.group,
        value: decoded.tombstone
          ? null
          : {
              protocolType: decoded.value.protocolType,
              generation: decoded.value.generation,
              protocol: decoded.value.protocol,
              leader: decoded.value.leader,
              currentStateTimestamp: decoded.value.currentStateTimestamp,
              members: decoded.value.members.map((m) => ({
                memberId: m.memberId,
                groupInstanceId: m.groupInstanceId,
                clientId: m.clientId,
                clientHost: m.clientHost,
                rebalanceTimeout: m.rebalanceTimeout,
                sessionTimeout: m.sessionTimeout,
                subscriptionBytes: m.subscriptionBytes,
                assignmentBytes: m.assignmentBytes,
              })),
            },
      };
    case 'group-record': {
      if (!CONSUMER_GROUP_RECORD_TYPES.has(decoded.recordType) || key === null) return { kind: 'other', recordType: decoded.recordType };
      const consumer = decodeConsumerGroupRecord(key, value);
      return consumer === null ? { kind: 'other', recordType: decoded.recordType } : { kind: 'consumer', record: consumer };
    }
    default:
      return { kind: 'other', recordType: decoded.recordType ?? -1 };
  }
}
