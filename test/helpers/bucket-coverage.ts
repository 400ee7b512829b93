// Thread: vitest test worker. What the bucket holds of a topic's
// log, read straight from object storage: the offsets covered by its offloaded segments (the
// partitions' latest manifests) and by every broker's write-ahead objects (src/wal). A record
// acknowledged with acks=all must lie in one of them — this is how the fault tests check it
// without trusting any broker.
import { ManifestStore } from '../../src/tier/manifest.js';
import { TierError, TierErrorCode, type ObjectStore } from '../../src/tier/object-store.js';
import { decodeWalObject } from '../../src/wal/wal-format.js';

/** Offset ranges [from, toExclusive) per partition index, sorted and merged. */
export type Coverage = Map<number, Array<[number, number]>>;

function merge(ranges: Array<[number, number]>): Array<[number, number]> {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [from, to] of ranges) {
    const last = out[out.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/**
 * The offsets of `topicId`'s partitions that are in the bucket under `prefix`. Write-ahead
 * objects are read first and manifests last: an object deleted in between was deleted because
 * its batches were offloaded, which the later manifest then shows.
 */
export async function bucketCoverage(store: ObjectStore, prefix: string, topicId: string, partitions: number): Promise<{ coverage: Coverage; walObjects: number; segments: number }> {
  const ranges = new Map<number, Array<[number, number]>>();
  for (let p = 0; p < partitions; p++) ranges.set(p, []);
  const keys = (await store.list(`${prefix}wal/`)).map((o) => o.key).filter((k) => k.endsWith('.wal'));
  let next = 0;
  let walObjects = 0;
  const worker = async () => {
    for (let i = next++; i < keys.length; i = next++) {
      let data: Buffer;
      try {
        data = await store.get(keys[i]!);
      } catch (err) {
        if (err instanceof TierError && err.code === TierErrorCode.NOT_FOUND) continue; // collected after offload
        throw err;
      }
      walObjects++;
      for (const e of decodeWalObject(data, keys[i]).header.entries) {
        const colon = e.p.lastIndexOf(':');
        if (e.p.slice(0, colon) !== topicId) continue;
        ranges.get(Number(e.p.slice(colon + 1)))?.push([e.b, e.l + 1]);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const manifests = new ManifestStore(store, prefix);
  let segments = 0;
  for (let p = 0; p < partitions; p++) {
    const m = await manifests.load(topicId, p);
    segments += m.segments.length;
    for (const s of m.segments) ranges.get(p)!.push([s.baseOffset, s.endOffset]);
  }
  const coverage: Coverage = new Map();
  for (const [p, list] of ranges) coverage.set(p, merge(list));
  return { coverage, walObjects, segments };
}

/** Whether `offset` of partition `p` is covered. */
export function covers(coverage: Coverage, p: number, offset: number): boolean {
  return (coverage.get(p) ?? []).some(([from, to]) => offset >= from && offset < to);
}
