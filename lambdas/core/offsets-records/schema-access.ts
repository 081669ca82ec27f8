import { invalidInput, RecoveryError } from '../errors.ts';
import { coordinatorSchemas, consumerProtocolSchemas, encodeMessage, type MessageSchema, type MessageValue } from '../schema/index.ts';

/** Looks up a generated schema; a missing one means the generated registry is out of date. */
export function coordinatorSchema(name: string): MessageSchema {
  const schema = coordinatorSchemas[name];
  if (schema === undefined) {
    throw new RecoveryError('CONFIGURATION', `coordinator schema ${name} is missing. Run npm run generate:schemas.`);
  }
  return schema;
}

export function consumerProtocolSchema(name: string): MessageSchema {
  const schema = consumerProtocolSchemas[name];
  if (schema === undefined) {
    throw new RecoveryError('CONFIGURATION', `consumer protocol schema ${name} is missing. Run npm run generate:schemas.`);
  }
  return schema;
}

/**
 * encodeMessage, with the engine's complaints about the value (wrong type, null where the
 * version forbids it) reported as bad input naming the offending field path.
 */
export function encodeWithSchema(schema: MessageSchema, version: number, value: MessageValue, what: string): Buffer {
  try {
    return encodeMessage(schema, version, value);
  } catch (error) {
    if (error instanceof RecoveryError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw invalidInput(what, message, `Check the ${schema.name} v${version} fields.`);
  }
}

/** Shared by the decoders: a copy, so a decoded value does not pin the fetch buffer it came from. */
export function copyOrNull(bytes: unknown): Buffer | null {
  return bytes instanceof Uint8Array ? Buffer.from(bytes) : null;
}

export function copyUnknownTaggedFields(value: MessageValue): Array<[number, Buffer]> {
  const fields = value._unknownTaggedFields;
  return fields === undefined ? [] : fields.map(([tag, bytes]) => [tag, Buffer.from(bytes)]);
}
