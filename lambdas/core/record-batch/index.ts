export { crc32c } from './crc32c.ts';
export { DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_RECORDS_PER_BATCH, decodeRecordBatches, readV2Header } from './decode.ts';
export type { DecodeOptions, DecodeResult, RecordBatch } from './decode.ts';
export { DecompressionRefused, compressRecords, decompressRecords } from './compression.ts';
export type { CompressionCodec } from './compression.ts';
export { DataBatch } from './data-batch.ts';
export type { RecordView } from './data-batch.ts';
export { encodeRecordBatch, encodeControlBatch } from './encode.ts';
export type { RecordBatchToEncode, RecordToEncode, ControlBatchToEncode, Int64Input } from './encode.ts';
export { decodeControlMarker, encodeControlKey, encodeControlValue } from './control.ts';
export type {
  BatchHeader,
  Compression,
  ControlMarker,
  ControlType,
  CorruptBatch,
  FramePosition,
  KafkaRecord,
  RecordHeader,
  TimestampType,
  UnsupportedCompressionBatch,
  UnsupportedMagicBatch,
} from './types.ts';
