import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteUnderflowError } from '../../../../lambdas/core/bytes/index.ts';
import {
  compileSchema,
  consumerProtocolSchemas,
  coordinatorSchemas,
  decodeMessage,
  encodeMessage,
  readMessage,
  SchemaCodecError,
  type MessageSchema,
} from '../../../../lambdas/core/schema/index.ts';
import { protocolSchemas } from '../../../../local/kafka/protocol/protocol-schemas.generated.ts';
import { renderModule, targets, vendoredSchemaDir } from '../../../../scripts/generate-schemas.ts';
import { loadVectors } from '../../../support/shared-schemas.ts';

const vectors = loadVectors();
const vector = (name: string) => {
  const found = vectors.records.find((r) => r.name === name);
  if (!found) throw new Error(`no vector ${name}`);
  return found;
};

/** A __consumer_offsets value: int16 version, then the struct at that version. */
function splitValue(hex: string): { version: number; body: Buffer } {
  const bytes = Buffer.from(hex, 'hex');
  return { version: bytes.readInt16BE(0), body: bytes.subarray(2) };
}

function versionsOf(schema: MessageSchema): number[] {
  const range = schema.validVersions;
  if (!range) return [];
  const out: number[] = [];
  for (let v = range.min; v <= Math.min(range.max, 30); v++) out.push(v);
  return out;
}

describe('schema engine on the golden vectors', () => {
  it('decodes OffsetCommitValue v4 with a known and an unknown tagged field, and re-encodes it byte for byte', () => {
    const { version, body } = splitValue(vector('offset-value-v4-topicid-and-unknown-tag').valueHex!);
    const value = decodeMessage(coordinatorSchemas.OffsetCommitValue!, version, body);
    expect(value.offset).toBe(120034n);
    expect(value.leaderEpoch).toBe(4);
    expect(value.metadata).toBe('v4-meta');
    expect(value.commitTimestamp).toBe(1760000000000n);
    expect(value.topicId).toBe('5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a');
    expect(value._unknownTaggedFields).toEqual([[5, Buffer.from('010203', 'hex')]]);
    expect(encodeMessage(coordinatorSchemas.OffsetCommitValue!, version, value).equals(body)).toBe(true);
  });

  it('fills fields absent from a version with their defaults', () => {
    const { version, body } = splitValue(vector('offset-key-v1-value-v2').valueHex!);
    const value = decodeMessage(coordinatorSchemas.OffsetCommitValue!, version, body);
    expect(value).toMatchObject({ offset: 15004n, leaderEpoch: -1, expireTimestamp: -1n, metadata: '' });
    expect(value.topicId).toBe('00000000-0000-0000-0000-000000000000');
  });

  it('keeps int64 values beyond 2^53 exact', () => {
    const { version, body } = splitValue(vector('offset-near-int64-max').valueHex!);
    expect(decodeMessage(coordinatorSchemas.OffsetCommitValue!, version, body).offset).toBe(9223372036854775806n);
  });

  it('round-trips every GroupMetadataValue vector, flexible v4 included', () => {
    for (const record of vectors.records.filter((r) => r.name.startsWith('group-') && r.valueHex)) {
      const { version, body } = splitValue(record.valueHex!);
      const value = decodeMessage(coordinatorSchemas.GroupMetadataValue!, version, body);
      expect(value.generation, record.name).toBe(record.expect.generation);
      expect(value.protocolType, record.name).toBe(record.expect.protocolType);
      expect(encodeMessage(coordinatorSchemas.GroupMetadataValue!, version, value).equals(body), record.name).toBe(true);
    }
  });

  it('decodes the embedded consumer protocol subscription (v3, with rack)', () => {
    const member = (vector('group-value-v3-consumer-static-member').expect.members as Array<Record<string, unknown>>)[0]!;
    const bytes = Buffer.from(member.subscriptionHex as string, 'hex');
    const value = decodeMessage(consumerProtocolSchemas.ConsumerProtocolSubscription!, bytes.readInt16BE(0), bytes.subarray(2));
    expect(value.topics).toEqual(['orders', 'refunds']);
    expect(value.rackId).toBe('eu-west-1a');
    expect(value.generationId).toBe(12);
  });
});

describe('schema engine on every protocol and coordinator schema', () => {
  const all = { ...protocolSchemas, ...coordinatorSchemas, ...consumerProtocolSchemas };
  it('encodes the default message of every valid version and decodes it back to the same bytes', () => {
    let checked = 0;
    for (const schema of Object.values(all)) {
      for (const version of versionsOf(schema)) {
        const bytes = encodeMessage(schema, version, {});
        const again = encodeMessage(schema, version, decodeMessage(schema, version, bytes));
        expect(again.equals(bytes), `${schema.name} v${version}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('never writes RequestHeader.ClientId compactly, even in the flexible header v2', () => {
    const header = protocolSchemas.RequestHeader!;
    const bytes = encodeMessage(header, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'abc' });
    // int16 key, int16 version, int32 correlation id, int16 length + "abc", then an empty tagged section.
    expect(bytes.toString('hex')).toBe('0012000300000007' + '0003616263' + '00');
  });

  it('uses compact lengths and tagged sections in flexible versions', () => {
    const request = protocolSchemas.ApiVersionsRequest!;
    const bytes = encodeMessage(request, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    expect(bytes.toString('hex')).toBe('027802' + '3100');
  });
});

describe('schema engine on bad bytes', () => {
  const schema = coordinatorSchemas.OffsetCommitValue!;
  it('reports running out of bytes as an underflow', () => {
    const { version, body } = splitValue(vector('offset-key-v1-value-v3').valueHex!);
    expect(() => readMessage(schema, version, new ByteReader(body.subarray(0, body.length - 3)))).toThrow(ByteUnderflowError);
  });

  it('rejects a null where the schema does not allow one', () => {
    // offset 0, leaderEpoch -1, metadata length -1 (null), timestamp 0: metadata is never nullable.
    const body = Buffer.from('0000000000000000' + 'ffffffff' + 'ffff' + '0000000000000000', 'hex');
    expect(() => decodeMessage(schema, 3, body)).toThrow(SchemaCodecError);
  });

  it('rejects trailing bytes and versions the schema does not define', () => {
    const { version, body } = splitValue(vector('offset-key-v1-value-v3').valueHex!);
    expect(() => decodeMessage(schema, version, Buffer.concat([body, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeMessage(schema, 9, body)).toThrow(/not a valid version/);
  });

  it('rejects an unknown struct type when compiling', () => {
    expect(() =>
      compileSchema({ name: 'X', type: 'data', validVersions: '0', flexibleVersions: 'none', fields: [{ name: 'A', type: 'Missing', versions: '0+' }] }),
    ).toThrow(/unknown struct type/);
  });
});

describe('generated schema modules', () => {
  it('are in sync with vendor/kafka-schemas', () => {
    for (const target of targets) {
      const current = readFileSync(resolve(import.meta.dirname, '..', '..', '..', '..', target.output), 'utf8');
      expect(current === renderModule(target, vendoredSchemaDir), `${target.output} is stale: npm run generate:schemas`).toBe(true);
    }
  });
});
