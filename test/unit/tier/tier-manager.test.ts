// Thread: test. Pure parts of src/tier and the object-store client against the in-memory
// S3 server: index lookup, listing across continuation tokens, ranged reads through the
// chunk cache, conditional create.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupIndex } from '../../../src/tier/tier-manager.js';
import { ChunkCache, CHUNK_BYTES } from '../../../src/tier/chunk-cache.js';
import { TierError, TierErrorCode, type ObjectStore } from '../../../src/tier/object-store.js';
import { startFakeS3, type S3Target } from '../../helpers/s3/s3-target.js';

function index(entries: Array<[number, number]>): Buffer {
  const buf = Buffer.alloc(entries.length * 8);
  entries.forEach(([rel, pos], i) => {
    buf.writeInt32BE(rel, i * 8);
    buf.writeInt32BE(pos, i * 8 + 4);
  });
  return buf;
}

describe('lookupIndex', () => {
  const idx = index([
    [9, 0],
    [19, 4096],
    [29, 8192],
  ]);
  it.each([
    [100, 0],
    [108, 0],
    [109, 0],
    [110, 0],
    [119, 4096],
    [125, 4096],
    [129, 8192],
    [500, 8192],
  ])('offset %i → position %i (base 100)', (target, position) => {
    expect(lookupIndex(idx, 100, target)).toBe(position);
  });
  it('empty index → 0', () => expect(lookupIndex(Buffer.alloc(0), 0, 5)).toBe(0));
});

describe('object store against the in-memory S3 server', () => {
  let s3: S3Target;
  let store: ObjectStore;
  beforeAll(async () => {
    s3 = await startFakeS3();
    store = s3.store();
  });
  afterAll(async () => {
    store.destroy();
    await s3.stop();
  });

  it('lists every key across continuation tokens (pages of 7)', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `list/${String(i).padStart(3, '0')}`);
    for (const k of keys) await store.put(k, Buffer.from(k));
    expect((await store.list('list/')).map((o) => o.key)).toEqual(keys);
    await store.deleteMany(keys);
    expect(await store.list('list/')).toEqual([]);
  });

  it('rejects a second conditional create with CONFLICT', async () => {
    await store.put('cond/a', Buffer.from('1'), { ifNoneMatch: true });
    const err = await store.put('cond/a', Buffer.from('2'), { ifNoneMatch: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierError);
    expect((err as TierError).code).toBe(TierErrorCode.CONFLICT);
    expect((await store.get('cond/a')).toString()).toBe('1');
  });

  it('reads byte ranges across chunk boundaries through the chunk cache, bounded on disk', async () => {
    const body = Buffer.alloc(CHUNK_BYTES * 2 + 1000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    await store.put('obj/seg.log', body);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-chunks-'));
    const cache = new ChunkCache(store, dir, CHUNK_BYTES * 2);
    const ranges: Array<[number, number]> = [
      [0, 10],
      [CHUNK_BYTES - 5, CHUNK_BYTES + 5],
      [CHUNK_BYTES * 2, body.length],
      [5, body.length],
    ];
    for (const [a, b] of ranges) expect((await cache.read('obj/seg.log', body.length, a, b)).equals(body.subarray(a, b))).toBe(true);
    expect(cache.fetchedBytes).toBe(body.length); // each chunk fetched once
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
