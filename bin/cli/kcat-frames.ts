/**
 * kcat cannot print bytes as hex, but it can print lengths before raw bytes. With
 * `-f '%p %o %K %S\n%k%s'` every record becomes a text header "partition offset keyLength
 * valueLength" (-1 for null) and then exactly that many raw key and value bytes, which can be
 * split apart again without any delimiter guessing. This reads that stream.
 */
import type { Readable } from 'node:stream';

export const KCAT_FORMAT = '%p %o %K %S\\n%k%s';

export interface KcatFrame {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface KcatFrameError {
  error: string;
}

const HEADER = /^(\d+) (\d+) (-1|\d+) (-1|\d+)$/;
/** The longest header kcat can print: four numbers and three spaces. */
const MAX_HEADER_BYTES = 64;

/** Frames in input order; a malformed header ends the stream with one error (nothing after it can be trusted). */
export async function* readKcatFrames(input: Readable): AsyncGenerator<KcatFrame | KcatFrameError> {
  let pending = Buffer.alloc(0);
  let consumed = 0;
  for await (const chunk of input) {
    pending = Buffer.concat([pending, typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)]);
    for (;;) {
      const frame = nextFrame(pending, consumed);
      if (frame === null) break;
      if ('error' in frame) {
        yield frame;
        return;
      }
      pending = pending.subarray(frame.end);
      consumed += frame.end;
      yield frame.frame;
    }
  }
  if (pending.length > 0) {
    yield { error: `input ends inside a record at byte ${consumed} (${pending.length} byte(s) left over): was kcat stopped mid-record?` };
  }
}

type Parsed = { frame: KcatFrame; end: number } | KcatFrameError | null;

/** The frame at the start of `data`, or null when more bytes are needed. */
function nextFrame(data: Buffer, consumed: number): Parsed {
  const newline = data.indexOf(0x0a);
  if (newline < 0) return data.length > MAX_HEADER_BYTES ? badHeader(data.subarray(0, 40), consumed) : null;
  const header = HEADER.exec(data.toString('latin1', 0, newline));
  if (header === null) return badHeader(data.subarray(0, Math.min(newline, 40)), consumed);
  const keyLength = Number(header[3]);
  const valueLength = Number(header[4]);
  const keyStart = newline + 1;
  const valueStart = keyStart + Math.max(keyLength, 0);
  const end = valueStart + Math.max(valueLength, 0);
  if (data.length < end) return null;
  return {
    frame: {
      partition: Number(header[1]),
      offset: header[2] as string,
      // Copies: the frame must not keep the whole input buffer alive.
      key: keyLength < 0 ? null : Buffer.from(data.subarray(keyStart, valueStart)),
      value: valueLength < 0 ? null : Buffer.from(data.subarray(valueStart, end)),
    },
    end,
  };
}

function badHeader(start: Buffer, consumed: number): KcatFrameError {
  return {
    error:
      `byte ${consumed}: expected a kcat header "partition offset keyLength valueLength", found ${JSON.stringify(start.toString('latin1'))}. ` +
      `Run kcat with -f '${KCAT_FORMAT}' (and without -J, -K or -D)`,
  };
}
