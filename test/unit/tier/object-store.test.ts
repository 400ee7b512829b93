// Thread: test. The object-store client (src/tier/object-store.ts) against the in-memory S3
// server: listing across continuation tokens, conditional create, and files streamed up
// (single PUT and multipart) byte-exact.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MULTIPART_THRESHOLD, TierError, TierErrorCode, type ObjectStore } from '../../../src/tier/object-store.js';
import { startFakeS3, type S3Target } from '../../helpers/s3/s3-target.js';

describe('object store against the in-memory S3 server', () => {
  let s3: S3Target;
  let store: ObjectStore;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-objstore-'));
  beforeAll(async () => {
    s3 = await startFakeS3();
    store = s3.store();
  });
  afterAll(async () => {
    store.destroy();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
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

  it('streams the first sizeBytes of a file up (empty, single PUT, multipart)', async () => {
    const big = Buffer.alloc(MULTIPART_THRESHOLD + 12345);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const file = path.join(dir, 'big.log');
    fs.writeFileSync(file, big);
    await store.putFile('file/empty', file, 0);
    expect((await store.get('file/empty')).length).toBe(0);
    await store.putFile('file/small', file, 100_000);
    expect((await store.get('file/small')).equals(big.subarray(0, 100_000))).toBe(true);
    const posts = s3.fake!.counts.POST ?? 0;
    await store.putFile('file/big', file, big.length);
    expect((s3.fake!.counts.POST ?? 0) - posts).toBe(2); // initiate + complete: it went multipart
    expect((await store.get('file/big')).equals(big)).toBe(true);
  });

  it('fails a file upload of a missing file with SEGMENT_FILE, before any request', async () => {
    const puts = s3.fake!.counts.PUT ?? 0;
    const err = await store.putFile('file/missing', path.join(dir, 'nope.log'), 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierError);
    expect((err as TierError).code).toBe(TierErrorCode.SEGMENT_FILE);
    expect(s3.fake!.counts.PUT ?? 0).toBe(puts);
    expect(s3.fake!.objectKeys(s3.bucket, 'file/missing')).toEqual([]);
  });
});
