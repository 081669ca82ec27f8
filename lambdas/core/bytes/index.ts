export { ByteReader, ByteUnderflowError } from './reader.ts';
export { ByteWriter } from './writer.ts';
