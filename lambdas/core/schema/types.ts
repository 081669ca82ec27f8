/**
 * The subset of Kafka's message-schema JSON (clients/src/main/resources/common/message/*.json)
 * that decides the bytes on the wire. Prose ("about") and code-generator hints are not kept.
 */
export interface RawField {
  name: string;
  type: string;
  /** Absent on some tagged fields: they then exist exactly in their taggedVersions. */
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean | null;
  flexibleVersions?: string;
  fields?: RawField[];
}

export interface RawStruct {
  name: string;
  versions: string;
  fields: RawField[];
}

export interface RawMessageSchema {
  name: string;
  type: string; // request, response, header, data, coordinator-key, coordinator-value
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: RawField[];
  commonStructs?: RawStruct[];
}

/** A decoded struct: camelCase field names, plus the tagged fields this schema does not know. */
export type MessageValue = Record<string, unknown> & { _unknownTaggedFields?: Array<[number, Buffer]> };
