// Thread: test. The tier manager's remote read path (src/tier/tier-manager.ts) against the
// in-memory S3 server, with segments uploaded by segment-upload.ts: v2 segments are served
// byte-exact and verified per chunk; a chunk or index corrupted on the server answers the fetch
// KAFKA_STORAGE_ERROR with no records and an error log line naming the object, while chunks
// that are intact still serve; v1 segments (no checksums) are served unverified as before.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfigSchema } from '../../../src/config/broker-config.js';
import { partitionId, type PartitionId } from '../../../src/ipc/partition-id.js';
import { LocalMetadataStore } from '../../../src/metadata/local-metadata-store.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import type { PartitionEngine, ReadOutcome } from '../../../src/partitions/partition-engine.js';
import { CHUNK_BYTES } from '../../../src/tier/chunk-cache.js';
import { ManifestStore, type RemoteSegment } from '../../../src/tier/manifest.js';
import type { ObjectStore } from '../../../src/tier/object-store.js';
import { uploadSegment } from '../../../src/tier/segment-upload.js';
import { TierManager } from '../../../src/tier/tier-manager.js';
import { startFakeS3, type S3Target } from '../../helpers/s3/s3-target.js';
import { inProcessChecksummer, writeSegmentFixture, type SegmentFixture } from '../../helpers/tier-segments.js';

const prefix = 'unit/';
let s3: S3Target;
let store: ObjectStore;
let seg: SegmentFixture;
const cleanup: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tiermgr-'));
  cleanup.push(d);
  return d;
};

beforeAll(async () => {
  s3 = await startFakeS3();
  store = s3.store();
  seg = writeSegmentFixture(CHUNK_BYTES + 600_000); // two chunks
  cleanup.push(seg.dir);
});

afterAll(async () => {
  store.destroy();
  await s3.stop();
  for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
});

interface Harness {
  tier: TierManager;
  key: PartitionId;
  remote: RemoteSegment;
  logLines: Array<Record<string, unknown>>;
  fetch(fetchOffset: number, maxBytes?: number): Promise<ReadOutcome>;
}

/** A topic whose partition 0 holds the fixture segment remotely (manifest v2, or v1 when asked). */
async function harness(opts: { v1?: boolean } = {}): Promise<Harness> {
  const logDir = tmp();
  const metadata = LocalMetadataStore.open(logDir);
  const { topic } = await metadata.createTopic(`t-${path.basename(logDir)}`, 1, {});
  const manifests = new ManifestStore(store, prefix);
  const remote = await uploadSegment(store, inProcessChecksummer, seg, `${prefix}${topic.topicId}/0/segments/00000000000000000000-test`);
  if (opts.v1) {
    const { checksums: _dropped, ...legacy } = remote;
    const v1 = { v: 1, epoch: 1, topicId: topic.topicId, partition: 0, segments: [{ ...legacy, crc32c: '0123456789abcdef' }] };
    await store.put(`${prefix}${topic.topicId}/0/manifest/00000000000000000001.json`, Buffer.from(JSON.stringify(v1)));
  } else {
    await manifests.write(await manifests.load(topic.topicId, 0), [remote]);
  }
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = brokerConfigSchema.parse({
    'log.dirs': logDir,
    'remote.storage.s3.bucket': s3.bucket,
    'remote.storage.s3.endpoint': s3.endpoint,
    'remote.storage.s3.path.style.access': 'true',
    'remote.storage.s3.prefix': prefix,
  });
  const tier = TierManager.create(config, { state: () => undefined } as unknown as PartitionEngine, logDir, pino({ level: 'info' }, sink), { checksummer: inProcessChecksummer })!;
  await tier.start(metadata, () => true);
  const key = partitionId(topic.topicId, 0);
  const fetch = async (fetchOffset: number, maxBytes = 64 * 1024): Promise<ReadOutcome> => {
    const result: ReadOutcome = { key, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: seg.endOffset + 10, lastStableOffset: seg.endOffset + 10, logStartOffset: seg.endOffset, records: null };
    await tier.fillFetch([{ key, fetchOffset, maxBytes, minOneBatch: true }], [result]);
    return result;
  };
  return { tier, key, remote, logLines, fetch };
}

/** The fixture's first batch lying wholly in chunk 1, and the fixture bytes a fetch from it returns. */
function batchInChunk1(maxBytes: number): { baseOffset: number; bytes: Buffer } {
  const first = seg.batches.findIndex((b) => b.position >= CHUNK_BYTES);
  let end = seg.batches[first]!.position;
  for (let i = first; i < seg.batches.length && end + seg.batches[i]!.size - seg.batches[first]!.position <= maxBytes; i++) end += seg.batches[i]!.size;
  return { baseOffset: seg.batches[first]!.baseOffset, bytes: seg.bytes.subarray(seg.batches[first]!.position, end) };
}

const stored = (key: string) => s3.fake!.buckets.get(s3.bucket)!.get(key)!;
/** A byte inside the record data (not a header) of the first batch in chunk 1. */
const recordByteInChunk1 = () => seg.batches.find((b) => b.position >= CHUNK_BYTES)!.position + 200;

describe('tier manager remote reads', () => {
  it('serves v2 segments byte-exact from either chunk, through the offset index, with no CRC errors', async () => {
    const h = await harness();
    try {
      expect(h.remote.checksums?.chunkBytes).toBe(CHUNK_BYTES);
      const head = await h.fetch(0);
      expect(head.errorCode).toBe(ErrorCode.NONE);
      expect(head.logStartOffset).toBe(0);
      expect(head.records!.equals(seg.bytes.subarray(0, head.records!.length))).toBe(true);
      const { baseOffset, bytes } = batchInChunk1(64 * 1024);
      const mid = await h.fetch(baseOffset + 3); // not a segment base: goes through the .index
      expect(mid.errorCode).toBe(ErrorCode.NONE);
      expect(mid.records!.equals(bytes)).toBe(true);
      expect(h.tier.stats.corruptReads).toBe(0);
    } finally {
      await h.tier.stop();
    }
  });

  it('answers KAFKA_STORAGE_ERROR, no records and an error line naming the object for a chunk corrupted on the server; intact chunks still serve', async () => {
    const h = await harness();
    try {
      stored(h.remote.logKey).body[recordByteInChunk1()] ^= 0x10;
      const { baseOffset } = batchInChunk1(64 * 1024);
      const bad = await h.fetch(baseOffset);
      expect(bad.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(bad.records).toBeNull();
      const line = h.logLines.find((l) => l.level === 50 && l.object === h.remote.logKey);
      expect(line?.msg).toMatch(/failed its CRC-32C check/);
      expect(String(line?.err)).toMatch(/STRATA_ERR_TIER_CORRUPT: object .*\.log: chunk 1 /);
      expect(h.tier.stats.corruptReads).toBe(1);
      // Chunk 0 is intact and still serves.
      const head = await h.fetch(0);
      expect(head.errorCode).toBe(ErrorCode.NONE);
      expect(head.records!.equals(seg.bytes.subarray(0, head.records!.length))).toBe(true);
    } finally {
      await h.tier.stop();
    }
  });

  it('answers KAFKA_STORAGE_ERROR for an offset index corrupted on the server', async () => {
    const h = await harness();
    try {
      stored(h.remote.offsetIndexKey).body[4] ^= 0x01;
      const bad = await h.fetch(batchInChunk1(1).baseOffset + 1);
      expect(bad.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(bad.records).toBeNull();
      expect(h.logLines.some((l) => l.level === 50 && l.object === h.remote.offsetIndexKey)).toBe(true);
    } finally {
      await h.tier.stop();
    }
  });

  it('serves segments of a v1 manifest unverified, as before (there is nothing to verify them against)', async () => {
    const h = await harness({ v1: true });
    try {
      expect(h.tier.manifest(h.key)?.segments[0]?.checksums).toBeUndefined();
      stored(h.remote.logKey).body[recordByteInChunk1()] ^= 0x10;
      const { baseOffset } = batchInChunk1(64 * 1024);
      const read = await h.fetch(baseOffset);
      expect(read.errorCode).toBe(ErrorCode.NONE);
      expect(read.records!.equals(seg.bytes.subarray(recordByteInChunk1() - 200, recordByteInChunk1() - 200 + read.records!.length))).toBe(false);
      expect(h.tier.stats.corruptReads).toBe(0);
    } finally {
      await h.tier.stop();
    }
  });
});
