import { invalidInput } from './errors.ts';

const INT32_MIN = -2147483648;

/**
 * java.lang.String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, wrapping at
 * 32 bits. JavaScript strings are UTF-16 too, so charCodeAt yields exactly Java's code units
 * (a surrogate pair counts as two), and Math.imul keeps the multiplication in int32.
 */
export function javaStringHashCode(s: string): number {
  let hash = 0;
  for (let i = 0; i < s.length; i++) {
    hash = (Math.imul(hash, 31) + s.charCodeAt(i)) | 0;
  }
  return hash;
}

/**
 * Kafka's Utils.abs: like Math.abs, except that Integer.MIN_VALUE (whose absolute value does not
 * fit in an int32) maps to 0 instead of staying negative.
 */
export function kafkaAbs(n: number): number {
  return n === INT32_MIN ? 0 : Math.abs(n);
}

/**
 * The `__consumer_offsets` partition whose leader coordinates `groupId`:
 * Utils.abs(groupId.hashCode()) % partitionCount. The count must come from topic metadata;
 * `offsets.topic.num.partitions` is 50 only by default.
 */
export function partitionForGroup(groupId: string, partitionCount: number): number {
  if (typeof groupId !== 'string') {
    throw invalidInput('groupId', `expected a string, got ${typeof groupId}`, 'Pass the consumer group id as text.');
  }
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw invalidInput(
      'partitionCount',
      `expected an integer >= 1, got ${String(partitionCount)}`,
      'Use the partition count of __consumer_offsets from the cluster metadata.',
    );
  }
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
}
