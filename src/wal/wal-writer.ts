// Thread: main. Makes the batches appended to durable partitions (remote-storage topics in a
// cluster with a bucket) durable in object storage, as WarpStream, AutoMQ and KIP-1150 do
// instead of copying them to follower brokers. Every batch appended locally to such a
// partition — whatever its acks — is added here, so the objects cover each partition's log
// without a gap; acks=all answers only once the object holding its batches is stored.
//
//   - Batches gather for wal.flush.ms, or until wal.flush.bytes, then go out as one object
//     (wal-format.ts) with a conditional PUT (If-None-Match: the key is never overwritten).
//   - Objects are PUT concurrently but acknowledged strictly in order, and a failed PUT is
//     retried (backing off) until it succeeds: an acknowledged batch never lies after a batch
//     that is missing from the bucket, which is what lets a rebuild stop at the first gap.
//   - Before acknowledging, the writer commits the object in Redis (`commit`): one Lua step that
//     checks it still leads each partition at the epoch it appended with and records the object
//     as committed for those. A broker that was paused or cut off while its partitions moved (a
//     zombie) acknowledges nothing after the move, and a rebuild uses only committed batches, so
//     nothing it wrote after the move is ever read either.
//   - A waiter gives up after wal.ack.timeout.ms (its produce answers a retriable error; the
//     object is still retried). While more than wal.max.pending.bytes are not stored, the
//     produce handler refuses new batches before appending them (`overloaded`).
//   - Objects are deleted once every partition they hold is offloaded past them (gc()).
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { PartitionId } from '../ipc/partition-id.js';
import { describeError } from '../errors.js';
import type { ObjectStore } from '../tier/object-store.js';
import { encodeWalObject, walObjectKey } from './wal-format.js';

export interface WalPart {
  p: PartitionId;
  /** The leader epoch this broker appended with. */
  e: number;
  /** First and last offset (inclusive). */
  b: number;
  l: number;
  records: Buffer;
}

/** What became of a part: stored and still led here; led elsewhere now; not stored in time. */
export type WalOutcome = 'durable' | 'fenced' | 'timeout';

export interface WalWriterOptions {
  store: ObjectStore;
  prefix: string;
  nodeId: number;
  flushMs: number;
  flushBytes: number;
  ackTimeoutMs: number;
  maxPendingBytes: number;
  /** Commits a stored object for the partitions this broker still leads; answers the others. */
  commit: (key: string, parts: ReadonlyArray<{ p: PartitionId; e: number; l: number }>) => Promise<Set<PartitionId>>;
  /** Forgets the commits of deleted objects. */
  forgetCommits?: (keys: readonly string[]) => Promise<void>;
  /**
   * Reloads what is known of how far these partitions are offloaded (their manifests), for
   * partitions whose objects gc() keeps: called at most every REFRESH_MS (objects of partitions
   * another broker leads now are deleted once that broker offloads them).
   */
  refreshOffloaded?: (ids: readonly PartitionId[]) => Promise<void>;
  /** The offset below which a partition is offloaded (its manifest's end), for gc(). */
  offloadedEnd: (p: PartitionId) => number | undefined;
  logger: Logger;
  /** Offsets of `p` below `end` are committed durable (in order; before the waiters are answered). */
  onDurable?: (p: PartitionId, end: number) => void;
  /** Called after each stored object (metrics): bytes, PUT ms. */
  observe?: (bytes: number, putMs: number) => void;
}

interface Waiter {
  parts: WalPart[];
  resolve: (outcome: WalOutcome[]) => void;
  done: boolean;
}

interface StoredObject {
  key: string;
  /** Last offset per partition it holds. */
  lastOffsets: Map<PartitionId, number>;
  /** Partitions committed for it (written back if Redis loses them). */
  committed: Set<PartitionId>;
}

/** Per object key: committed partitions and their last offset in it (handoff-store.ts WalCommits). */
export type WalObjectCommits = Map<string, Map<PartitionId, number>>;

const MAX_RETRY_MS = 2_000;
const REFRESH_MS = 30_000;

export class WalWriter {
  private readonly incarnation = crypto.randomBytes(6).toString('hex');
  private seq = 0;
  private pending: Waiter[] = [];
  private pendingBytes = 0;
  /** Bytes added and not yet stored (pending plus in flight). */
  private unstoredBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Resolves when every object cut so far is acknowledged (in order). */
  private ackChain: Promise<void> = Promise.resolve();
  private readonly stored: StoredObject[] = [];
  private stopped = false;
  private lastRefreshMs = 0;
  readonly stats = { objects: 0, bytes: 0, putMs: 0, retries: 0, fenced: 0, timeouts: 0 };

  constructor(private readonly opts: WalWriterOptions) {}

  /** True while too many bytes wait for the bucket: refuse new batches before appending them. */
  get overloaded(): boolean {
    return this.unstoredBytes >= this.opts.maxPendingBytes;
  }

  /**
   * Adds batches just appended locally (in append order per partition); resolves per part once
   * their object is stored and acknowledged, they are fenced, or the ack timeout passes.
   */
  append(parts: WalPart[]): Promise<WalOutcome[]> {
    if (parts.length === 0) return Promise.resolve([]);
    return new Promise<WalOutcome[]>((resolve) => {
      const waiter: Waiter = { parts, resolve, done: false };
      this.pending.push(waiter);
      let bytes = 0;
      for (const p of parts) bytes += p.records.length;
      this.pendingBytes += bytes;
      this.unstoredBytes += bytes;
      const timeout = setTimeout(() => this.finish(waiter, parts.map(() => 'timeout')), this.opts.ackTimeoutMs);
      timeout.unref();
      const original = waiter.resolve;
      waiter.resolve = (o) => {
        clearTimeout(timeout);
        original(o);
      };
      if (this.pendingBytes >= this.opts.flushBytes) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs);
    });
  }

  /** Cuts what is pending into one object, PUTs it, and acknowledges it after its predecessors. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const waiters = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    const parts = waiters.flatMap((w) => w.parts);
    const createdAtMs = Date.now();
    const seq = this.seq++;
    const key = walObjectKey(this.opts.prefix, this.opts.nodeId, createdAtMs, this.incarnation, seq);
    const body = encodeWalObject({ broker: this.opts.nodeId, incarnation: this.incarnation, seq, createdAtMs }, parts);
    const put = this.putUntilStored(key, body);
    const previous = this.ackChain;
    this.ackChain = (async () => {
      const ok = await put;
      await previous;
      this.unstoredBytes -= bytes;
      if (!ok) {
        for (const w of waiters) this.finish(w, w.parts.map(() => 'timeout'));
        return;
      }
      const lastOffsets = new Map<PartitionId, number>();
      for (const p of parts) lastOffsets.set(p.p, Math.max(lastOffsets.get(p.p) ?? -1, p.l));
      const stored: StoredObject = { key, lastOffsets, committed: new Set() };
      this.stored.push(stored);
      let gone = new Set<PartitionId>();
      try {
        gone = await this.opts.commit(key, parts);
        for (const p of parts) if (!gone.has(p.p)) stored.committed.add(p.p);
        for (const p of stored.committed) this.opts.onDurable?.(p, lastOffsets.get(p)! + 1);
      } catch (err) {
        // Redis unreachable: nobody can prove this broker still leads — acknowledge nothing.
        this.opts.logger.warn({ err: describeError(err) }, 'write-ahead object stored but leadership unverifiable; its batches are not acknowledged');
        for (const w of waiters) this.finish(w, w.parts.map(() => 'timeout'));
        return;
      }
      for (const w of waiters) this.finish(w, w.parts.map((p) => (gone.has(p.p) ? 'fenced' : 'durable')));
    })();
  }

  /** Resolves true once stored (retrying with backoff); false when the writer stops first. */
  private async putUntilStored(key: string, body: Buffer): Promise<boolean> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const started = performance.now();
      try {
        await this.opts.store.put(key, body, { ifNoneMatch: true, contentType: 'application/octet-stream' });
        const ms = performance.now() - started;
        this.stats.objects++;
        this.stats.bytes += body.length;
        this.stats.putMs += ms;
        this.opts.observe?.(body.length, ms);
        return true;
      } catch (err) {
        this.stats.retries++;
        if (attempt === 0 || attempt % 20 === 0) this.opts.logger.warn({ err: describeError(err), key, attempt }, 'write-ahead object PUT failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_MS, 20 * 2 ** Math.min(attempt, 7))));
      }
    }
    return false;
  }

  private finish(w: Waiter, outcome: WalOutcome[]): void {
    if (w.done) return;
    w.done = true;
    for (const o of outcome) {
      if (o === 'fenced') this.stats.fenced++;
      else if (o === 'timeout') this.stats.timeouts++;
    }
    w.resolve(outcome);
  }

  /** Resolves 'durable' once every batch added so far is stored, or 'timeout' after wal.ack.timeout.ms. */
  async barrier(): Promise<WalOutcome> {
    this.flush();
    const chain = this.ackChain;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([chain.then((): WalOutcome => 'durable'), new Promise<WalOutcome>((resolve) => (timer = setTimeout(resolve, this.opts.ackTimeoutMs, 'timeout')))]);
    clearTimeout(timer);
    return outcome;
  }

  /** Deletes stored objects whose every partition is offloaded past them. */
  async gc(): Promise<number> {
    const now = Date.now();
    if (this.opts.refreshOffloaded !== undefined && now - this.lastRefreshMs >= REFRESH_MS) {
      this.lastRefreshMs = now;
      const blocking = new Set<PartitionId>();
      for (const o of this.stored) for (const [p, last] of o.lastOffsets) if ((this.opts.offloadedEnd(p) ?? -1) <= last) blocking.add(p);
      if (blocking.size > 0) await this.opts.refreshOffloaded([...blocking]);
    }
    const doomed = this.stored.filter((o) => [...o.lastOffsets].every(([p, last]) => (this.opts.offloadedEnd(p) ?? -1) > last));
    if (doomed.length === 0) return 0;
    await this.opts.store.deleteMany(doomed.map((o) => o.key));
    await this.opts.forgetCommits?.(doomed.map((o) => o.key));
    for (const o of doomed) this.stored.splice(this.stored.indexOf(o), 1);
    return doomed.length;
  }

  /** The commits of the objects this writer stored and has not deleted (written back if Redis loses them). */
  commits(): WalObjectCommits {
    return new Map(this.stored.filter((o) => o.committed.size > 0).map((o) => [o.key, new Map([...o.committed].map((p) => [p, o.lastOffsets.get(p) ?? -1]))]));
  }

  /**
   * Start-up: takes over this broker's objects from before a restart — the committed ones are
   * kept until offloaded (gc), the others (never acknowledged) are deleted now.
   */
  async adopt(commits: WalObjectCommits, ownKeys: readonly string[]): Promise<{ adopted: number; deleted: number }> {
    const known = new Set(this.stored.map((o) => o.key));
    let adopted = 0;
    for (const [key, parts] of commits) {
      if (known.has(key) || parts.size === 0) continue;
      this.stored.push({ key, lastOffsets: new Map(parts), committed: new Set(parts.keys()) });
      adopted++;
    }
    const uncommitted = ownKeys.filter((k) => !commits.has(k) && !known.has(k));
    if (uncommitted.length > 0) await this.opts.store.deleteMany(uncommitted);
    return { adopted, deleted: uncommitted.length };
  }

  /** Waits for everything cut so far (stop), then stops retrying. */
  async close(timeoutMs: number): Promise<void> {
    this.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ackChain, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.stopped = true;
  }
}
