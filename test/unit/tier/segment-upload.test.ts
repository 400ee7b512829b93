// Thread: test. Uploading a sealed segment (src/tier/segment-upload.ts) with the real checksum
// pool (checksum-pool.ts running checksum-worker.ts in its own thread) against the in-memory S3
// server. Proves, at the module boundary, that the calling (router) thread neither reads the
// segment whole nor hashes it: no whole-file read of the segment's files and no CRC-32C call
// happen on this thread, the pool ran the checksum, and the objects arrive byte-exact with
// checksums that match an independent computation.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { crc32c } from '../../../src/protocol/crc32c.js';
import { CHUNK_BYTES } from '../../../src/tier/chunk-cache.js';
import { ChecksumPool } from '../../../src/tier/checksum-pool.js';
import { TierError, TierErrorCode, type ObjectStore } from '../../../src/tier/object-store.js';
import { decodeChunkCrcs } from '../../../src/tier/segment-checksums.js';
import { uploadSegment } from '../../../src/tier/segment-upload.js';
import { startFakeS3, type S3Target } from '../../helpers/s3/s3-target.js';
import { writeSegmentFixture, type SegmentFixture } from '../../helpers/tier-segments.js';

// Every CRC-32C computed on this thread goes through this spy (the worker thread has its own module).
vi.mock(import('../../../src/protocol/crc32c.js'), async (importOriginal) => {
  const real = await importOriginal();
  return { ...real, crc32c: vi.fn(real.crc32c) };
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const outDir = path.join(repoRoot, '.vitest-tmp', `checksum-worker-${process.pid}`);

describe('segment upload', () => {
  let s3: S3Target;
  let store: ObjectStore;
  let pool: ChecksumPool;
  let seg: SegmentFixture;

  beforeAll(async () => {
    // Piscina needs JavaScript: compile just the worker and what it imports.
    execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--outDir', outDir, '--rootDir', repoRoot, '--module', 'nodenext', '--moduleResolution', 'nodenext',
        '--target', 'es2022', '--strict', '--skipLibCheck', '--esModuleInterop', '--types', 'node',
        path.join(repoRoot, 'src', 'tier', 'checksum-worker.ts'),
        path.join(repoRoot, 'src', 'protocol', 'fast-crc32c.d.ts'),
      ],
      { cwd: repoRoot, stdio: 'pipe', timeout: 120_000 },
    );
    pool = new ChecksumPool(pathToFileURL(path.join(outDir, 'src', 'tier', 'checksum-worker.js')));
    s3 = await startFakeS3();
    store = s3.store();
    seg = writeSegmentFixture(CHUNK_BYTES * 2 + 100_000); // three chunks
  }, 150_000);

  afterAll(async () => {
    await pool?.destroy();
    store?.destroy();
    await s3?.stop();
    fs.rmSync(outDir, { recursive: true, force: true });
    if (seg) fs.rmSync(seg.dir, { recursive: true, force: true });
  });

  it('streams the files up while the checksum runs in the pool; nothing is read whole or hashed on this thread', async () => {
    const segmentFiles = [seg.logPath, seg.offsetIndexPath, seg.timeIndexPath];
    const wholeReads = [vi.spyOn(fs, 'readFileSync'), vi.spyOn(fs, 'readFile'), vi.spyOn(fs.promises, 'readFile')];
    const syncReads = vi.spyOn(fs, 'readSync');
    vi.mocked(crc32c).mockClear();
    try {
      const remote = await uploadSegment(store, pool, seg, 'up/00000000000000000000-a');
      for (const spy of wholeReads) expect(spy.mock.calls.filter((c) => segmentFiles.includes(String(c[0])))).toEqual([]);
      expect(syncReads).not.toHaveBeenCalled();
      expect(crc32c).not.toHaveBeenCalled();
      expect(pool.completed).toBe(1);

      // What arrived is the segment, and the recorded checksums are its real CRC-32Cs.
      const objects = s3.fake!.buckets.get(s3.bucket)!;
      expect(objects.get('up/00000000000000000000-a.log')!.body.equals(seg.bytes)).toBe(true);
      expect(objects.get('up/00000000000000000000-a.index')!.body.equals(fs.readFileSync(seg.offsetIndexPath))).toBe(true);
      expect(objects.get('up/00000000000000000000-a.timeindex')!.body.equals(fs.readFileSync(seg.timeIndexPath))).toBe(true);
      const real = vi.mocked(crc32c).getMockImplementation()!;
      expect(remote.checksums!.log).toBe(real(seg.bytes) >>> 0);
      expect(remote.checksums!.chunkBytes).toBe(CHUNK_BYTES);
      expect([...decodeChunkCrcs(remote.checksums!.chunks)]).toEqual([0, 1, 2].map((i) => real(seg.bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)) >>> 0));
      expect(remote.checksums!.offsetIndex).toBe(real(fs.readFileSync(seg.offsetIndexPath)) >>> 0);
      expect(remote).toMatchObject({ baseOffset: 0, endOffset: seg.endOffset, sizeBytes: seg.sizeBytes, logKey: 'up/00000000000000000000-a.log' });
    } finally {
      for (const spy of [...wholeReads, syncReads]) spy.mockRestore();
    }
  });

  it('fails with SEGMENT_FILE and leaves no objects when the file is not the size the log says', async () => {
    const err = await uploadSegment(store, pool, { ...seg, sizeBytes: seg.sizeBytes - 1 }, 'bad/00000000000000000000-b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierError);
    expect((err as TierError).code).toBe(TierErrorCode.SEGMENT_FILE);
    expect((err as TierError).message).toMatch(/is \d+ bytes, expected \d+/);
    expect(s3.fake!.objectKeys(s3.bucket, 'bad/')).toEqual([]);
  });
});
