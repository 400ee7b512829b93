// Thread: main (only awaits: no file bytes pass through this thread's code). Uploads one sealed
// segment: the .log object streams from the file (ObjectStore.putFile) while the checksum pool
// computes its CRC-32Cs on another thread; then the two index objects stream up, with the sizes
// the checksums were computed over. Returns the manifest entry (v2, with checksums). On failure,
// objects already written are removed (best effort) and the error is rethrown.
import type { SealedSegmentInfo } from '../ipc/tasks.js';
import { CHUNK_BYTES } from './chunk-cache.js';
import type { SegmentChecksummer } from './checksum-pool.js';
import type { RemoteSegment } from './manifest.js';
import type { ObjectStore } from './object-store.js';
import { encodeChunkCrcs } from './segment-checksums.js';

/**
 * `base` is the object key without suffix; `.log`, `.index` and `.timeindex` are appended.
 * Callers make it unique per upload, so a competing writer never overwrites objects a manifest names.
 */
export async function uploadSegment(store: ObjectStore, checksummer: SegmentChecksummer, seg: SealedSegmentInfo, base: string): Promise<RemoteSegment> {
  const keys = { logKey: `${base}.log`, offsetIndexKey: `${base}.index`, timeIndexKey: `${base}.timeindex` };
  try {
    // Both settle before going on: a failed checksum must not leave the .log PUT running past
    // the cleanup below (it would re-create an object nobody names).
    const [checksummed, logPut] = await Promise.allSettled([
      checksummer.checksum({
        logPath: seg.logPath,
        logBytes: seg.sizeBytes,
        offsetIndexPath: seg.offsetIndexPath,
        timeIndexPath: seg.timeIndexPath,
        chunkBytes: CHUNK_BYTES,
      }),
      store.putFile(keys.logKey, seg.logPath, seg.sizeBytes),
    ]);
    if (checksummed.status === 'rejected') throw checksummed.reason;
    if (logPut.status === 'rejected') throw logPut.reason;
    const sums = checksummed.value;
    const indexPuts = await Promise.allSettled([
      store.putFile(keys.offsetIndexKey, seg.offsetIndexPath, sums.offsetIndex.sizeBytes),
      store.putFile(keys.timeIndexKey, seg.timeIndexPath, sums.timeIndex.sizeBytes),
    ]);
    for (const put of indexPuts) if (put.status === 'rejected') throw put.reason;
    return {
      baseOffset: seg.baseOffset,
      endOffset: seg.endOffset,
      sizeBytes: seg.sizeBytes,
      maxTimestamp: seg.maxTimestamp,
      ...keys,
      checksums: {
        log: sums.log.crc32c,
        chunkBytes: sums.log.chunkBytes,
        chunks: encodeChunkCrcs(sums.log.chunkCrc32c),
        offsetIndex: sums.offsetIndex.crc32c,
        timeIndex: sums.timeIndex.crc32c,
      },
      uploadedAtMs: Date.now(),
    };
  } catch (err) {
    await store.deleteMany(Object.values(keys)).catch(() => undefined);
    throw err;
  }
}
