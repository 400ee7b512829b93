// Thread: test process. Sealed-segment fixtures for src/tier unit tests: a .log of real record
// batches (with its offset and time index files) large enough to span several chunk-cache
// chunks, and an in-process checksummer for tests that are not about where checksums run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SealedSegmentInfo } from '../../src/ipc/tasks.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { writeOffsetIndexEntry } from '../../src/log-format/offset-index.js';
import { writeTimeIndexEntry } from '../../src/log-format/time-index.js';
import checksumSegment from '../../src/tier/checksum-worker.js';
import type { SegmentChecksummer } from '../../src/tier/checksum-pool.js';

export interface SegmentFixture extends SealedSegmentInfo {
  dir: string;
  /** The .log bytes. */
  bytes: Buffer;
  /** File position of each batch, and its base offset. */
  batches: Array<{ position: number; baseOffset: number; size: number }>;
}

/**
 * Writes `<dir>/00000000000000000000.log` of at least minBytes: batches of 10 records of about
 * 1 KiB, timestamps t0 + offset; an index entry every ~256 KiB, a time-index entry per index entry.
 */
export function writeSegmentFixture(minBytes: number, t0 = 1_700_000_000_000, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-seg-'))): SegmentFixture {
  const parts: Buffer[] = [];
  const batches: SegmentFixture['batches'] = [];
  const index: Array<[number, number]> = [];
  const timeIndex: Array<[number, number]> = [];
  let size = 0;
  let offset = 0;
  let sinceIndex = 0;
  while (size < minBytes) {
    const batch = encodeRecordBatch({
      baseOffset: offset,
      records: Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`r${offset + i}-${'v'.repeat(1000)}`), timestamp: t0 + offset + i })),
    });
    if (sinceIndex > 256 * 1024) {
      index.push([offset + 9, size]);
      timeIndex.push([t0 + offset + 9, offset + 9]);
      sinceIndex = 0;
    }
    batches.push({ position: size, baseOffset: offset, size: batch.length });
    parts.push(batch);
    size += batch.length;
    sinceIndex += batch.length;
    offset += 10;
  }
  const bytes = Buffer.concat(parts);
  const logPath = path.join(dir, '00000000000000000000.log');
  const offsetIndexPath = path.join(dir, '00000000000000000000.index');
  const timeIndexPath = path.join(dir, '00000000000000000000.timeindex');
  fs.writeFileSync(logPath, bytes);
  const oi = Buffer.alloc(index.length * 8);
  index.forEach(([o, p], i) => writeOffsetIndexEntry(oi, i, o, p));
  fs.writeFileSync(offsetIndexPath, oi);
  const ti = Buffer.alloc(timeIndex.length * 12);
  timeIndex.forEach(([ts, o], i) => writeTimeIndexEntry(ti, i, ts, o));
  fs.writeFileSync(timeIndexPath, ti);
  return { dir, bytes, batches, baseOffset: 0, endOffset: offset, sizeBytes: size, maxTimestamp: t0 + offset - 1, logPath, offsetIndexPath, timeIndexPath };
}

/** Runs checksum-worker.ts on the calling thread (for tests about what is done with the sums). */
export const inProcessChecksummer: SegmentChecksummer = {
  async checksum(task) {
    const result = await checksumSegment(task);
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  },
  async destroy() {},
};
