import type { RawField, RawMessageSchema, RawStruct } from './types.ts';
import { inRange, parseVersionRange, type VersionRange } from './versions.ts';

export type PrimitiveKind =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

const PRIMITIVES = new Set<string>([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
]);

export type ValueKind = PrimitiveKind | 'struct';

export interface CompiledField {
  readonly name: string; // camelCase, as values carry it
  readonly schemaName: string;
  readonly isArray: boolean;
  readonly kind: ValueKind; // of the element when isArray
  readonly struct: CompiledStruct | null;
  readonly versions: VersionRange | null;
  readonly nullableVersions: VersionRange | null;
  readonly taggedVersions: VersionRange | null;
  readonly tag: number | null;
  /** Field-level override: e.g. RequestHeader.ClientId is never compact, even in flexible headers. */
  readonly flexibleVersions: VersionRange | null | undefined;
  readonly rawDefault: RawField['default'];
}

/** Which fields are on the wire for one version, computed once per version. */
export interface StructPlan {
  readonly inline: CompiledField[];
  readonly tagged: Map<number, CompiledField>;
  readonly absent: CompiledField[];
}

export class CompiledStruct {
  readonly name: string;
  readonly fields: CompiledField[] = [];
  private readonly plans = new Map<number, StructPlan>();

  constructor(name: string) {
    this.name = name;
  }

  plan(version: number): StructPlan {
    let plan = this.plans.get(version);
    if (plan === undefined) {
      const inline: CompiledField[] = [];
      const tagged = new Map<number, CompiledField>();
      const absent: CompiledField[] = [];
      for (const field of this.fields) {
        if (!inRange(field.versions, version)) absent.push(field);
        else if (field.tag !== null && inRange(field.taggedVersions, version)) tagged.set(field.tag, field);
        else inline.push(field);
      }
      plan = { inline, tagged, absent };
      this.plans.set(version, plan);
    }
    return plan;
  }
}

export interface MessageSchema {
  readonly name: string;
  readonly type: string;
  readonly apiKey: number | null;
  readonly validVersions: VersionRange | null;
  readonly flexibleVersions: VersionRange | null;
  readonly root: CompiledStruct;
}

export function toValueName(schemaName: string): string {
  return schemaName.charAt(0).toLowerCase() + schemaName.slice(1);
}

export function compileSchema(raw: RawMessageSchema): MessageSchema {
  const common = new Map<string, RawStruct>();
  for (const struct of raw.commonStructs ?? []) common.set(struct.name, struct);
  const compiled = new Map<string, CompiledStruct>();

  const compileStruct = (name: string, fields: RawField[]): CompiledStruct => {
    const struct = new CompiledStruct(name);
    compiled.set(name, struct);
    for (const field of fields) struct.fields.push(compileField(field));
    return struct;
  };

  const compileField = (field: RawField): CompiledField => {
    const isArray = field.type.startsWith('[]');
    const elementType = isArray ? field.type.slice(2) : field.type;
    let kind: ValueKind;
    let struct: CompiledStruct | null = null;
    if (PRIMITIVES.has(elementType)) {
      kind = elementType as PrimitiveKind;
    } else {
      kind = 'struct';
      if (field.fields !== undefined) struct = compileStruct(elementType, field.fields);
      else {
        const shared = compiled.get(elementType) ?? common.get(elementType);
        if (shared === undefined) throw new Error(`${raw.name}: unknown struct type "${elementType}"`);
        struct = shared instanceof CompiledStruct ? shared : compileStruct(shared.name, shared.fields);
      }
    }
    return {
      name: toValueName(field.name),
      schemaName: field.name,
      isArray,
      kind,
      struct,
      versions: parseVersionRange(field.versions ?? field.taggedVersions),
      nullableVersions: parseVersionRange(field.nullableVersions),
      taggedVersions: parseVersionRange(field.taggedVersions),
      tag: field.tag ?? null,
      flexibleVersions: field.flexibleVersions === undefined ? undefined : parseVersionRange(field.flexibleVersions),
      rawDefault: field.default,
    };
  };

  const root = compileStruct(raw.name, raw.fields);
  return {
    name: raw.name,
    type: raw.type,
    apiKey: raw.apiKey ?? null,
    validVersions: parseVersionRange(raw.validVersions),
    flexibleVersions: parseVersionRange(raw.flexibleVersions),
    root,
  };
}

export function compileSchemas(raws: Record<string, RawMessageSchema>): Record<string, MessageSchema> {
  const out: Record<string, MessageSchema> = {};
  for (const [name, raw] of Object.entries(raws)) out[name] = compileSchema(raw);
  return out;
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexibleVersions, version);
}

export function isValidVersion(schema: MessageSchema, version: number): boolean {
  return inRange(schema.validVersions, version);
}
