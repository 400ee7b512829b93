// Thread: main. The per-partition manifest of remote segments, fenced by conditional writes.
// Every manifest version is a new immutable object `<partition prefix>manifest/<epoch>.json`
// created with `If-None-Match: *`; the latest is found by listing. A writer that read epoch N
// writes N+1: if another writer got there first the PUT answers 412 and the update is rejected
// (TierError CONFLICT), so two brokers that both think they own a partition cannot overwrite
// each other's manifest. This works on AWS, LocalStack and Ceph 16.2 alike (the latter answers
// 412 to If-Match even with the current ETag, so If-Match cannot be used there).
//
// Versions: v1 segments carried a field named `crc32c` that held a truncated SHA-256 and was
// never checked. v2 segments carry `checksums`: real CRC-32Cs of the .log object, of each
// CHUNK_BYTES chunk of it (verified on every ranged read) and of both index objects. v1
// manifests still load (their segments have no checksums and are served unverified, as before);
// the next write of such a partition's manifest is v2, carrying its old segments over as they are.
import { z } from 'zod';
import { ObjectStore, TierError, TierErrorCode } from './object-store.js';

const uint32 = z.number().int().min(0).max(0xffffffff);

const checksumsSchema = z.object({
  /** CRC-32C of the whole .log object. */
  log: uint32,
  /** Chunk size the per-chunk CRCs cover (the chunk cache's CHUNK_BYTES at upload). */
  chunkBytes: z.number().int().positive(),
  /** CRC-32C of each chunk of the .log object, in order: big-endian uint32s, base64. */
  chunks: z.string(),
  /** CRC-32C of the .index and .timeindex objects. */
  offsetIndex: uint32,
  timeIndex: uint32,
});

const segmentFields = {
  baseOffset: z.number().int().min(0),
  /** Exclusive. */
  endOffset: z.number().int().min(0),
  sizeBytes: z.number().int().min(0),
  maxTimestamp: z.number().int(),
  /** Object keys of the segment and its indexes. */
  logKey: z.string(),
  offsetIndexKey: z.string(),
  timeIndexKey: z.string(),
  uploadedAtMs: z.number().int(),
};

const remoteSegmentSchema = z.object({
  ...segmentFields,
  /** Absent only on segments uploaded under manifest v1 (nothing to verify them against). */
  checksums: checksumsSchema.optional(),
});

const manifestFields = {
  epoch: z.number().int().min(0),
  topicId: z.string(),
  partition: z.number().int().min(0),
};

/** The current version, the only one written. */
export const manifestV2Schema = z.object({
  v: z.literal(2),
  ...manifestFields,
  /** Oldest first, contiguous. */
  segments: z.array(remoteSegmentSchema),
});

/** v1 (read only): `crc32c` was a truncated SHA-256, not a CRC; it is dropped on load. */
const manifestV1Schema = z.object({
  v: z.literal(1),
  ...manifestFields,
  segments: z.array(z.object({ ...segmentFields, crc32c: z.string().optional() })),
});

/** Any stored manifest, as the current version. */
export const manifestSchema = z.union([
  manifestV2Schema,
  manifestV1Schema.transform((m): z.infer<typeof manifestV2Schema> => ({
    ...m,
    v: 2,
    segments: m.segments.map(({ crc32c: _sha256Prefix, ...seg }) => seg),
  })),
]);

export type RemoteSegment = z.infer<typeof remoteSegmentSchema>;
export type SegmentChecksumFields = z.infer<typeof checksumsSchema>;
export type Manifest = z.infer<typeof manifestV2Schema>;

/** Keeps this many older manifest versions (readers racing a write still find theirs). */
const KEEP_OLD_VERSIONS = 2;

export function partitionPrefix(prefix: string, topicId: string, partition: number): string {
  return `${prefix}${topicId}/${partition}/`;
}

const epochName = (epoch: number) => String(epoch).padStart(20, '0');

export class ManifestStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
  ) {}

  /** The latest manifest version, or an empty epoch-0 one when none exists yet. */
  async load(topicId: string, partition: number): Promise<Manifest> {
    const dir = `${partitionPrefix(this.prefix, topicId, partition)}manifest/`;
    const keys = (await this.store.list(dir)).map((o) => o.key).filter((k) => k.endsWith('.json')).sort();
    for (let i = keys.length - 1; i >= 0; i--) {
      try {
        return manifestSchema.parse(JSON.parse((await this.store.get(keys[i]!)).toString('utf8')));
      } catch (err) {
        // Removed between list and get by a newer writer's cleanup: try the previous; a newer one exists anyway.
        if (err instanceof TierError && err.code === TierErrorCode.NOT_FOUND) continue;
        throw err;
      }
    }
    return { v: 2, epoch: 0, topicId, partition, segments: [] };
  }

  /**
   * Writes `next` as version previous.epoch + 1. Rejected with TierError CONFLICT when another
   * writer already wrote that version: reload and decide again.
   */
  async write(previous: Manifest, segments: RemoteSegment[]): Promise<Manifest> {
    const next: Manifest = { ...previous, v: 2, epoch: previous.epoch + 1, segments };
    const dir = `${partitionPrefix(this.prefix, previous.topicId, previous.partition)}manifest/`;
    await this.store.put(`${dir}${epochName(next.epoch)}.json`, Buffer.from(JSON.stringify(next)), { ifNoneMatch: true, contentType: 'application/json' });
    if (next.epoch > KEEP_OLD_VERSIONS) {
      const old = (await this.store.list(dir).catch(() => [])).map((o) => o.key).filter((k) => k < `${dir}${epochName(next.epoch - KEEP_OLD_VERSIONS)}.json`);
      if (old.length > 0) await this.store.deleteMany(old).catch(() => undefined);
    }
    return next;
  }
}
