/**
 * Kafka's framing: every request and response is an int32 size followed by that many bytes.
 * The decoder collects socket chunks and yields whole frames; an impossible size (negative, or
 * above the broker's socket.request.max.bytes) is a FramingError and the connection must close.
 */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024; // socket.request.max.bytes

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received but not yet part of a returned frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds a chunk and returns the frames it completed (without their size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peekHead();
      const size = head.readInt32BE(0);
      if (size < 0) throw new FramingError(`frame size ${size} is negative`);
      if (size > this.maxFrameBytes) {
        throw new FramingError(`frame size ${size} is larger than the maximum ${this.maxFrameBytes} (socket.request.max.bytes)`);
      }
      if (this.buffered < 4 + size) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      frames.push(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  private peekHead(): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first;
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }
}

/** Prefixes a frame body with its int32 size. */
export function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}
