// Thread: either. Growable big-endian writer for the Kafka wire protocol.
//
// Small values are written into a scratch buffer (1 KiB, doubling). bytes /
// records payloads of at least ZERO_COPY_THRESHOLD bytes are not copied: the
// scratch written so far is closed off as a chunk and the payload itself is
// appended as its own chunk, so `chunks()` can be handed to socket.writev /
// cork+write without ever copying large record batches.
//
// Positions (for patchInt32 / beginSized) are logical: bytes since the start
// of the writer, across all chunks.
import type { UnknownTaggedField } from './codec-support.js';
import { ProtocolEncodeError } from './errors.js';

/** Payloads at least this large are appended as separate chunks (not copied). */
export const ZERO_COPY_THRESHOLD = 1024;

const INITIAL_CAPACITY = 1024;

export class Writer {
  /** Current scratch buffer. */
  private buf: Buffer;
  /** Write position in `buf`. */
  private pos = 0;
  /** Start in `buf` of the segment not yet closed off into `done`. */
  private segStart = 0;
  /** Closed chunks, in order. */
  private done: Buffer[] = [];
  /** Total length of `done`. */
  private doneLen = 0;
  /** > 0 while inside beginSized/endSized: large payloads are copied, not split. */
  private noSplit = 0;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Total bytes written. */
  get length(): number {
    return this.doneLen + (this.pos - this.segStart);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.segStart;
    let cap = this.buf.length * 2;
    while (cap < used + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    // Only the open segment is copied; closed chunks keep referencing the old buffer.
    this.buf.copy(next, 0, this.segStart, this.pos);
    this.buf = next;
    this.segStart = 0;
    this.pos = used;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
    return this;
  }

  uint16(v: number): this {
    return this.int16(v);
  }

  int32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
    return this;
  }

  uint32(v: number): this {
    return this.int32(v);
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Unsigned varint of a 32-bit value. */
  uvarint(v: number): this {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    v = v >>> 0;
    while (v > 0x7f) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
    return this;
  }

  /** Zigzag signed 32-bit varint. */
  varint(v: number): this {
    return this.uvarint((v << 1) ^ (v >> 31));
  }

  /** Zigzag signed 64-bit varint. */
  varlong(v: bigint): this {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    if (z <= 0xffffffffn) {
      let n = Number(z);
      while (n > 0x7f) {
        b[p++] = (n & 0x7f) | 0x80;
        n = Math.floor(n / 128);
      }
      b[p++] = n;
    } else {
      while (z > 0x7fn) {
        b[p++] = Number(z & 0x7fn) | 0x80;
        z >>= 7n;
      }
      b[p++] = Number(z);
    }
    this.pos = p;
    return this;
  }

  uuid(v: Buffer): this {
    if (v.length !== 16) throw new ProtocolEncodeError(`uuid must be 16 bytes, got ${v.length}`);
    this.ensure(16);
    v.copy(this.buf, this.pos);
    this.pos += 16;
    return this;
  }

  private utf8(s: string, len: number): void {
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  string(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new ProtocolEncodeError(`string too long (${len} bytes)`);
    this.int16(len);
    this.utf8(s, len);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }

  compactString(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    this.uvarint(len + 1);
    this.utf8(s, len);
    return this;
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    return this.compactString(s);
  }

  /** Append raw bytes; payloads >= ZERO_COPY_THRESHOLD become their own chunk (no copy). */
  raw(data: Buffer): this {
    const n = data.length;
    if (n >= ZERO_COPY_THRESHOLD && this.noSplit === 0) {
      if (this.pos > this.segStart) {
        this.done.push(this.buf.subarray(this.segStart, this.pos));
        this.doneLen += this.pos - this.segStart;
        this.segStart = this.pos;
      }
      this.done.push(data);
      this.doneLen += n;
      return this;
    }
    this.ensure(n);
    data.copy(this.buf, this.pos);
    this.pos += n;
    return this;
  }

  bytes(data: Buffer): this {
    this.int32(data.length);
    return this.raw(data);
  }

  nullableBytes(data: Buffer | null): this {
    if (data === null) return this.int32(-1);
    return this.bytes(data);
  }

  compactBytes(data: Buffer): this {
    this.uvarint(data.length + 1);
    return this.raw(data);
  }

  compactNullableBytes(data: Buffer | null): this {
    if (data === null) return this.uvarint(0);
    return this.compactBytes(data);
  }

  /** ARRAY length; -1 for null. */
  arrayLength(n: number): this {
    return this.int32(n);
  }

  /** COMPACT_ARRAY length; -1 for null (written as 0). */
  compactArrayLength(n: number): this {
    return this.uvarint(n + 1);
  }

  // ---- sized sections (tagged field bodies) ---------------------------------

  /**
   * Start a section whose byte length is written (as uvarint) before it by
   * endSized. Large payloads inside are copied rather than split into chunks.
   */
  beginSized(): number {
    this.noSplit++;
    return this.length;
  }

  endSized(start: number): void {
    this.noSplit--;
    const localStart = start - this.doneLen + this.segStart;
    const size = this.pos - localStart;
    let n = 1;
    for (let v = size >>> 7; v !== 0; v >>>= 7) n++;
    this.ensure(n);
    // ensure() may have moved the segment; recompute.
    const ls = start - this.doneLen + this.segStart;
    this.buf.copyWithin(ls + n, ls, this.pos);
    const end = this.pos + n;
    this.pos = ls;
    this.uvarint(size);
    this.pos = end;
  }

  // ---- tagged fields -------------------------------------------------------

  /** Write a complete tagged-field section consisting only of raw (unknown) fields. */
  taggedFields(fields: UnknownTaggedField[] | undefined): this {
    if (fields === undefined) return this.uvarint(0);
    this.uvarint(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      this.uvarint(f.tag);
      this.uvarint(f.data.length);
      this.raw(f.data);
    }
    return this;
  }

  /**
   * Write raw tagged fields from `fields[from..]` whose tag is below `beforeTag`;
   * returns the index of the first field not written.
   */
  rawTaggedFieldsBefore(fields: UnknownTaggedField[] | undefined, from: number, beforeTag: number): number {
    if (fields === undefined) return 0;
    let i = from;
    for (; i < fields.length; i++) {
      const f = fields[i];
      if (f.tag >= beforeTag) break;
      this.uvarint(f.tag);
      this.uvarint(f.data.length);
      this.raw(f.data);
    }
    return i;
  }

  // ---- output --------------------------------------------------------------

  /** Overwrite 4 bytes at logical position `at` (e.g. a frame length prefix). */
  patchInt32(at: number, v: number): void {
    let base = 0;
    for (let i = 0; i < this.done.length; i++) {
      const c = this.done[i];
      if (at < base + c.length) {
        if (at + 4 > base + c.length) throw new RangeError('patch position spans chunks');
        c.writeInt32BE(v | 0, at - base);
        return;
      }
      base += c.length;
    }
    const local = at - this.doneLen + this.segStart;
    if (at < base || local + 4 > this.pos) throw new RangeError(`patch position ${at} out of range`);
    this.buf.writeInt32BE(v | 0, local);
  }

  /** The written bytes as a list of buffers (no copy). */
  chunks(): Buffer[] {
    if (this.pos > this.segStart) return [...this.done, this.buf.subarray(this.segStart, this.pos)];
    return this.done.slice();
  }

  /** The written bytes as one buffer (copies only when there is more than one chunk). */
  toBuffer(): Buffer {
    if (this.done.length === 0) return this.buf.subarray(this.segStart, this.pos);
    return Buffer.concat(this.chunks(), this.length);
  }

  /**
   * Build a size-prefixed frame: reserves a 4-byte length, runs `build`, then
   * patches the length. Returns the chunks (suitable for writev).
   */
  static frame(build: (w: Writer) => void, initialCapacity = INITIAL_CAPACITY): Buffer[] {
    const w = new Writer(initialCapacity);
    w.int32(0);
    build(w);
    w.patchInt32(0, w.length - 4);
    return w.chunks();
  }
}
