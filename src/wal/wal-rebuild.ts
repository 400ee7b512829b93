// Thread: main. Reads back what a dead broker made durable for one partition: the committed
// batches of its write-ahead objects (wal-format.ts; committed = checked against the leadership
// in Redis before they were acknowledged, wal-writer.ts) from a given offset (the end of the
// offloaded log) on, contiguous — stopping at the first gap, which the writer guarantees no acknowledged batch
// lies after (wal-writer.ts acknowledges objects strictly in order). Objects of one broker are
// decoded once and kept for a while, so taking over many partitions of one dead broker reads
// each object once.
import type { Logger } from 'pino';
import type { PartitionId } from '../ipc/partition-id.js';
import { TierError, TierErrorCode, type ObjectStore } from '../tier/object-store.js';
import { LOG_OVERHEAD, readBaseOffset, readBatchSize } from '../log-format/batch-header.js';
import { decodeWalObject, walBrokerPrefix, type DecodedWalObject, type WalEntry } from './wal-format.js';

const CACHE_MS = 30_000;
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

export class WalRebuild {
  private readonly cache = new Map<number, { atMs: number; objects: Promise<Array<{ key: string; object: DecodedWalObject }>> }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly logger: Logger,
    /** Committed partitions per object key of a broker (handoff-store.ts walCommits). */
    private readonly commits: (broker: number) => Promise<Map<string, Map<PartitionId, number>>>,
  ) {}

  /**
   * Batches of `id` that `broker` made durable with a leader epoch up to `maxEpoch`, from
   * `fromOffset` on. `listedAfterMs`: when this broker learned of the failover — a listing of the
   * dead broker's objects started before then may miss its last ones, so it is not reused.
   */
  async recover(broker: number, id: PartitionId, fromOffset: number, maxEpoch: number, listedAfterMs: number): Promise<RecoveredBatches> {
    // Commits are read after the listing: every object committed before the failover is listed.
    const objects = await this.objectsOf(broker, listedAfterMs);
    const commits = await this.commits(broker);
    const entries: Array<{ entry: WalEntry; object: DecodedWalObject }> = [];
    for (const { key, object } of objects) {
      if (commits.get(key)?.has(id) !== true) continue; // never acknowledged (a zombie's, or its commit failed)
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

  /** Forgets what was read of a broker (it came back, or a rebuild round is over). */
  forget(broker: number): void {
    this.cache.delete(broker);
  }

  private objectsOf(broker: number, listedAfterMs: number): Promise<Array<{ key: string; object: DecodedWalObject }>> {
    const hit = this.cache.get(broker);
    if (hit && hit.atMs >= listedAfterMs && Date.now() - hit.atMs < CACHE_MS) return hit.objects;
    const objects = this.load(broker);
    this.cache.set(broker, { atMs: Date.now(), objects });
    objects.catch(() => this.cache.delete(broker));
    return objects;
  }

  private async load(broker: number): Promise<Array<{ key: string; object: DecodedWalObject }>> {
    const keys = (await this.store.list(walBrokerPrefix(this.prefix, broker))).map((o) => o.key).filter((k) => k.endsWith('.wal')).sort();
    const out: Array<{ key: string; object: DecodedWalObject }> = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < keys.length; i = next++) {
        try {
          out[i] = { key: keys[i]!, object: decodeWalObject(await this.store.get(keys[i]!), keys[i]) };
        } catch (err) {
          // Deleted between list and get (offloaded meanwhile): nothing in it is needed. Any
          // other failure fails the rebuild (retried): skipping an object could skip acknowledged batches.
          if (!(err instanceof TierError && err.code === TierErrorCode.NOT_FOUND)) throw err;
          this.logger.debug({ key: keys[i] }, 'write-ahead object gone before it was read (offloaded); skipped');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_GETS, keys.length) }, worker));
    return out.filter((o) => o !== undefined);
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
