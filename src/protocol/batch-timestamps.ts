// Thread: either (pure; the partition worker validates produced batches with it).
// Kafka's LogValidator recomputes a batch's maxTimestamp from its records on every append. We
// do it only where the header's value is impossible — maxTimestamp below firstTimestamp (old
// producers, e.g. Sarama 1.22, leave it at -1) — so well-formed batches cost no per-record work.
// The repair rewrites maxTimestamp and the CRC-32C (which covers it); records stay untouched.
// Compressed batches are decompressed to read the records' timestamp deltas (zstd needs
// `await codecsReady()` once on the thread first).
import { decompress } from './compression.js';
import {
  BASE_TIMESTAMP_OFFSET,
  COMPRESSION_MASK,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  RECORDS_COUNT_OFFSET,
  ATTRIBUTES_OFFSET,
  TIMESTAMP_TYPE_BIT,
  readBatchSize,
  readInt64,
  updateCrc,
  writeInt64,
} from './record-batch.js';

/** Bound on one batch's decompressed records while reading timestamps. */
export const MAX_DECOMPRESSED_BATCH_BYTES = 64 * 1024 * 1024;

/** Zigzag varint/varlong at pos (up to 10 bytes, exact up to 2^53); [value, next position]. */
function readVarlong(buf: Buffer, pos: number, end: number): [number, number] {
  let raw = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new RangeError('record truncated inside a varint');
    const b = buf[pos++]!;
    raw += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, pos];
    scale *= 128;
  }
  throw new RangeError('varint longer than 10 bytes');
}

/** Largest timestampDelta among `count` records in payload[start, end); throws RangeError on bad framing. */
function maxTimestampDelta(payload: Buffer, start: number, end: number, count: number): number {
  let pos = start;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const [length, bodyStart] = readVarlong(payload, pos, end);
    const recordEnd = bodyStart + length;
    if (length < 2 || recordEnd > end) throw new RangeError(`record ${i} length ${length} out of range`);
    const [delta] = readVarlong(payload, bodyStart + 1, recordEnd); // after the attributes byte
    if (delta > max) max = delta;
    pos = recordEnd;
  }
  return max;
}

/**
 * The largest record timestamp of the (CRC-checked) batch at pos, from its records: baseTimestamp
 * + the largest timestampDelta. Throws RangeError on bad record framing and CompressionError when
 * the payload cannot be decompressed.
 */
export function recordsMaxTimestamp(buf: Buffer, pos: number, maxDecompressedBytes = MAX_DECOMPRESSED_BATCH_BYTES): number {
  const size = readBatchSize(buf, pos);
  const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  if (count <= 0) throw new RangeError(`batch has ${count} records`);
  const codec = buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_MASK;
  const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP_OFFSET);
  const recordsStart = pos + RECORD_BATCH_HEADER_SIZE;
  const recordsEnd = pos + size;
  const maxDelta =
    codec === 0
      ? maxTimestampDelta(buf, recordsStart, recordsEnd, count)
      : (() => {
          const payload = decompress(codec, buf.subarray(recordsStart, recordsEnd), maxDecompressedBytes);
          return maxTimestampDelta(payload, 0, payload.length, count);
        })();
  return baseTimestamp + maxDelta;
}

/** True when the batch's header maxTimestamp cannot be right (CreateTime, below firstTimestamp). */
export function hasImpossibleMaxTimestamp(buf: Buffer, pos: number): boolean {
  if ((buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & TIMESTAMP_TYPE_BIT) !== 0) return false;
  return readInt64(buf, pos + MAX_TIMESTAMP_OFFSET) < readInt64(buf, pos + BASE_TIMESTAMP_OFFSET);
}

/**
 * Repairs the batch at pos in place when its maxTimestamp is impossible: writes the records'
 * largest timestamp and a new CRC. Returns the batch's maxTimestamp (repaired or as it was).
 */
export function repairMaxTimestamp(buf: Buffer, pos: number, maxDecompressedBytes = MAX_DECOMPRESSED_BATCH_BYTES): number {
  if (!hasImpossibleMaxTimestamp(buf, pos)) return readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
  const maxTimestamp = recordsMaxTimestamp(buf, pos, maxDecompressedBytes);
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, maxTimestamp);
  updateCrc(buf, pos);
  return maxTimestamp;
}
