import { describe, expect, it } from 'vitest';
import { FrameDecoder, FramingError, frame } from '../../../../../local/kafka/protocol/frame.ts';

describe('FrameDecoder', () => {
  it('reassembles frames split across chunks and splits several frames in one chunk', () => {
    const a = frame(Buffer.from('hello'));
    const b = frame(Buffer.from('kafka!'));
    const all = Buffer.concat([a, b]);
    const decoder = new FrameDecoder();
    const out: string[] = [];
    for (let i = 0; i < all.length; i += 3) out.push(...decoder.push(all.subarray(i, i + 3)).map((f) => f.toString()));
    expect(out).toEqual(['hello', 'kafka!']);
    expect(decoder.pendingBytes).toBe(0);
    expect(new FrameDecoder().push(all).map((f) => f.toString())).toEqual(['hello', 'kafka!']);
  });

  it('yields an empty frame for size 0 and waits for the rest of a partial frame', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.from([0, 0, 0, 0, 0, 0]))).toEqual([Buffer.alloc(0)]);
    expect(decoder.pendingBytes).toBe(2);
  });

  it('rejects negative and oversized sizes', () => {
    expect(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(FramingError);
    expect(() => new FrameDecoder(1024).push(Buffer.from([0, 0, 4, 1]))).toThrow(/larger than the maximum 1024/);
  });
});
