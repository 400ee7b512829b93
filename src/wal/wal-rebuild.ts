// Thread: main. Reads back what a dead broker made durable for one partition: the committed
// batches of its write-ahead objects (wal-format.ts; committed = checked against the leadership
// in Redis before they were acknowledged, wal-writer.ts) from a given offset (the end of the
// offloaded log) on, contiguous — stopping at the first gap, which the writer guarantees no
// acknowledged batch lies after (it acknowledges objects strictly in order).
//
// Which objects to read comes from the commits (handoff-store.ts walCommits: object key →
// partition → last offset in it), not from listing the bucket: only objects holding the
// partition at or after the offset are fetched, however many objects the broker left behind.
// Decoded objects are kept for a while (bounded in bytes), so taking over many partitions of
// one dead broker reads each object once.
import type { Logger } from 'pino';
import type { PartitionId } from '../ipc/partition-id.js';
import type { ObjectStore } from '../tier/object-store.js';
import { LOG_OVERHEAD, readBaseOffset, readBatchSize } from '../log-format/batch-header.js';
import { decodeWalObject, type DecodedWalObject, type WalEntry } from './wal-format.js';

const CACHE_MS = 30_000;
const CACHE_BYTES = 128 * 1024 * 1024;
const PARALLEL_GETS = 8;

export interface RecoveredBatches {
  /** Record batches, in offset order, from `fromOffset` with no gap. */
  chunks: Buffer[];
  /** The offset after the last recovered batch (fromOffset when none). */
  endOffset: number;
  /** Objects read and entries of this partition found (log, metrics). */
  objects: number;
  entries: number;
}

interface Cached {
  atMs: number;
  bytes: number;
  object: Promise<DecodedWalObject>;
}

export class WalRebuild {
  private readonly cache = new Map<string, Cached>();
  private cachedBytes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly logger: Logger,
    /** Committed partitions (with their last offset) per object key of a broker (handoff-store.ts walCommits). */
    private readonly commits: (broker: number) => Promise<Map<string, Map<PartitionId, number>>>,
  ) {}

  /** Batches of `id` that `broker` made durable with a leader epoch up to `maxEpoch`, from `fromOffset` on. */
  async recover(broker: number, id: PartitionId, fromOffset: number, maxEpoch: number): Promise<RecoveredBatches> {
    const commits = await this.commits(broker);
    const keys = [...commits].filter(([, parts]) => (parts.get(id) ?? -1) >= fromOffset).map(([key]) => key).sort();
    const objects = await this.objects(keys);
    const entries: Array<{ entry: WalEntry; object: DecodedWalObject }> = [];
    for (const object of objects) {
      for (const entry of object.header.entries) if (entry.p === id && entry.l >= fromOffset && entry.e <= maxEpoch) entries.push({ entry, object });
    }
    entries.sort((a, b) => a.entry.b - b.entry.b);
    const chunks: Buffer[] = [];
    let next = fromOffset;
    for (const { entry, object } of entries) {
      if (entry.l < next) continue; // already covered
      if (entry.b > next) break; // a gap: nothing acknowledged lies beyond it
      // The entry starts at `next`, or straddles it (a segment rolled between two of its batches):
      // keep its batches from the one starting at `next`.
      const records = entry.b === next ? object.records(entry) : batchesFrom(object.records(entry), next);
      if (records === undefined) break;
      chunks.push(records);
      next = entry.l + 1;
    }
    return { chunks, endOffset: next, objects: objects.length, entries: entries.length };
  }

  /**
   * The objects, fetched (at most PARALLEL_GETS at a time) or from the cache. A committed object
   * that is gone fails the rebuild (it is retried with a fresh manifest: objects are deleted only
   * once offloaded); skipping it could skip acknowledged batches.
   */
  private async objects(keys: readonly string[]): Promise<DecodedWalObject[]> {
    const now = Date.now();
    for (const [key, c] of this.cache) if (now - c.atMs > CACHE_MS) this.evict(key);
    const out: DecodedWalObject[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < keys.length; i = next++) out[i] = await this.object(keys[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_GETS, keys.length) }, worker));
    return out;
  }

  private object(key: string): Promise<DecodedWalObject> {
    const hit = this.cache.get(key);
    if (hit) return hit.object;
    const entry: Cached = { atMs: Date.now(), bytes: 0, object: undefined as unknown as Promise<DecodedWalObject> };
    entry.object = this.store.get(key).then((data) => {
      entry.bytes = data.length;
      this.cachedBytes += data.length;
      while (this.cachedBytes > CACHE_BYTES && this.cache.size > 1) this.evict(this.cache.keys().next().value!);
      return decodeWalObject(data, key);
    });
    entry.object.catch(() => this.evict(key));
    this.cache.set(key, entry);
    return entry.object;
  }

  private evict(key: string): void {
    const c = this.cache.get(key);
    if (!c) return;
    this.cachedBytes -= c.bytes;
    this.cache.delete(key);
  }
}

/** The batches of `records` from the one whose base offset is `offset`; undefined when none starts there. */
function batchesFrom(records: Buffer, offset: number): Buffer | undefined {
  let pos = 0;
  while (pos + LOG_OVERHEAD <= records.length) {
    if (readBaseOffset(records, pos) === offset) return records.subarray(pos);
    const size = readBatchSize(records, pos);
    if (size < LOG_OVERHEAD) return undefined;
    pos += size;
  }
  return undefined;
}
