export type { RawField, RawMessageSchema, RawStruct, MessageValue } from './types.ts';
export { parseVersionRange, inRange, type VersionRange } from './versions.ts';
export {
  compileSchema,
  compileSchemas,
  isFlexible,
  isValidVersion,
  toValueName,
  type MessageSchema,
  type CompiledField,
  type CompiledStruct,
} from './compile.ts';
export { readMessage, writeMessage, encodeMessage, decodeMessage, defaultValue, SchemaCodecError } from './codec.ts';
export { coordinatorSchemas } from './coordinator-schemas.generated.ts';
export { consumerProtocolSchemas } from './consumer-protocol-schemas.generated.ts';
