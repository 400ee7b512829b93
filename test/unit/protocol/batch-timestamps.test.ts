import { describe, expect, it } from 'vitest';
import { codecsReady, type CompressionName } from '../../../src/protocol/compression.js';
import { hasImpossibleMaxTimestamp, recordsMaxTimestamp, repairMaxTimestamp } from '../../../src/protocol/batch-timestamps.js';
import { readCrc, readMaxTimestamp, setLogAppendTime, updateCrc, validateBatches, writeInt64, MAX_TIMESTAMP_OFFSET } from '../../../src/protocol/record-batch.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';

const BASE = 1_700_000_000_000;

/** A batch as Sarama 1.22 writes it: maxTimestamp -1 (CRC valid over that header). */
function saramaBatch(compression: CompressionName, timestamps = [BASE, BASE + 7, BASE + 3]): Buffer {
  const batch = encodeRecordBatch({
    baseTimestamp: timestamps[0],
    compression,
    records: timestamps.map((timestamp, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp })),
  });
  writeInt64(batch, MAX_TIMESTAMP_OFFSET, -1);
  updateCrc(batch, 0);
  return batch;
}

describe('batch max timestamp repair', () => {
  it('leaves a well-formed batch byte-identical (header check only)', () => {
    const batch = encodeRecordBatch({ baseTimestamp: BASE, records: [{ key: null, value: Buffer.from('a'), timestamp: BASE + 5 }, { key: null, value: null }] });
    const before = Buffer.from(batch);
    expect(hasImpossibleMaxTimestamp(batch, 0)).toBe(false);
    expect(repairMaxTimestamp(batch, 0)).toBe(BASE + 5);
    expect(batch.equals(before)).toBe(true);
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`recomputes maxTimestamp -1 from the records and the CRC (${compression})`, async () => {
      await codecsReady();
      const batch = saramaBatch(compression);
      const crcBefore = readCrc(batch, 0);
      expect(hasImpossibleMaxTimestamp(batch, 0)).toBe(true);
      expect(repairMaxTimestamp(batch, 0)).toBe(BASE + 7);
      expect(readMaxTimestamp(batch, 0)).toBe(BASE + 7);
      expect(readCrc(batch, 0)).not.toBe(crcBefore);
      expect(validateBatches(batch, 0, batch.length).ok).toBe(true);
    });
  }

  it('reads negative and large timestamp deltas', () => {
    const batch = saramaBatch('none', [BASE, BASE - 1000, BASE + 2 ** 40]);
    expect(recordsMaxTimestamp(batch, 0)).toBe(BASE + 2 ** 40);
  });

  it('does not touch LogAppendTime batches', () => {
    const batch = saramaBatch('none');
    setLogAppendTime(batch, 0, BASE - 10); // below firstTimestamp, but the broker's own time
    expect(hasImpossibleMaxTimestamp(batch, 0)).toBe(false);
  });

  it('throws a readable error on records that lie about their length', () => {
    const batch = saramaBatch('none');
    batch[61] = 0x7e; // first record's length varint: 63, past the end of the batch
    updateCrc(batch, 0);
    expect(() => repairMaxTimestamp(batch, 0)).toThrow(/record 0 length 63 out of range/);
  });

  it('throws a readable error on a corrupt compressed payload', () => {
    const batch = saramaBatch('gzip');
    batch.fill(0x55, 61 + 10, batch.length - 4);
    updateCrc(batch, 0);
    expect(() => repairMaxTimestamp(batch, 0)).toThrow(/gzip/);
  });
});
