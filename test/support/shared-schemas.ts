import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Kafka's schema files and the golden vectors, vendored with the repository. */
export const kafkaSchemasDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'vendor', 'kafka-schemas');

export interface RecordVector {
  name: string;
  description: string;
  keyHex: string;
  valueHex: string | null;
  expect: Record<string, unknown>;
}

export interface VectorsFile {
  records: RecordVector[];
  transactionScenarios: { scenarios: Array<Record<string, unknown>> };
  hashVectors: Array<Record<string, unknown>>;
}

export function loadVectors(): VectorsFile {
  return JSON.parse(readFileSync(resolve(kafkaSchemasDir, 'vectors.json'), 'utf8')) as VectorsFile;
}
