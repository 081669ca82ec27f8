import { readFileSync } from 'node:fs';

/** Typed access to ../shared/kafka-schemas/vectors.json (the shared folder sits next to the repository). */

export interface RecordVector {
  name: string;
  description: string;
  keyHex: string;
  valueHex: string | null;
  expect: Record<string, unknown>;
}

const vectorsUrl = new URL('../../../../shared/kafka-schemas/vectors.json', import.meta.url);

export const recordVectors: RecordVector[] = (JSON.parse(readFileSync(vectorsUrl, 'utf8')) as { records: RecordVector[] })
  .records;

export function keyOf(vector: RecordVector): Buffer {
  return Buffer.from(vector.keyHex, 'hex');
}

export function valueOf(vector: RecordVector): Buffer | null {
  return vector.valueHex === null ? null : Buffer.from(vector.valueHex, 'hex');
}

export const schemaDirUrl = new URL('../../../../shared/kafka-schemas/coordinator/', import.meta.url);
