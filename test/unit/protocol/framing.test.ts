import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, ProtocolDecodeError } from '../../../src/protocol/errors.js';
import { FrameDecoder, frameOwnsBuffer } from '../../../src/protocol/framing.js';

function frame(payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

describe('FrameDecoder', () => {
  const payloads = [Buffer.from('abc'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from([1])];
  const stream = Buffer.concat(payloads.map(frame));

  it('returns many frames from one chunk as subarrays', () => {
    const d = new FrameDecoder();
    const frames = d.push(stream);
    expect(frames.map((f) => f.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
    for (const f of frames) expect(f.buffer).toBe(stream.buffer);
    expect(d.buffered).toBe(0);
  });

  it('handles every split point, and byte-by-byte delivery', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(frames.map((f) => f.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
    }
    const d = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...d.push(stream.subarray(i, i + 1)));
    expect(frames.map((f) => f.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
  });

  it('rejects oversized and negative frame sizes with a typed error', () => {
    const d = new FrameDecoder({ maxFrameBytes: 10 });
    expect(() => d.push(frame(Buffer.alloc(11)))).toThrow(FrameTooLargeError);
    // the decoder stays failed
    expect(() => d.push(Buffer.alloc(1))).toThrow(ProtocolDecodeError);
    const neg = Buffer.alloc(4);
    neg.writeInt32BE(-5, 0);
    const d2 = new FrameDecoder();
    try {
      d2.push(neg);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FrameTooLargeError);
      expect((e as FrameTooLargeError).code).toBe('STRATA_ERR_DECODE');
      expect((e as FrameTooLargeError).frameSize).toBe(-5);
    }
    // a size split across chunks is checked too
    const d3 = new FrameDecoder({ maxFrameBytes: 10 });
    expect(d3.push(Buffer.from([0, 0]))).toEqual([]);
    expect(() => d3.push(Buffer.from([1, 0]))).toThrow(FrameTooLargeError);
  });

  it('does not allocate the announced size before the bytes arrive', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1 << 30 });
    const head = Buffer.alloc(6);
    head.writeInt32BE(1 << 29, 0);
    expect(d.push(head)).toEqual([]);
    expect(d.buffered).toBe(2);
  });
});

describe('frameOwnsBuffer', () => {
  it('is true only for frames assembled from several chunks, never for a view into a chunk', () => {
    const body = Buffer.alloc(5000, 7);
    const wire = Buffer.concat([Buffer.from([0, 0, 0x13, 0x88]), body, Buffer.from([0, 0, 0, 2, 1, 2])]);
    const split = new FrameDecoder({ maxFrameBytes: 1 << 20 });
    const assembled = [...split.push(wire.subarray(0, 100)), ...split.push(wire.subarray(100))];
    expect(assembled.map((f) => f.length)).toEqual([5000, 2]);
    expect(frameOwnsBuffer(assembled[0]!)).toBe(true);
    expect(frameOwnsBuffer(assembled[1]!)).toBe(false); // cut out of the second chunk
    const whole = new FrameDecoder({ maxFrameBytes: 1 << 20 }).push(Buffer.from(wire));
    expect(whole.map((f) => frameOwnsBuffer(f))).toEqual([false, false]);
  });
});
