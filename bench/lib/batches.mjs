// Thread: main (bench). Building the benches' record batches and counting records in fetched
// bytes by walking RecordBatch v2 headers only (batchLength at byte 8, recordsCount at 57).
import { randomBytes } from 'node:crypto';
import { encodeRecordBatch } from '../../dist/src/protocol/records.js';

const HEADER = 61;
const LOG_OVERHEAD = 12;

/**
 * One uncompressed RecordBatch (producerId -1, so the broker accepts it again and again) of
 * `recordBytes`-byte values (null keys), as many as fit in `batchBytes` (or exactly `count`).
 */
export function buildBatch({ batchBytes = 1024 * 1024, recordBytes = 100, count, timestamp = Date.now() } = {}) {
  const value = randomBytes(recordBytes);
  const make = (n) => encodeRecordBatch({ baseTimestamp: timestamp, records: Array.from({ length: n }, () => ({ key: null, value })) });
  if (count !== undefined) return { batch: make(count), records: count };
  // ~ length varint (2) + attributes (1) + timestampDelta (1) + offsetDelta (≤3) + key (1) + value length (1..2) + headers (1)
  let n = Math.max(1, Math.floor((batchBytes - HEADER) / (recordBytes + 10)));
  let batch = make(n);
  // Grow, then shrink, to the largest count that fits batchBytes.
  while (batch.length < batchBytes) {
    const per = (batch.length - HEADER) / n;
    const more = Math.floor((batchBytes - batch.length) / per);
    if (more < 1) break;
    n += more;
    batch = make(n);
  }
  while (batch.length > batchBytes && n > 1) {
    n -= Math.max(1, Math.ceil((batch.length - batchBytes) / (recordBytes + 8)));
    batch = make(n);
  }
  return { batch, records: n };
}

/**
 * Walk the batches in `buf` (a Fetch response's records). Counts only records at or after
 * `fetchOffset` (the broker returns whole batches, including the one containing it). A
 * trailing partial batch is ignored, as clients do. Reports offset gaps/overlaps between
 * consecutive batches (there should be none in an uncompacted log).
 */
export function walkBatches(buf, fetchOffset) {
  let pos = 0;
  let records = 0;
  let batches = 0;
  let next = fetchOffset;
  let discontinuities = 0;
  if (!buf) return { records, batches, nextOffset: next, discontinuities, bytes: 0 };
  const end = buf.length;
  while (pos + HEADER <= end) {
    const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD;
    if (size < HEADER || pos + size > end) break;
    // baseOffset: int64, safe as a double below 2^53
    const baseOffset = buf.readUInt32BE(pos) * 0x100000000 + buf.readUInt32BE(pos + 4);
    const lastOffset = baseOffset + buf.readInt32BE(pos + 23);
    const count = buf.readInt32BE(pos + 57);
    if (lastOffset >= next) {
      if (baseOffset > next) discontinuities++;
      // count of records at or after `next` (offsets are dense in an uncompacted log)
      records += baseOffset >= next ? count : lastOffset + 1 - next;
      next = lastOffset + 1;
    } else {
      discontinuities++;
    }
    batches++;
    pos += size;
  }
  return { records, batches, nextOffset: next, discontinuities, bytes: pos };
}
