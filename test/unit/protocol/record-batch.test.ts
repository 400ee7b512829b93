import { describe, expect, it } from 'vitest';
import { crc32c, crc32cImplementation } from '../../../src/protocol/crc32c.js';
import {
  LEGACY_MAGIC_MESSAGE,
  RECORD_BATCH_HEADER_SIZE,
  checkProducedBatch,
  incrementSequence,
  isLogAppendTime,
  readBaseOffset,
  readBatchSize,
  readCrc,
  readInt64,
  readLastOffset,
  readMaxTimestamp,
  readPartitionLeaderEpoch,
  readProducerId,
  readRecordsCount,
  computeBatchCrc,
  setLogAppendTime,
  validateBatches,
  writeBaseOffset,
  writeInt64,
  writePartitionLeaderEpoch,
  readBatchInfo,
} from '../../../src/protocol/record-batch.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';

function batch(n = 3, baseOffset = 0): Buffer {
  return encodeRecordBatch({
    baseOffset,
    baseTimestamp: 1000,
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`value-${i}`), timestamp: 1000 + i })),
  });
}

describe('crc32c', () => {
  it('matches the CRC-32C check value and continues across buffers', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const a = Buffer.from('hello ');
    const b = Buffer.from('world');
    expect(crc32c(b, crc32c(a))).toBe(crc32c(Buffer.concat([a, b])));
    expect(crc32c(new Uint8Array([1, 2, 3]))).toBe(crc32c(Buffer.from([1, 2, 3])));
    expect(crc32cImplementation).toMatch(/sse4|js|native/);
  });
});

describe('record-batch views', () => {
  it('reads header fields at a position', () => {
    const b = Buffer.concat([Buffer.alloc(5), batch(3, 100)]);
    expect(readBaseOffset(b, 5)).toBe(100);
    expect(readLastOffset(b, 5)).toBe(102);
    expect(readRecordsCount(b, 5)).toBe(3);
    expect(readMaxTimestamp(b, 5)).toBe(1002);
    expect(readProducerId(b, 5)).toBe(-1);
    expect(readBatchSize(b, 5)).toBe(b.length - 5);
  });

  it('int64 helpers are exact below 2^53 including negatives', () => {
    const b = Buffer.alloc(8);
    for (const v of [0, 1, -1, 2 ** 32, 2 ** 53 - 1, -(2 ** 40) - 7, 1_700_000_000_123]) {
      writeInt64(b, 0, v);
      expect(b.readBigInt64BE(0)).toBe(BigInt(v));
      expect(readInt64(b, 0)).toBe(v);
    }
  });

  it('rewrites baseOffset and partitionLeaderEpoch without invalidating the CRC', () => {
    const b = batch();
    writeBaseOffset(b, 0, 2 ** 40 + 3);
    writePartitionLeaderEpoch(b, 0, 0);
    expect(readBaseOffset(b, 0)).toBe(2 ** 40 + 3);
    expect(readPartitionLeaderEpoch(b, 0)).toBe(0);
    expect(validateBatches(b, 0, b.length).ok).toBe(true);
  });

  it('applies LogAppendTime with a valid CRC after', () => {
    const b = batch();
    const before = readCrc(b, 0);
    setLogAppendTime(b, 0, 5555);
    expect(isLogAppendTime(b, 0)).toBe(true);
    expect(readMaxTimestamp(b, 0)).toBe(5555);
    expect(readCrc(b, 0)).not.toBe(before);
    expect(readCrc(b, 0)).toBe(computeBatchCrc(b, 0, b.length));
    expect(validateBatches(b, 0, b.length).ok).toBe(true);
    const [decoded] = decodeRecordBatches(b);
    expect(decoded.timestampType).toBe('LogAppendTime');
    expect(decoded.records.every((r) => r.timestamp === 5555)).toBe(true);
  });

  it('validates a concatenation of batches', () => {
    const all = Buffer.concat([batch(1, 0), batch(2, 1), batch(5, 3)]);
    const r = validateBatches(all, 0, all.length);
    expect(r.ok).toBe(true);
    expect(r.batches.map((x) => x.lastOffsetDelta)).toEqual([0, 1, 4]);
    expect(r.batches[1].position).toBe(readBatchSize(all, 0));
  });

  it('rejects a CRC mismatch naming the batch', () => {
    const second = batch(2);
    second[second.length - 1] ^= 0xff;
    const all = Buffer.concat([batch(1), second]);
    const r = validateBatches(all, 0, all.length);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.reason).toBe('crc-mismatch');
    expect(r.failure.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(r.failure.batchIndex).toBe(1);
    expect(r.batches.length).toBe(1);
  });

  it('rejects lying sizes: too long, too short, truncated header', () => {
    const long = batch();
    long.writeInt32BE(long.readInt32BE(8) + 10, 8);
    const r1 = validateBatches(long, 0, long.length);
    expect(!r1.ok && r1.failure.reason).toBe('truncated');
    expect(!r1.ok && r1.failure.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);

    const short = batch();
    short.writeInt32BE(short.readInt32BE(8) - 4, 8);
    const r2 = validateBatches(short, 0, short.length);
    expect(r2.ok).toBe(false); // CRC over the shorter range fails, or trailing bytes are a torn header
    expect(!r2.ok && r2.failure.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);

    const tiny = batch();
    tiny.writeInt32BE(10, 8);
    const r3 = validateBatches(tiny, 0, tiny.length);
    expect(!r3.ok && r3.failure.reason).toBe('invalid-size');

    const r4 = validateBatches(batch().subarray(0, 30), 0, 30);
    expect(!r4.ok && r4.failure.reason).toBe('truncated');
    const negative = batch();
    negative.writeInt32BE(-100, 8);
    expect(validateBatches(negative, 0, negative.length).ok).toBe(false);
  });

  it('rejects magic 0/1 with a clear message and other magics as corrupt', () => {
    for (const magic of [0, 1]) {
      const b = batch();
      b.writeInt8(magic, 16);
      const r = validateBatches(b, 0, b.length);
      expect(!r.ok && r.failure.reason).toBe('legacy-magic');
      expect(!r.ok && r.failure.message).toBe(LEGACY_MAGIC_MESSAGE);
      expect(!r.ok && r.failure.errorCode).toBe(ErrorCode.INVALID_RECORD);
    }
    const b = batch();
    b.writeInt8(7, 16);
    const r = validateBatches(b, 0, b.length);
    expect(!r.ok && r.failure.reason).toBe('invalid-magic');
  });

  it('applies Kafka client-batch checks on headers only', () => {
    const ok = readBatchInfo(batch(3), 0);
    expect(checkProducedBatch(ok)).toBeNull();
    expect(checkProducedBatch({ ...ok, recordsCount: 0 })).toMatch(/count/);
    expect(checkProducedBatch({ ...ok, recordsCount: 2 })).toMatch(/inconsistent/);
    expect(checkProducedBatch({ ...ok, attributes: 0x20 })).toMatch(/control/);
    expect(checkProducedBatch({ ...ok, producerId: 5, baseSequence: -1 })).toMatch(/sequence/);
  });

  it('wraps sequences at INT32_MAX', () => {
    expect(incrementSequence(5, 3)).toBe(8);
    expect(incrementSequence(0x7fffffff, 1)).toBe(0);
    expect(incrementSequence(0x7ffffffe, 3)).toBe(1);
  });

  it('header size constant matches an empty-payload batch', () => {
    expect(RECORD_BATCH_HEADER_SIZE).toBe(61);
  });
});
