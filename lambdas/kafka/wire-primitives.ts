import { ByteReader, ByteWriter } from '../core/bytes/index.ts';

/** Classic (non-flexible) protocol strings: int16 length + UTF-8, -1 for null. */
export function writeNullableString(writer: ByteWriter, value: string | null): void {
  if (value === null) {
    writer.writeInt16(-1);
    return;
  }
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 0x7fff) throw new RangeError(`string of ${bytes.length} bytes does not fit a Kafka STRING`);
  writer.writeInt16(bytes.length).writeBytes(bytes);
}

export function readNullableString(reader: ByteReader): string | null {
  const length = reader.readInt16();
  return length < 0 ? null : reader.readUtf8(length);
}

export function readString(reader: ByteReader): string {
  return readNullableString(reader) ?? '';
}

/** Classic arrays: int32 count (-1 for null), then the items. */
export function readArray<T>(reader: ByteReader, readItem: (reader: ByteReader) => T): T[] | null {
  const count = reader.readInt32();
  if (count < 0) return null;
  if (count > reader.remaining) throw new RangeError(`array count ${count} exceeds the ${reader.remaining} bytes left`);
  const items: T[] = [];
  for (let i = 0; i < count; i++) items.push(readItem(reader));
  return items;
}

export function writeArray<T>(writer: ByteWriter, items: readonly T[], writeItem: (writer: ByteWriter, item: T) => void): void {
  writer.writeInt32(items.length);
  for (const item of items) writeItem(writer, item);
}

/** The nesting every partitioned API shares: topics by name, each with its partitions. */
export interface TopicPartitions<P> {
  topic: string;
  partitions: P[];
}

/** Reads a topic array; a null array, or a topic's null partition array, reads as empty. */
export function readTopics<P>(reader: ByteReader, readPartition: (reader: ByteReader) => P): TopicPartitions<P>[] {
  return readArray(reader, (r) => ({ topic: readString(r), partitions: readArray(r, readPartition) ?? [] })) ?? [];
}

export function writeTopics<P>(writer: ByteWriter, topics: readonly TopicPartitions<P>[], writePartition: (writer: ByteWriter, partition: P) => void): void {
  writeArray(writer, topics, (w, topic) => {
    writeNullableString(w, topic.topic);
    writeArray(w, topic.partitions, writePartition);
  });
}
