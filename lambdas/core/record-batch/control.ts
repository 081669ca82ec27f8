/**
 * Transaction markers (control records): key = int16 version + int16 type
 * (ControlRecordTypeSchema: 0 ABORT, 1 COMMIT), value = int16 version + int32 coordinatorEpoch
 * (EndTxnMarker). Kafka reads only the key to decide; the value is informative.
 */
import type { ControlMarker, ControlType } from './types.ts';

export const CONTROL_TYPE_CODES: Record<ControlType, number> = { ABORT: 0, COMMIT: 1 };

export function decodeControlMarker(key: Buffer | null, value: Buffer | null): ControlMarker | null {
  if (key === null || key.length < 4) return null;
  const keyVersion = key.readInt16BE(0);
  const rawType = key.readInt16BE(2);
  const type: ControlMarker['type'] = rawType === 0 ? 'ABORT' : rawType === 1 ? 'COMMIT' : 'unknown';
  const valueVersion = value !== null && value.length >= 2 ? value.readInt16BE(0) : null;
  const coordinatorEpoch = value !== null && value.length >= 6 ? value.readInt32BE(2) : null;
  return { type, rawType, keyVersion, valueVersion, coordinatorEpoch };
}

export function encodeControlKey(type: ControlType): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(CONTROL_TYPE_CODES[type], 2);
  return key;
}

export function encodeControlValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}
