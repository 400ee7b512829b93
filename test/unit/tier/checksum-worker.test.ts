// Thread: test. The checksum worker's function, called in-process (checksum-pool.test.ts runs it
// in its real thread): per-chunk and whole-file CRC-32C of a segment, its index files, and
// plain-data errors for files that are not as the log describes them.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/protocol/crc32c.js';
import checksumSegment from '../../../src/tier/checksum-worker.js';
import { writeSegmentFixture } from '../../helpers/tier-segments.js';

describe('checksum worker', () => {
  const seg = writeSegmentFixture(300_000);
  const chunkBytes = 64 * 1024;
  const task = { logPath: seg.logPath, logBytes: seg.sizeBytes, offsetIndexPath: seg.offsetIndexPath, timeIndexPath: seg.timeIndexPath, chunkBytes };

  it('returns the CRC-32C of every chunk and of the whole .log, and of both indexes', async () => {
    const result = await checksumSegment(task);
    if (!result.ok) throw new Error(result.error.message);
    const sums = result.value;
    const expectedChunks = [];
    for (let at = 0; at < seg.bytes.length; at += chunkBytes) expectedChunks.push(crc32c(seg.bytes.subarray(at, at + chunkBytes)) >>> 0);
    expect(sums.log).toEqual({ sizeBytes: seg.sizeBytes, crc32c: crc32c(seg.bytes) >>> 0, chunkBytes, chunkCrc32c: expectedChunks });
    expect(sums.log.chunkCrc32c.length).toBe(Math.ceil(seg.sizeBytes / chunkBytes));
    const oi = fs.readFileSync(seg.offsetIndexPath);
    expect(oi.length).toBeGreaterThan(0);
    expect(sums.offsetIndex).toEqual({ sizeBytes: oi.length, crc32c: crc32c(oi) >>> 0 });
    const ti = fs.readFileSync(seg.timeIndexPath);
    expect(sums.timeIndex).toEqual({ sizeBytes: ti.length, crc32c: crc32c(ti) >>> 0 });
  });

  it('treats a missing index as an empty object', async () => {
    const result = await checksumSegment({ ...task, timeIndexPath: path.join(seg.dir, 'missing.timeindex') });
    expect(result.ok && result.value.timeIndex).toEqual({ sizeBytes: 0, crc32c: 0 });
  });

  it('answers an error (plain data) for a missing segment or one of another size', async () => {
    expect(await checksumSegment({ ...task, logBytes: seg.sizeBytes + 1 })).toEqual({
      ok: false,
      error: { code: 'STRATA_ERR_TIER_SEGMENT_FILE', message: `segment ${seg.logPath} is ${seg.sizeBytes} bytes, expected ${seg.sizeBytes + 1}` },
    });
    const missing = await checksumSegment({ ...task, logPath: path.join(seg.dir, 'gone.log') });
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.error.message).toMatch(/does not exist/);
  });
});
