// Thread: test. Batch frames read from header prefixes (src/log-format/batch-header.ts), as the
// remote read path walks a segment it only has ranged access to.
import { describe, expect, it } from 'vitest';
import { BATCH_OFFSETS_PREFIX_BYTES, BATCH_TIMESTAMP_PREFIX_BYTES, readBatchFrame, readMaxTimestamp } from '../../../src/log-format/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';

describe('batch header prefixes', () => {
  const batch = encodeRecordBatch({ baseOffset: 40, baseTimestamp: 1_700_000_000_000, records: [
    { key: null, value: Buffer.from('a') },
    { key: null, value: Buffer.from('b'), timestamp: 1_700_000_000_005 },
  ] });

  it('reads offsets and size from the first BATCH_OFFSETS_PREFIX_BYTES bytes alone', () => {
    expect(BATCH_OFFSETS_PREFIX_BYTES).toBe(27);
    const frame = readBatchFrame(Buffer.from(batch.subarray(0, BATCH_OFFSETS_PREFIX_BYTES)), 0, 0, batch.length);
    expect(frame).toEqual({ baseOffset: 40, lastOffset: 41, size: batch.length });
  });

  it('reads maxTimestamp from the first BATCH_TIMESTAMP_PREFIX_BYTES bytes alone', () => {
    expect(readMaxTimestamp(Buffer.from(batch.subarray(0, BATCH_TIMESTAMP_PREFIX_BYTES)), 0)).toBe(1_700_000_000_005);
  });

  it('rejects a size that is shorter than a header or runs past the segment end', () => {
    expect(readBatchFrame(batch, 0, 100, 100 + batch.length - 1)).toBeNull();
    const tiny = Buffer.from(batch);
    tiny.writeInt32BE(10, 8);
    expect(readBatchFrame(tiny, 0, 0, 1 << 20)).toBeNull();
  });
});
