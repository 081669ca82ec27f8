import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RECORD_TYPE_NAMES, REMOVED_RECORD_TYPES } from '../../../../lambdas/core/offsets-records/index.ts';
import { coordinatorSchemas } from '../../../../lambdas/core/schema/index.ts';
import { schemaDirUrl } from './vectors.ts';

/** Kafka's schema files carry `//` comments; strip whole-line ones before JSON.parse. */
function readSchemaFile(name: string): { name: string; type: string; apiKey?: number } {
  const text = readFileSync(new URL(name, schemaDirUrl), 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  return JSON.parse(text) as { name: string; type: string; apiKey?: number };
}

describe('record type table', () => {
  const keyFiles = readdirSync(schemaDirUrl)
    .filter((file) => file.endsWith('Key.json'))
    .map(readSchemaFile);

  it('names exactly the record types of the coordinator key schemas', () => {
    const fromFiles = new Map(keyFiles.map((schema) => [schema.apiKey, schema.name.replace(/Key$/, '')]));
    expect(keyFiles.every((schema) => schema.type === 'coordinator-key' && typeof schema.apiKey === 'number')).toBe(true);
    expect(new Map([...RECORD_TYPE_NAMES].sort((a, b) => a[0] - b[0]))).toEqual(
      new Map([...fromFiles].sort((a, b) => (a[0] as number) - (b[0] as number))),
    );
  });

  it('has generated key and value schemas for every type', () => {
    for (const name of RECORD_TYPE_NAMES.values()) {
      expect(coordinatorSchemas[`${name}Key`], `${name}Key`).toBeDefined();
      expect(coordinatorSchemas[`${name}Value`], `${name}Value`).toBeDefined();
    }
  });

  it('treats 9 and 18 as removed, not known', () => {
    expect([...REMOVED_RECORD_TYPES.keys()]).toEqual([9, 18]);
    for (const type of REMOVED_RECORD_TYPES.keys()) expect(RECORD_TYPE_NAMES.has(type)).toBe(false);
  });

  it('starts every key with the group id as a string', () => {
    for (const name of RECORD_TYPE_NAMES.values()) {
      const first = readSchemaFile(`${name}Key.json`) as unknown as { fields: Array<{ name: string; type: string }> };
      expect(first.fields[0]?.type, name).toBe('string');
      expect(['group', 'GroupId'], name).toContain(first.fields[0]?.name);
    }
  });
});
