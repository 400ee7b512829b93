import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError } from '../../../src/protocol/errors.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

const require = createRequire(import.meta.url);
// KafkaJS's encoder as an independent reference for varint/varlong encodings.
const KEncoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeVarInt(v: number): unknown;
  writeUVarInt(v: number): unknown;
  writeVarLong(v: unknown): unknown;
  buffer: Buffer;
};
const Long = require('kafkajs/src/utils/long') as { fromString(s: string): unknown };

function expectDecodeError(fn: () => unknown): void {
  expect(fn).toThrow(ProtocolDecodeError);
  try {
    fn();
  } catch (e) {
    expect((e as ProtocolDecodeError).code).toBe('STRATA_ERR_DECODE');
  }
}

describe('Reader', () => {
  it('reads fixed-width big-endian integers', () => {
    const b = Buffer.alloc(8 + 4 + 2 + 1 + 8 + 2 + 4);
    let o = 0;
    o = b.writeBigInt64BE(-2n, o);
    o = b.writeInt32BE(-123456, o);
    o = b.writeInt16BE(-2, o);
    o = b.writeInt8(-1, o);
    o = b.writeDoubleBE(1.5, o);
    o = b.writeUInt16BE(65535, o);
    b.writeUInt32BE(0xfffffffe, o);
    const r = new Reader(b);
    expect(r.int64()).toBe(-2n);
    expect(r.int32()).toBe(-123456);
    expect(r.int16()).toBe(-2);
    expect(r.int8()).toBe(-1);
    expect(r.float64()).toBe(1.5);
    expect(r.uint16()).toBe(65535);
    expect(r.uint32()).toBe(0xfffffffe);
    expect(r.remaining()).toBe(0);
  });

  it('throws ProtocolDecodeError (not RangeError) on every short read', () => {
    const r = () => new Reader(Buffer.alloc(1), 1);
    for (const f of ['int8', 'int16', 'int32', 'int64', 'float64', 'uint16', 'uint32', 'bool', 'uuid', 'uvarint', 'varint', 'varlong', 'string', 'bytes'] as const) {
      expectDecodeError(() => (r()[f] as () => unknown)());
    }
  });

  it('respects an end offset narrower than the buffer', () => {
    const r = new Reader(Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), 0, 6);
    expect(r.int32()).toBe(1);
    expectDecodeError(() => r.int32());
    expect(r.offset).toBe(4);
  });

  it('decodes varints like KafkaJS encodes them', () => {
    for (const v of [0, 1, -1, 63, -64, 64, 300, -300, 2147483647, -2147483648, 123456789]) {
      const e = new KEncoder();
      e.writeVarInt(v);
      const r = new Reader(e.buffer);
      expect(r.varint()).toBe(v);
      expect(r.remaining()).toBe(0);
    }
    for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1]) {
      const e = new KEncoder();
      e.writeUVarInt(v);
      expect(new Reader(e.buffer).uvarint()).toBe(v);
    }
    for (const s of ['0', '1', '-1', '1234567890123', '-1234567890123', '9223372036854775807', '-9223372036854775808', '281474976710656', '-281474976710657']) {
      const e = new KEncoder();
      e.writeVarLong(Long.fromString(s));
      const r = new Reader(e.buffer);
      expect(r.varlong()).toBe(BigInt(s));
      expect(r.remaining()).toBe(0);
    }
  });

  it('round-trips varints/varlongs with Writer', () => {
    const w = new Writer();
    const ints = [0, 1, -1, 2147483647, -2147483648, 1000, -1000];
    const longs = [0n, -1n, 1n << 62n, -(1n << 63n), (1n << 63n) - 1n, 1n << 49n, -(1n << 49n) - 1n];
    for (const v of ints) w.varint(v);
    for (const v of longs) w.varlong(v);
    w.uvarint(0xffffffff);
    const r = new Reader(w.toBuffer());
    for (const v of ints) expect(r.varint()).toBe(v);
    for (const v of longs) expect(r.varlong()).toBe(v);
    expect(r.uvarint()).toBe(0xffffffff);
  });

  it('rejects over-long varints', () => {
    expectDecodeError(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).uvarint());
    expectDecodeError(() => new Reader(Buffer.alloc(11, 0x80)).varlong());
    expectDecodeError(() => new Reader(Buffer.from([0x80, 0x80])).uvarint());
  });

  it('reads strings in all four encodings', () => {
    const w = new Writer();
    w.string('héllo').nullableString(null).compactString('中文').compactNullableString(null).compactNullableString('');
    const r = new Reader(w.toBuffer());
    expect(r.string()).toBe('héllo');
    expect(r.nullableString()).toBeNull();
    expect(r.compactString()).toBe('中文');
    expect(r.compactNullableString()).toBeNull();
    expect(r.compactNullableString()).toBe('');
  });

  it('rejects null for non-nullable strings/bytes and bad lengths', () => {
    expectDecodeError(() => new Reader(Buffer.from([0xff, 0xff])).string());
    expectDecodeError(() => new Reader(Buffer.from([0xff, 0xfe])).nullableString());
    expectDecodeError(() => new Reader(Buffer.from([0])).compactString());
    expectDecodeError(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])).bytes());
    expectDecodeError(() => new Reader(Buffer.from([0])).compactBytes());
    // length longer than the input
    expectDecodeError(() => new Reader(Buffer.from([0, 5, 0x61])).string());
    expectDecodeError(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1])).bytes());
  });

  it('returns bytes as zero-copy subarrays and uuids as copies', () => {
    const w = new Writer();
    w.bytes(Buffer.from([1, 2, 3])).compactBytes(Buffer.from([4])).uuid(Buffer.alloc(16, 7));
    const buf = w.toBuffer();
    const r = new Reader(buf);
    const a = r.bytes();
    expect(a.buffer).toBe(buf.buffer);
    expect(a.byteOffset).toBe(buf.byteOffset + 4);
    a[0] = 9;
    expect(buf[4]).toBe(9);
    expect([...r.compactBytes()]).toEqual([4]);
    const u = r.uuid();
    expect(u.equals(Buffer.alloc(16, 7))).toBe(true);
    expect(u.buffer === buf.buffer && u.byteOffset >= buf.byteOffset && u.byteOffset < buf.byteOffset + buf.length).toBe(false);
  });

  it('validates array lengths against remaining bytes before allocating', () => {
    expect(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])).arrayLength()).toBe(-1);
    expect(new Reader(Buffer.from([0])).compactArrayLength()).toBe(-1);
    expectDecodeError(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).arrayLength());
    expectDecodeError(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xfe])).arrayLength());
    expectDecodeError(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])).compactArrayLength());
    expect(new Reader(Buffer.from([0, 0, 0, 2, 1, 2])).arrayLength()).toBe(2);
    expectDecodeError(() => new Reader(Buffer.from([0, 0, 0, 3, 1, 2])).arrayLength());
  });

  it('reads unknown tagged fields and enforces pushLimit/popLimit', () => {
    const r = new Reader(Buffer.from([2, 1, 2, 0xaa, 0xbb, 9, 0]));
    expect(r.unknownTaggedFields()).toEqual([
      { tag: 1, data: Buffer.from([0xaa, 0xbb]) },
      { tag: 9, data: Buffer.alloc(0) },
    ]);
    expect(new Reader(Buffer.from([0])).unknownTaggedFields()).toBeUndefined();
    expectDecodeError(() => new Reader(Buffer.from([5, 1])).unknownTaggedFields());

    const r2 = new Reader(Buffer.from([0, 0, 0, 1, 0xff]));
    const lim = r2.pushLimit(3);
    expect(r2.int16()).toBe(0);
    expectDecodeError(() => r2.int16()); // only one byte left inside the limit
    expectDecodeError(() => r2.popLimit(lim)); // trailing byte inside the tagged field
    r2.int8();
    r2.popLimit(lim);
    expect(r2.remaining()).toBe(2);
    expectDecodeError(() => new Reader(Buffer.from([1])).pushLimit(2));
  });
});
