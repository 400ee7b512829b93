// Thread: either. Whole RecordBatch v2 encode/decode, records included, for tests, benchmarks and
// the CLI. The broker's hot path never calls this: it only touches batch headers (record-batch.ts).
// Record layout (inside a batch, after decompression):
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value | headerCount varint |
//   [ headerKeyLength varint | headerKey | headerValueLength varint | headerValue ]*
// Varints are zigzag-encoded; lengths of -1 mean null. Every Kafka codec (compression.ts);
// zstd needs `await codecsReady()` once per thread before encoding or decoding zstd batches.
import { codecFromName, compress, decompress, type CompressionName } from './compression.js';
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC_OFFSET,
  Compression,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_HEADER_SIZE,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  computeBatchCrc,
  readInt64,
  writeInt64,
} from './record-batch.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to the batch's baseTimestamp. */
  timestamp?: number;
}

export type { CompressionName } from './compression.js';

/** Default bound on one batch's decompressed records (a hostile batch cannot allocate more). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export interface EncodeBatchInput {
  baseOffset?: number;
  /** Defaults to the first record's timestamp, else Date.now(). */
  baseTimestamp?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  compression?: CompressionName;
  transactional?: boolean;
  records: RecordInput[];
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: DecodedRecord[];
}

// ---------------------------------------------------------------------------------------------
// Varints (zigzag), exact for |value| < 2^52 using arithmetic rather than 32-bit bit operations.

class ByteSink {
  private buf = Buffer.allocUnsafe(256);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buf[this.length++] = value;
  }

  unsignedVarint(value: number): void {
    this.ensure(10);
    while (value >= 0x80) {
      this.buf[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.length++] = value;
  }

  varint(value: number): void {
    this.unsignedVarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buf.set(value, this.length);
    this.length += value.length;
  }

  nullableBytes(value: Uint8Array | null): void {
    if (value === null) {
      this.varint(-1);
      return;
    }
    this.varint(value.length);
    this.bytes(value);
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

export function varintSize(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    size++;
  }
  return size;
}

class ByteSource {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError(`record truncated at byte ${this.pos}`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      multiplier *= 0x80;
    }
    throw new RangeError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  nullableBytes(): Buffer | null {
    const n = this.varint();
    if (n < 0) return null;
    return this.bytes(n);
  }
}

// ---------------------------------------------------------------------------------------------

/** Encodes one RecordBatch v2 with a correct CRC-32C. */
export function encodeRecordBatch(input: EncodeBatchInput): Buffer {
  const records = input.records;
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const baseTimestamp = input.baseTimestamp ?? records[0].timestamp ?? Date.now();
  let maxTimestamp = -1;
  const body = new ByteSink();
  const record = new ByteSink();
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const timestamp = r.timestamp ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    record.length = 0;
    record.byte(0); // record attributes: unused
    record.varint(timestamp - baseTimestamp);
    record.varint(i);
    record.nullableBytes(r.key);
    record.nullableBytes(r.value);
    const headers = r.headers ?? [];
    record.varint(headers.length);
    for (const h of headers) {
      const key = Buffer.from(h.key, 'utf8');
      record.varint(key.length);
      record.bytes(key);
      record.nullableBytes(h.value);
    }
    body.varint(record.length);
    body.bytes(record.result());
  }
  const compression = codecFromName(input.compression ?? 'none');
  const payload = compress(compression, body.result());

  const size = RECORD_BATCH_HEADER_SIZE + payload.length;
  const out = Buffer.alloc(size);
  writeInt64(out, 0, input.baseOffset ?? 0);
  out.writeInt32BE(size - LOG_OVERHEAD, 8);
  out.writeInt32BE(input.partitionLeaderEpoch ?? -1, 12);
  out.writeInt8(CURRENT_MAGIC, 16);
  const attributes = compression | (input.transactional === true ? TRANSACTIONAL_BIT : 0);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(records.length - 1, 23);
  writeInt64(out, 27, baseTimestamp);
  writeInt64(out, 35, maxTimestamp);
  writeInt64(out, 43, input.producerId ?? NO_PRODUCER_ID);
  out.writeInt16BE(input.producerEpoch ?? NO_PRODUCER_EPOCH, 51);
  out.writeInt32BE(input.baseSequence ?? NO_SEQUENCE, 53);
  out.writeInt32BE(records.length, 57);
  payload.copy(out, RECORD_BATCH_HEADER_SIZE);
  out.writeUInt32BE(computeBatchCrc(out, 0, size), CRC_OFFSET);
  return out;
}

/**
 * Decodes every batch in buf (a concatenation, e.g. a fetch response's records). A trailing
 * partial batch is ignored, as clients do; a corrupt record throws RangeError.
 */
export function decodeRecordBatches(buf: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos + RECORD_BATCH_HEADER_SIZE <= buf.length) {
    const batchLength = buf.readInt32BE(pos + 8);
    const size = batchLength + LOG_OVERHEAD;
    if (pos + size > buf.length) break;
    out.push(decodeBatchAt(buf, pos, size, maxDecompressedBytes));
    pos += size;
  }
  return out;
}

function decodeBatchAt(buf: Buffer, pos: number, size: number, maxDecompressedBytes: number): DecodedBatch {
  const magic = buf.readInt8(pos + 16);
  if (magic !== CURRENT_MAGIC) throw new RangeError(`unsupported record batch magic ${magic}`);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const compression = attributes & COMPRESSION_MASK;
  const logAppendTime = (attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const baseOffset = readInt64(buf, pos);
  const baseTimestamp = readInt64(buf, pos + 27);
  const maxTimestamp = readInt64(buf, pos + 35);
  const count = buf.readInt32BE(pos + 57);
  const batch: DecodedBatch = {
    baseOffset,
    batchLength: size - LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    magic,
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes,
    compression,
    timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime',
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp,
    maxTimestamp,
    producerId: readInt64(buf, pos + 43),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    records: [],
  };
  let payload: Buffer;
  let start: number;
  let end: number;
  if (compression === Compression.none) {
    payload = buf;
    start = pos + RECORD_BATCH_HEADER_SIZE;
    end = pos + size;
  } else {
    payload = decompress(compression, buf.subarray(pos + RECORD_BATCH_HEADER_SIZE, pos + size), maxDecompressedBytes);
    start = 0;
    end = payload.length;
  }
  const src = new ByteSource(payload, start, end);
  for (let i = 0; i < count; i++) {
    const length = src.varint();
    const recordEnd = src.pos + length;
    if (length < 0 || recordEnd > end) throw new RangeError(`record ${i} length ${length} out of range`);
    src.byte(); // attributes
    const timestampDelta = src.varint();
    const offsetDelta = src.varint();
    const key = src.nullableBytes();
    const value = src.nullableBytes();
    const headerCount = src.varint();
    if (headerCount < 0) throw new RangeError(`record ${i} has a negative header count`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyLength = src.varint();
      if (keyLength < 0) throw new RangeError(`record ${i} has a null header key`);
      const headerKey = src.bytes(keyLength).toString('utf8');
      headers.push({ key: headerKey, value: src.nullableBytes() });
    }
    if (src.pos !== recordEnd) throw new RangeError(`record ${i} length ${length} does not match its content`);
    batch.records.push({
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  return batch;
}

/**
 * Offset and timestamp of the first record with timestamp >= target and offset >= minOffset (the
 * log start, which DeleteRecords may have moved into the batch) in the batch at pos, or null when
 * no record qualifies: the answer lies in a later batch. Decodes every codec (zstd needs
 * codecsReady() on this thread; it throws otherwise, as it does for a corrupt batch).
 * Used by ListOffsets to refine a batch-level time-index hit to a record.
 */
export function findRecordByTimestamp(
  buf: Buffer,
  pos: number,
  targetTimestamp: number,
  minOffset = 0,
): { offset: number; timestamp: number } | null {
  const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD;
  const batch = decodeBatchAt(buf, pos, size, DEFAULT_MAX_DECOMPRESSED_BYTES);
  for (const r of batch.records) {
    if (r.timestamp >= targetTimestamp && r.offset >= minOffset) return { offset: r.offset, timestamp: r.timestamp };
  }
  return null;
}
