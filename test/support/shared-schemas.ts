import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/kafka-schemas beside the repository root. */
export const sharedSchemasDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'kafka-schemas');

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
  return JSON.parse(readFileSync(resolve(sharedSchemasDir, 'vectors.json'), 'utf8')) as VectorsFile;
}
