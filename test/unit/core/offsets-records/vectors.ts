import { pathToFileURL } from 'node:url';
import { loadVectors, kafkaSchemasDir } from '../../../support/shared-schemas.ts';
import type { RecordVector } from '../../../support/shared-schemas.ts';

export type { RecordVector } from '../../../support/shared-schemas.ts';

export const recordVectors: RecordVector[] = loadVectors().records;

export function keyOf(vector: RecordVector): Buffer {
  return Buffer.from(vector.keyHex, 'hex');
}

export function valueOf(vector: RecordVector): Buffer | null {
  return vector.valueHex === null ? null : Buffer.from(vector.valueHex, 'hex');
}

export const schemaDirUrl = pathToFileURL(`${kafkaSchemasDir}/coordinator/`);
