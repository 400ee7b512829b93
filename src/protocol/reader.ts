// Thread: either. Bounds-checked big-endian reader for the Kafka wire protocol.
//
// Every read checks the bytes left against `end` and throws ProtocolDecodeError
// (never RangeError). Length-prefixed values are validated against the bytes
// remaining before anything is allocated. bytes/records are returned as
// zero-copy subarrays of the input buffer; uuids are copied (16 bytes) so they
// can be kept as long-lived keys without pinning large request buffers.
import type { UnknownTaggedField } from './codec-support.js';
import { ProtocolDecodeError } from './errors.js';

export class Reader {
  offset: number;
  /** Exclusive end of the readable region (may be narrowed temporarily by pushLimit). */
  end: number;
  readonly buf: Buffer;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  private eof(need: number): ProtocolDecodeError {
    return new ProtocolDecodeError(
      `unexpected end of input: need ${need} byte(s) at offset ${this.offset}, ${this.end - this.offset} left`,
    );
  }

  /** Advance by n bytes (bounds-checked). */
  skip(n: number): void {
    if (n < 0 || this.offset + n > this.end) throw this.eof(n);
    this.offset += n;
  }

  int8(): number {
    const o = this.offset;
    if (o + 1 > this.end) throw this.eof(1);
    this.offset = o + 1;
    const v = this.buf[o];
    return (v << 24) >> 24;
  }

  uint8(): number {
    const o = this.offset;
    if (o + 1 > this.end) throw this.eof(1);
    this.offset = o + 1;
    return this.buf[o];
  }

  bool(): boolean {
    const o = this.offset;
    if (o + 1 > this.end) throw this.eof(1);
    this.offset = o + 1;
    return this.buf[o] !== 0;
  }

  int16(): number {
    const o = this.offset;
    if (o + 2 > this.end) throw this.eof(2);
    this.offset = o + 2;
    const b = this.buf;
    return (((b[o] << 8) | b[o + 1]) << 16) >> 16;
  }

  uint16(): number {
    const o = this.offset;
    if (o + 2 > this.end) throw this.eof(2);
    this.offset = o + 2;
    const b = this.buf;
    return (b[o] << 8) | b[o + 1];
  }

  int32(): number {
    const o = this.offset;
    if (o + 4 > this.end) throw this.eof(4);
    this.offset = o + 4;
    const b = this.buf;
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  int64(): bigint {
    const o = this.offset;
    if (o + 8 > this.end) throw this.eof(8);
    this.offset = o + 8;
    return this.buf.readBigInt64BE(o);
  }

  float64(): number {
    const o = this.offset;
    if (o + 8 > this.end) throw this.eof(8);
    this.offset = o + 8;
    return this.buf.readDoubleBE(o);
  }

  /** Unsigned varint, at most 5 bytes, returned as an unsigned 32-bit number. */
  uvarint(): number {
    const b = this.buf;
    const end = this.end;
    let o = this.offset;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (o >= end) {
        this.offset = o;
        throw this.eof(1);
      }
      const byte = b[o++];
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        this.offset = o;
        return value >>> 0;
      }
    }
    throw new ProtocolDecodeError(`varint longer than 5 bytes at offset ${this.offset}`);
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const v = this.uvarint();
    return (v >>> 1) ^ -(v & 1);
  }

  /** Zigzag-encoded signed 64-bit varint (at most 10 bytes). */
  varlong(): bigint {
    const b = this.buf;
    const end = this.end;
    let o = this.offset;
    // Low 49 bits accumulate exactly in a double; switch to bigint beyond.
    let low = 0;
    let shift = 0;
    for (; shift < 49; shift += 7) {
      if (o >= end) throw this.eof(1);
      const byte = b[o++];
      low += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        this.offset = o;
        // zigzag decode on a non-negative integer < 2^49
        const half = Math.floor(low / 2);
        return BigInt(low % 2 === 0 ? half : -half - 1);
      }
    }
    let big = BigInt(low);
    for (; shift < 70; shift += 7) {
      if (o >= end) throw this.eof(1);
      const byte = b[o++];
      big |= BigInt(byte & 0x7f) << BigInt(shift);
      if ((byte & 0x80) === 0) {
        this.offset = o;
        big = BigInt.asUintN(64, big);
        return BigInt.asIntN(64, (big >> 1n) ^ -(big & 1n));
      }
    }
    throw new ProtocolDecodeError(`varlong longer than 10 bytes at offset ${this.offset}`);
  }

  /** UUID as a 16-byte copy. */
  uuid(): Buffer {
    const o = this.offset;
    if (o + 16 > this.end) throw this.eof(16);
    this.offset = o + 16;
    return Buffer.from(this.buf.subarray(o, o + 16));
  }

  private utf8(len: number): string {
    const o = this.offset;
    if (o + len > this.end) throw this.eof(len);
    this.offset = o + len;
    return this.buf.toString('utf8', o, o + len);
  }

  private slice(len: number): Buffer {
    const o = this.offset;
    if (o + len > this.end) throw this.eof(len);
    this.offset = o + len;
    return this.buf.subarray(o, o + len);
  }

  /** STRING: int16 length + UTF-8; null (-1) is an error. */
  string(): string {
    const len = this.int16();
    if (len < 0) throw new ProtocolDecodeError(`non-nullable string has length ${len}`);
    return this.utf8(len);
  }

  /** NULLABLE_STRING: int16 length (-1 = null) + UTF-8. */
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) {
      if (len === -1) return null;
      throw new ProtocolDecodeError(`invalid string length ${len}`);
    }
    return this.utf8(len);
  }

  /** COMPACT_STRING: uvarint (length + 1) + UTF-8; null (0) is an error. */
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolDecodeError('non-nullable compact string is null');
    return this.utf8(n - 1);
  }

  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  /** BYTES: int32 length + data (zero-copy subarray); null is an error. */
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new ProtocolDecodeError(`non-nullable bytes has length ${len}`);
    return this.slice(len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) {
      if (len === -1) return null;
      throw new ProtocolDecodeError(`invalid bytes length ${len}`);
    }
    return this.slice(len);
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolDecodeError('non-nullable compact bytes is null');
    return this.slice(n - 1);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.slice(n - 1);
  }

  /**
   * ARRAY length (int32, -1 = null). Throws when the count exceeds the bytes
   * remaining (every element takes at least one byte), before any allocation.
   */
  arrayLength(): number {
    const n = this.int32();
    if (n < 0) {
      if (n === -1) return -1;
      throw new ProtocolDecodeError(`invalid array length ${n}`);
    }
    if (n > this.end - this.offset) {
      throw new ProtocolDecodeError(`array length ${n} exceeds ${this.end - this.offset} remaining bytes`);
    }
    return n;
  }

  /** COMPACT_ARRAY length (uvarint length + 1, 0 = null → -1). */
  compactArrayLength(): number {
    const n = this.uvarint() - 1;
    if (n > this.end - this.offset) {
      throw new ProtocolDecodeError(`array length ${n} exceeds ${this.end - this.offset} remaining bytes`);
    }
    return n;
  }

  /** Raw slice of n bytes (zero-copy). */
  raw(n: number): Buffer {
    if (n < 0) throw new ProtocolDecodeError(`invalid length ${n}`);
    return this.slice(n);
  }

  // ---- tagged fields -------------------------------------------------------

  /** Number of tagged fields that follow (validated against remaining bytes). */
  taggedFieldCount(): number {
    const n = this.uvarint();
    if (n > this.end - this.offset) {
      throw new ProtocolDecodeError(`tagged field count ${n} exceeds ${this.end - this.offset} remaining bytes`);
    }
    return n;
  }

  /** Read an unknown tagged field body of `size` bytes (zero-copy). */
  rawTaggedField(tag: number, size: number): UnknownTaggedField {
    return { tag, data: this.slice(size) };
  }

  /**
   * Read a whole tagged-field section where no tag is known to the caller.
   * Returns undefined when there are none.
   */
  unknownTaggedFields(): UnknownTaggedField[] | undefined {
    const n = this.taggedFieldCount();
    if (n === 0) return undefined;
    const out: UnknownTaggedField[] = [];
    for (let i = 0; i < n; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      out.push({ tag, data: this.slice(size) });
    }
    return out;
  }

  /**
   * Restrict reads to the next `size` bytes (a known tagged field's body).
   * Returns the previous end, to be handed to popLimit.
   */
  pushLimit(size: number): number {
    const prev = this.end;
    if (this.offset + size > prev) throw this.eof(size);
    this.end = this.offset + size;
    return prev;
  }

  /** Undo pushLimit, checking that the tagged field body was fully consumed. */
  popLimit(prevEnd: number): void {
    if (this.offset !== this.end) {
      throw new ProtocolDecodeError(`tagged field has ${this.end - this.offset} trailing byte(s)`);
    }
    this.end = prevEnd;
  }

  /** Error for a null length read for a field that is non-nullable in this version. */
  nullError(field: string): ProtocolDecodeError {
    return new ProtocolDecodeError(`non-nullable field ${field} was serialized as null`);
  }
}
