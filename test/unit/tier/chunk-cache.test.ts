// Thread: test. The chunk cache (src/tier/chunk-cache.ts) against the in-memory S3 server:
// ranged reads across chunk boundaries, and verification of every loaded chunk against its
// CRC-32C: a corrupted chunk is refused (TierError CORRUPT naming the object), never cached,
// and a corrupted local (disk-cache) copy is fetched again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/protocol/crc32c.js';
import { ChunkCache, CHUNK_BYTES } from '../../../src/tier/chunk-cache.js';
import { TierError, TierErrorCode, type ObjectStore } from '../../../src/tier/object-store.js';
import type { ChunkChecksums } from '../../../src/tier/segment-checksums.js';
import { startFakeS3, type S3Target } from '../../helpers/s3/s3-target.js';

function patterned(size: number, seed: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + seed) & 0xff;
  return body;
}

function checksumsOf(body: Buffer): ChunkChecksums {
  const crcs: number[] = [];
  for (let at = 0; at < body.length; at += CHUNK_BYTES) crcs.push(crc32c(body.subarray(at, at + CHUNK_BYTES)) >>> 0);
  return { chunkBytes: CHUNK_BYTES, crcs: Uint32Array.from(crcs) };
}

describe('chunk cache', () => {
  let s3: S3Target;
  let store: ObjectStore;
  const dirs: string[] = [];
  const cacheDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-chunks-'));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    s3 = await startFakeS3();
    store = s3.store();
  });
  afterAll(async () => {
    store.destroy();
    await s3.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const stored = (key: string) => s3.fake!.buckets.get(s3.bucket)!.get(key)!;

  it('reads byte ranges across chunk boundaries, each chunk fetched once, verified when checksums are given', async () => {
    const body = patterned(CHUNK_BYTES * 2 + 1000, 1);
    await store.put('obj/seg.log', body);
    const cache = new ChunkCache(store, cacheDir(), CHUNK_BYTES * 2);
    const ranges: Array<[number, number]> = [
      [0, 10],
      [CHUNK_BYTES - 5, CHUNK_BYTES + 5],
      [CHUNK_BYTES * 2, body.length],
      [5, body.length],
    ];
    for (const [a, b] of ranges) expect((await cache.read('obj/seg.log', body.length, a, b, checksumsOf(body))).equals(body.subarray(a, b))).toBe(true);
    expect(cache.fetchedBytes).toBe(body.length);
    expect(cache.corruptChunks).toBe(0);
  });

  it('refuses a chunk whose bytes changed on the server, caches nothing, and serves it once it is whole again', async () => {
    const body = patterned(CHUNK_BYTES + 5000, 2);
    const sums = checksumsOf(body);
    await store.put('obj/corrupt.log', body);
    stored('obj/corrupt.log').body[CHUNK_BYTES + 100] ^= 0x40; // one bit in chunk 1
    const cache = new ChunkCache(store, cacheDir(), CHUNK_BYTES * 4);
    // Chunk 0 is fine.
    expect((await cache.read('obj/corrupt.log', body.length, 0, 100, sums)).equals(body.subarray(0, 100))).toBe(true);
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await cache.read('obj/corrupt.log', body.length, CHUNK_BYTES + 50, CHUNK_BYTES + 150, sums).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TierError);
      expect((err as TierError).code).toBe(TierErrorCode.CORRUPT);
      expect((err as TierError).objectKey).toBe('obj/corrupt.log');
      expect((err as TierError).message).toMatch(/obj\/corrupt\.log: chunk 1 /);
    }
    expect(cache.corruptChunks).toBe(2); // fetched again: the bad chunk was not cached
    // A range spanning the good and the bad chunk is refused as a whole.
    await expect(cache.read('obj/corrupt.log', body.length, 10, CHUNK_BYTES + 10, sums)).rejects.toMatchObject({ code: 'STRATA_ERR_TIER_CORRUPT' });
    // Read-ahead of the bad chunk neither throws nor poisons the cache.
    cache.prefetch('obj/corrupt.log', body.length, 1, sums);
    stored('obj/corrupt.log').body[CHUNK_BYTES + 100] ^= 0x40; // repaired
    await expect.poll(async () => (await cache.read('obj/corrupt.log', body.length, CHUNK_BYTES + 50, CHUNK_BYTES + 150, sums).catch(() => null))?.equals(body.subarray(CHUNK_BYTES + 50, CHUNK_BYTES + 150))).toBe(true);
  });

  it('serves unverified when no checksums are known (v1 segments), as before', async () => {
    const body = patterned(1000, 3);
    await store.put('obj/legacy.log', body);
    stored('obj/legacy.log').body[10] ^= 0xff;
    const cache = new ChunkCache(store, cacheDir(), CHUNK_BYTES);
    expect((await cache.read('obj/legacy.log', body.length, 0, 20))[10]).toBe(body[10]! ^ 0xff);
  });

  it('fetches a chunk again when its disk-cache copy no longer matches', async () => {
    const body = patterned(CHUNK_BYTES * 2, 4);
    const sums = checksumsOf(body);
    await store.put('obj/disk.log', body);
    const dir = cacheDir();
    const cache = new ChunkCache(store, dir, CHUNK_BYTES * 8);
    await cache.read('obj/disk.log', body.length, 0, 10, sums);
    // Wait for the disk copy, corrupt it, and drop the in-memory copy.
    await expect.poll(() => fs.readdirSync(dir).length).toBe(1);
    const file = path.join(dir, fs.readdirSync(dir)[0]!);
    const bytes = fs.readFileSync(file);
    bytes[5] ^= 0x01;
    fs.writeFileSync(file, bytes);
    cache.forget();
    const before = cache.fetchedBytes;
    expect((await cache.read('obj/disk.log', body.length, 0, 10, sums)).equals(body.subarray(0, 10))).toBe(true);
    expect(cache.fetchedBytes - before).toBe(CHUNK_BYTES); // refetched from the store
  });
});
