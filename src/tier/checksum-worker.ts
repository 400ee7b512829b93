// Thread: worker (the tier checksum pool, see checksum-pool.ts): never the router thread.
// Computes the CRC-32C checksums of a sealed segment before/while it is uploaded: reads the
// .log in chunk-sized positional reads into one reusable buffer (never the whole file at once)
// and returns the whole-object CRC plus one CRC per chunk, and the CRCs of its two index files.
// Imports only node:fs and pure modules. Results are plain data: { ok, value | error }.
import fs from 'node:fs';
import { crc32c } from '../protocol/crc32c.js';
import type { SegmentChecksums } from './segment-checksums.js';

export interface ChecksumTask {
  logPath: string;
  /** The sealed segment's size as the partition log knows it; the file must be exactly this. */
  logBytes: number;
  offsetIndexPath: string;
  timeIndexPath: string;
  /** Chunk size of the per-chunk CRCs (the chunk cache's CHUNK_BYTES). */
  chunkBytes: number;
}

export type ChecksumResult = { ok: true; value: SegmentChecksums } | { ok: false; error: { code: string; message: string } };

/** CRC-32C of a whole file and of each chunkBytes chunk; null when the file does not exist. */
async function checksumFile(file: string, chunkBytes: number): Promise<{ sizeBytes: number; crc32c: number; chunkCrc32c: number[] } | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const sizeBytes = (await handle.stat()).size;
    // One buffer per file, reused for each chunk (calls run concurrently: nothing shared).
    const scratch = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, sizeBytes)));
    const chunkCrc32c: number[] = [];
    let whole = 0;
    for (let pos = 0; pos < sizeBytes; pos += chunkBytes) {
      const want = Math.min(chunkBytes, sizeBytes - pos);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(scratch, got, want - got, pos + got);
        if (bytesRead === 0) throw new Error(`${file} shrank to ${pos + got} bytes while being checksummed`);
        got += bytesRead;
      }
      const chunk = scratch.subarray(0, want);
      chunkCrc32c.push(crc32c(chunk) >>> 0);
      whole = crc32c(chunk, whole);
    }
    return { sizeBytes, crc32c: whole >>> 0, chunkCrc32c };
  } finally {
    await handle.close();
  }
}

export default async function checksumSegment(task: ChecksumTask): Promise<ChecksumResult> {
  try {
    const log = await checksumFile(task.logPath, task.chunkBytes);
    if (log === null) throw new Error(`segment ${task.logPath} does not exist`);
    if (log.sizeBytes !== task.logBytes) throw new Error(`segment ${task.logPath} is ${log.sizeBytes} bytes, expected ${task.logBytes}`);
    // A missing index uploads as an empty object (readers then scan from the segment start).
    const [offsetIndex, timeIndex] = await Promise.all([checksumFile(task.offsetIndexPath, task.chunkBytes), checksumFile(task.timeIndexPath, task.chunkBytes)]);
    return {
      ok: true,
      value: {
        log: { sizeBytes: log.sizeBytes, crc32c: log.crc32c, chunkBytes: task.chunkBytes, chunkCrc32c: log.chunkCrc32c },
        offsetIndex: { sizeBytes: offsetIndex?.sizeBytes ?? 0, crc32c: offsetIndex?.crc32c ?? 0 },
        timeIndex: { sizeBytes: timeIndex?.sizeBytes ?? 0, crc32c: timeIndex?.crc32c ?? 0 },
      },
    };
  } catch (err) {
    // TierErrorCode.SEGMENT_FILE (object-store.ts; not imported here: it pulls in the S3 client).
    return { ok: false, error: { code: 'STRATA_ERR_TIER_SEGMENT_FILE', message: (err as Error).message } };
  }
}
