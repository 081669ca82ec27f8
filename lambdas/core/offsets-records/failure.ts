import type { SkipReason } from './types.ts';

/** Thrown inside the decoders only; decodeOffsetsRecord turns it into a SkippedRecord. */
export class RecordDecodeFailure extends Error {
  readonly reason: SkipReason;

  constructor(reason: SkipReason, detail: string) {
    super(detail);
    this.name = 'RecordDecodeFailure';
    this.reason = reason;
  }
}

export function corruptValue(detail: string): RecordDecodeFailure {
  return new RecordDecodeFailure('CORRUPT_VALUE', detail);
}

export function corruptKey(detail: string): RecordDecodeFailure {
  return new RecordDecodeFailure('CORRUPT_KEY', detail);
}
