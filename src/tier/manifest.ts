// Thread: main. The per-partition manifest of remote segments, fenced by conditional writes.
// Every manifest version is a new immutable object `<partition prefix>manifest/<epoch>.json`
// created with `If-None-Match: *`; the latest is found by listing. A writer that read epoch N
// writes N+1: if another writer got there first the PUT answers 412 and the update is rejected
// (TierError CONFLICT), so two brokers that both think they own a partition cannot overwrite
// each other's manifest. This works on AWS, LocalStack and Ceph 16.2 alike (the latter answers
// 412 to If-Match even with the current ETag, so If-Match cannot be used there).
import { z } from 'zod';
import { ObjectStore, TierError, TierErrorCode } from './object-store.js';

const remoteSegmentSchema = z.object({
  baseOffset: z.number().int().min(0),
  /** Exclusive. */
  endOffset: z.number().int().min(0),
  sizeBytes: z.number().int().min(0),
  maxTimestamp: z.number().int(),
  /** Object keys of the segment and its indexes. */
  logKey: z.string(),
  offsetIndexKey: z.string(),
  timeIndexKey: z.string(),
  /** CRC32C (hex) of the .log object: ETags are not content hashes for multipart objects. */
  crc32c: z.string().optional(),
  uploadedAtMs: z.number().int(),
});

export const manifestSchema = z.object({
  v: z.literal(1),
  epoch: z.number().int().min(0),
  topicId: z.string(),
  partition: z.number().int().min(0),
  /** Oldest first, contiguous. */
  segments: z.array(remoteSegmentSchema),
});

export type RemoteSegment = z.infer<typeof remoteSegmentSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

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
    return { v: 1, epoch: 0, topicId, partition, segments: [] };
  }

  /**
   * Writes `next` as version previous.epoch + 1. Rejected with TierError CONFLICT when another
   * writer already wrote that version: reload and decide again.
   */
  async write(previous: Manifest, segments: RemoteSegment[]): Promise<Manifest> {
    const next: Manifest = { ...previous, epoch: previous.epoch + 1, segments };
    const dir = `${partitionPrefix(this.prefix, previous.topicId, previous.partition)}manifest/`;
    await this.store.put(`${dir}${epochName(next.epoch)}.json`, Buffer.from(JSON.stringify(next)), { ifNoneMatch: true, contentType: 'application/json' });
    if (next.epoch > KEEP_OLD_VERSIONS) {
      const old = (await this.store.list(dir).catch(() => [])).map((o) => o.key).filter((k) => k < `${dir}${epochName(next.epoch - KEEP_OLD_VERSIONS)}.json`);
      if (old.length > 0) await this.store.deleteMany(old).catch(() => undefined);
    }
    return next;
  }
}
