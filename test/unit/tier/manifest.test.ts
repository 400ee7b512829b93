// Thread: test. Manifest versions (src/tier/manifest.ts) against the in-memory S3 server: v2 is
// written and read back with its checksums; a v1 manifest (whose `crc32c` held a SHA-256 prefix)
// still loads, without checksums, and its next write is v2 carrying the old segments over.
import { describe, expect, it } from 'vitest';
import { ManifestStore, type RemoteSegment } from '../../../src/tier/manifest.js';
import type { ObjectStore } from '../../../src/tier/object-store.js';
import { startFakeS3, useS3Target } from '../../helpers/s3/s3-target.js';

const topicId = 'a'.repeat(32);
const legacySegment = { baseOffset: 0, endOffset: 10, sizeBytes: 100, maxTimestamp: 5, logKey: 'l0', offsetIndexKey: 'i0', timeIndexKey: 't0', uploadedAtMs: 1 };
const v2Segment: RemoteSegment = {
  baseOffset: 10,
  endOffset: 20,
  sizeBytes: 200,
  maxTimestamp: 6,
  logKey: 'l1',
  offsetIndexKey: 'i1',
  timeIndexKey: 't1',
  uploadedAtMs: 2,
  checksums: { log: 0xfedcba98, chunkBytes: 4 * 1024 * 1024, chunks: Buffer.from([0xfe, 0xdc, 0xba, 0x98]).toString('base64'), offsetIndex: 0, timeIndex: 7 },
};

describe('manifest versions', () => {
  let store: ObjectStore;
  useS3Target(startFakeS3, (_target, objects) => {
    store = objects;
  });

  it('starts empty at v2 and round-trips v2 checksums', async () => {
    const manifests = new ManifestStore(store, 'rt/');
    const empty = await manifests.load(topicId, 0);
    expect(empty).toEqual({ v: 2, epoch: 0, topicId, partition: 0, segments: [] });
    await manifests.write(empty, [v2Segment]);
    const stored = JSON.parse((await store.get(`rt/${topicId}/0/manifest/00000000000000000001.json`)).toString('utf8'));
    expect(stored.v).toBe(2);
    expect(await manifests.load(topicId, 0)).toEqual({ v: 2, epoch: 1, topicId, partition: 0, segments: [v2Segment] });
  });

  it('reads a v1 manifest (dropping its SHA-256 "crc32c") and writes the next version as v2', async () => {
    const manifests = new ManifestStore(store, 'old/');
    const v1 = { v: 1, epoch: 3, topicId, partition: 1, segments: [{ ...legacySegment, crc32c: '0123456789abcdef' }] };
    await store.put(`old/${topicId}/1/manifest/00000000000000000003.json`, Buffer.from(JSON.stringify(v1)));
    const loaded = await manifests.load(topicId, 1);
    expect(loaded).toEqual({ v: 2, epoch: 3, topicId, partition: 1, segments: [legacySegment] });
    expect(loaded.segments[0]!.checksums).toBeUndefined();
    const next = await manifests.write(loaded, [...loaded.segments, v2Segment]);
    expect(next.epoch).toBe(4);
    const stored = JSON.parse((await store.get(`old/${topicId}/1/manifest/00000000000000000004.json`)).toString('utf8'));
    expect(stored).toEqual({ v: 2, epoch: 4, topicId, partition: 1, segments: [legacySegment, v2Segment] });
  });

  it('rejects an unknown version or a malformed checksum field with a readable error', async () => {
    const manifests = new ManifestStore(store, 'bad/');
    await store.put(`bad/${topicId}/0/manifest/00000000000000000001.json`, Buffer.from(JSON.stringify({ v: 3, epoch: 1, topicId, partition: 0, segments: [] })));
    await expect(manifests.load(topicId, 0)).rejects.toThrow(/v|version|literal|invalid/i);
    await store.put(
      `bad/${topicId}/2/manifest/00000000000000000001.json`,
      Buffer.from(JSON.stringify({ v: 2, epoch: 1, topicId, partition: 2, segments: [{ ...v2Segment, checksums: { ...v2Segment.checksums, log: -1 } }] })),
    );
    await expect(manifests.load(topicId, 2)).rejects.toThrow();
  });
});
