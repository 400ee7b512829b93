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
//   - A commit that fails (Redis unreachable) is retried, holding back the objects after it, so a
//     partition's committed batches never skip an object. A part the commit refuses (`fenced`)
//     is kept as a *hole* of its partition's chain: later committed parts of that partition are
//     neither acknowledged nor counted durable until the hole is filled, which the writer does by
//     storing the refused parts again (same offsets, the epoch it leads with) in a later object
//     as soon as a commit shows it still leads the partition — after Redis lost its data and the
//     leadership was re-seeded, say. A rebuild stitches by offset, so the late copy closes the
//     gap; without it, a gap would end a rebuild before acknowledged batches.
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
  /** The epoch this broker leads the partition with now (-1: not led here); chains of partitions no longer led are dropped by gc(). */
  epochOf?: (p: PartitionId) => number;
  /**
   * Where a partition's durable offsets end when its first batch at an epoch arrives (the gated
   * high watermark: the log end when it started being served); undefined: from that batch.
   * Batches of concurrent produce requests may reach the writer out of offset order, so the first
   * one seen does not tell where the chain starts.
   */
  durableStart?: (p: PartitionId) => number | undefined;
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

/**
 * One partition's run of committed batches at one leader epoch, in offset order: `end` is the
 * offset after the last batch committed with no gap before it (what is durable and may be
 * acknowledged); parts committed beyond a gap wait in `ahead`; refused parts are the `holes`.
 */
interface Chain {
  e: number;
  end: number;
  ahead: Array<{ b: number; l: number }>;
  holes: WalPart[];
  /** Waiting for `end` to pass an offset. */
  waiters: Array<{ l: number; resolve: (o: WalOutcome) => void }>;
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
  private readonly chains = new Map<PartitionId, Chain>();
  readonly stats = { objects: 0, bytes: 0, putMs: 0, retries: 0, fenced: 0, timeouts: 0, restored: 0, commitRetries: 0 };

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
    for (const part of parts) this.chainOf(part);
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
      const gone = await this.commitUntilAnswered(key, parts);
      if (gone === undefined) {
        for (const w of waiters) this.finish(w, w.parts.map(() => 'timeout'));
        return;
      }
      for (const p of parts) if (!gone.has(p.p)) stored.committed.add(p.p);
      const advanced = this.extendChains(parts, gone);
      for (const [p, end] of advanced) this.opts.onDurable?.(p, end);
      for (const w of waiters) {
        // Committed: durable once nothing before it in its partition is missing (the commit vouched for the epoch).
        const outcomes = w.parts.map((p) => (gone.has(p.p) ? 'fenced' : this.chains.get(p.p)?.e === p.e ? this.durableThrough(p.p, p.e, p.l) : 'durable'));
        void Promise.all(outcomes).then((o) => this.finish(w, o));
      }
    })();
  }

  /**
   * Commits a stored object, retrying while Redis cannot answer (holding back the objects after
   * it, so no partition's chain skips it); undefined when the writer stops first.
   */
  private async commitUntilAnswered(key: string, parts: WalPart[]): Promise<Set<PartitionId> | undefined> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        return await this.opts.commit(key, parts);
      } catch (err) {
        this.stats.commitRetries++;
        // Redis unreachable: nobody can prove this broker still leads — acknowledge nothing yet.
        if (attempt === 0 || attempt % 20 === 0) this.opts.logger.warn({ err: describeError(err), key, attempt }, 'write-ahead object stored but its commit failed (leadership unverifiable); retrying, nothing after it is acknowledged meanwhile');
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_MS, 20 * 2 ** Math.min(attempt, 7))));
      }
    }
    return undefined;
  }

  /** The chain `part` belongs to; a higher epoch starts a new chain (the partition was reopened at that epoch). */
  private chainOf(part: WalPart): Chain | undefined {
    let chain = this.chains.get(part.p);
    if (chain === undefined || part.e > chain.e) {
      if (chain !== undefined) for (const w of chain.waiters.splice(0)) w.resolve('fenced');
      chain = { e: part.e, end: Math.min(part.b, this.opts.durableStart?.(part.p) ?? part.b), ahead: [], holes: [], waiters: [] };
      this.chains.set(part.p, chain);
    }
    return part.e === chain.e ? chain : undefined;
  }

  /**
   * Adds an object's committed parts to their chains and its refused parts as holes; answers the
   * partitions whose durable end moved. A chain with holes whose partition this object shows still
   * led here stores the holes again.
   */
  private extendChains(parts: readonly WalPart[], gone: ReadonlySet<PartitionId>): Map<PartitionId, number> {
    const advanced = new Map<PartitionId, number>();
    const refill = new Set<Chain>();
    for (const part of parts) {
      const chain = this.chains.get(part.p);
      if (chain === undefined || chain.e !== part.e) continue;
      if (gone.has(part.p)) {
        if (part.l >= chain.end) chain.holes.push(part);
        continue;
      }
      if (chain.holes.length > 0) refill.add(chain);
      if (part.l < chain.end) continue;
      if (part.b > chain.end) {
        chain.ahead.push({ b: part.b, l: part.l });
        continue;
      }
      chain.end = part.l + 1;
      chain.ahead.sort((x, y) => x.b - y.b);
      while (chain.ahead.length > 0 && chain.ahead[0]!.b <= chain.end) chain.end = Math.max(chain.end, chain.ahead.shift()!.l + 1);
      chain.holes = chain.holes.filter((h) => h.l >= chain.end);
      advanced.set(part.p, chain.end);
      const still: Chain['waiters'] = [];
      for (const w of chain.waiters) (w.l < chain.end ? w.resolve('durable') : still.push(w));
      chain.waiters = still;
    }
    for (const chain of refill) this.storeHolesAgain(chain);
    return advanced;
  }

  /** Adds a chain's refused parts to the next object again (same offsets and epoch). */
  private storeHolesAgain(chain: Chain): void {
    const holes = chain.holes.splice(0);
    if (holes.length === 0) return;
    this.stats.restored += holes.length;
    this.opts.logger.info({ p: holes[0]!.p, epoch: chain.e, from: holes[0]!.b, parts: holes.length }, 'storing batches whose commit was refused again: this broker still leads their partition');
    void this.append(holes);
  }

  /**
   * Resolves 'durable' once the batches of `p` up to offset `l` (appended with epoch `e`) are
   * committed with no gap before them; 'fenced' when the partition was reopened at another epoch;
   * 'timeout' after wal.ack.timeout.ms. Refused batches below `l` are stored again first. The
   * produce path uses it for retried batches the log already holds (duplicates): they are
   * acknowledged only once their original is committed, not merely once it was written.
   * Without a chain for the partition at `e` (appended before a restart) it waits for every
   * object cut so far.
   */
  durableThrough(p: PartitionId, e: number, l: number): Promise<WalOutcome> {
    const chain = this.chains.get(p);
    if (chain === undefined || chain.e < e) {
      // Appended before a restart (or before gc dropped the chain): what the gate holds is durable.
      const start = this.opts.durableStart?.(p);
      return start !== undefined && l < start ? Promise.resolve('durable') : this.barrier();
    }
    if (chain.e > e) return Promise.resolve('fenced');
    if (l < chain.end) return Promise.resolve('durable');
    if (chain.holes.some((h) => h.b <= l)) this.storeHolesAgain(chain);
    return new Promise<WalOutcome>((resolve) => {
      const timer = setTimeout(() => {
        chain.waiters = chain.waiters.filter((w) => w !== waiter);
        resolve('timeout');
      }, this.opts.ackTimeoutMs);
      timer.unref();
      const waiter = {
        l,
        resolve: (o: WalOutcome) => {
          clearTimeout(timer);
          resolve(o);
        },
      };
      chain.waiters.push(waiter);
    });
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

  /** The epoch this broker leads the partition with (-1: not led here). */
  epochOf(p: PartitionId): number {
    return this.opts.epochOf?.(p) ?? -1;
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
    if (this.opts.epochOf !== undefined) {
      // Chains of partitions that moved on: a higher epoch, or no longer led nor served here (a
      // leadership briefly unknown, as while Redis re-seeds, keeps the chain and its holes).
      for (const [p, chain] of this.chains) {
        const epoch = this.opts.epochOf(p);
        if (epoch === chain.e || (epoch === -1 && this.opts.durableStart?.(p) !== undefined)) continue;
        for (const w of chain.waiters.splice(0)) w.resolve('fenced');
        this.chains.delete(p);
      }
    }
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
