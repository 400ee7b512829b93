import { describe, expect, it } from 'vitest';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer, ZERO_COPY_THRESHOLD } from '../../../src/protocol/writer.js';

describe('Writer', () => {
  it('writes big-endian primitives', () => {
    const w = new Writer(4);
    w.int8(-1).int16(-2).int32(-3).int64(-4n).float64(2.5).bool(true).uint16(65535).uint32(0xffffffff);
    const b = w.toBuffer();
    expect(b.length).toBe(w.length);
    expect(b.readInt8(0)).toBe(-1);
    expect(b.readInt16BE(1)).toBe(-2);
    expect(b.readInt32BE(3)).toBe(-3);
    expect(b.readBigInt64BE(7)).toBe(-4n);
    expect(b.readDoubleBE(15)).toBe(2.5);
    expect(b[23]).toBe(1);
    expect(b.readUInt16BE(24)).toBe(65535);
    expect(b.readUInt32BE(26)).toBe(0xffffffff);
  });

  it('grows from a tiny initial capacity', () => {
    const w = new Writer(1);
    for (let i = 0; i < 1000; i++) w.int32(i);
    const r = new Reader(w.toBuffer());
    for (let i = 0; i < 1000; i++) expect(r.int32()).toBe(i);
  });

  it('encodes strings with their UTF-8 byte length', () => {
    const w = new Writer(2);
    w.string('日本😀').compactString('é');
    const b = w.toBuffer();
    expect(b.readInt16BE(0)).toBe(Buffer.byteLength('日本😀'));
    const r = new Reader(b);
    expect(r.string()).toBe('日本😀');
    expect(r.compactString()).toBe('é');
  });

  it('appends large payloads as separate chunks without copying', () => {
    const big = Buffer.alloc(ZERO_COPY_THRESHOLD, 1);
    const small = Buffer.alloc(ZERO_COPY_THRESHOLD - 1, 2);
    const w = new Writer();
    w.int32(7).bytes(big).compactBytes(small).nullableBytes(big).int16(5);
    const chunks = w.chunks();
    expect(chunks.filter((c) => c === big)).toHaveLength(2);
    expect(chunks.some((c) => c === small)).toBe(false); // small payloads are copied
    const all = w.toBuffer();
    expect(all.length).toBe(w.length);
    expect(Buffer.concat(chunks).equals(all)).toBe(true);
    const r = new Reader(all);
    expect(r.int32()).toBe(7);
    expect(r.bytes().equals(big)).toBe(true);
    expect(r.compactBytes().equals(small)).toBe(true);
    expect(r.nullableBytes()!.equals(big)).toBe(true);
    expect(r.int16()).toBe(5);
  });

  it('patches a frame length after chunks were split off', () => {
    const big = Buffer.alloc(5000, 3);
    const chunks = Writer.frame((w) => {
      w.int32(42);
      w.bytes(big);
      w.int8(1);
    });
    expect(chunks.length).toBe(3);
    expect(chunks[1]).toBe(big);
    const all = Buffer.concat(chunks);
    expect(all.readInt32BE(0)).toBe(all.length - 4);
    expect(all.readInt32BE(4)).toBe(42);

    const w = new Writer();
    w.int32(0);
    w.raw(big);
    w.int32(0);
    w.patchInt32(0, 11);
    w.patchInt32(4 + big.length, 22);
    const b = w.toBuffer();
    expect(b.readInt32BE(0)).toBe(11);
    expect(b.readInt32BE(4 + big.length)).toBe(22);
  });

  it('beginSized/endSized prefixes a section with its uvarint length', () => {
    for (const size of [0, 1, 127, 128, 3000, 20000]) {
      const w = new Writer(8);
      w.int8(9);
      const s = w.beginSized();
      w.raw(Buffer.alloc(size, 4)); // large payloads are copied inside sized sections
      w.endSized(s);
      w.int8(8);
      const r = new Reader(w.toBuffer());
      expect(r.int8()).toBe(9);
      expect(r.uvarint()).toBe(size);
      expect(r.raw(size).equals(Buffer.alloc(size, 4))).toBe(true);
      expect(r.int8()).toBe(8);
      expect(r.remaining()).toBe(0);
    }
  });

  it('writes unknown tagged fields interleaved by tag', () => {
    const u = [
      { tag: 1, data: Buffer.from([1]) },
      { tag: 5, data: Buffer.from([5, 5]) },
    ];
    const w = new Writer();
    let ui = 0;
    ui = w.rawTaggedFieldsBefore(u, ui, 3);
    w.uvarint(3).uvarint(0);
    w.rawTaggedFieldsBefore(u, ui, Infinity);
    expect([...w.toBuffer()]).toEqual([1, 1, 1, 3, 0, 5, 2, 5, 5]);
    const w2 = new Writer();
    w2.taggedFields(undefined).taggedFields(u);
    expect([...w2.toBuffer()]).toEqual([0, 2, 1, 1, 1, 5, 2, 5, 5]);
  });
});
