// Thread: main. KIP-227 incremental fetch sessions, per broker (not per connection: a client
// may reconnect and go on with its session): the bounded cache of sessions, each session's
// partition set with what the client asked for (fetch offset, partition max bytes) and what it
// was last told (high watermark, log start, last stable offset), and the rule that decides
// whether an incremental response must carry a partition. Semantics follow Apache Kafka's
// FetchSession.scala; the Fetch handler (handlers/01-fetch.ts) drives it.
//
// Eviction, as Kafka's FetchSessionCacheShard (there are no follower, "privileged", sessions):
// when the cache is full, a new session may take the slot of (1) the least recently used
// session if it has been idle longer than MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS, else
// (2) the smallest session (fewest partitions; ties: lowest id) among those created longer
// ago than that, and only if the new session has strictly more partitions. Younger sessions
// are never evicted. Otherwise no session is created and the client gets session id 0.
// Sessions sit in one Map in least-recently-used order (touch re-inserts), so (1) is O(1);
// (2) scans the sessions, which only happens while creating a session in a full cache.
import type { PartitionId } from '../ipc/partition-id.js';
import type { ReadRequestItem } from '../partitions/partition-engine.js';

export const INVALID_SESSION_ID = 0;
/** Request epoch: full fetch that asks for a new session. */
export const INITIAL_EPOCH = 0;
/** Request epoch: full fetch without a session (or closing one). */
export const FINAL_EPOCH = -1;
/** Kafka's min.incremental.fetch.session.eviction.ms default (a constant here). */
export const MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS = 120_000;

const MAX_INT32 = 0x7fffffff;

/** The epoch after `epoch`, as Kafka's FetchMetadata.nextEpoch (wraps to 1, never 0). */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === MAX_INT32 ? 1 : epoch + 1;
}

/** What a read answered for one partition, as far as the session's change rule cares. */
export interface PartitionAnswer {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** The records the response carries for the partition. */
  records: Buffer | null;
}

/** One partition of a session. Its engine read item lives here and is reused by every fetch. */
export class CachedPartition {
  /** The engine read item: fetchOffset and maxBytes are updated in place. */
  readonly read: ReadRequestItem;
  /** The client's partitionMaxBytes (the read's maxBytes is also capped by the request's maxBytes). */
  partitionMaxBytes: number;
  /** Last values sent to the client; -1 = never sent (or an error was sent: re-send when it clears). */
  highWatermark = -1;
  lastStableOffset = -1;
  logStartOffset = -1;
  private wire: Buffer | undefined;

  constructor(
    readonly topic: string,
    /** 32 hex characters. */
    readonly topicId: string,
    readonly partition: number,
    key: PartitionId,
    fetchOffset: number,
    partitionMaxBytes: number,
  ) {
    this.partitionMaxBytes = partitionMaxBytes;
    this.read = { key, fetchOffset, maxBytes: Math.max(0, partitionMaxBytes), minOneBatch: true };
  }

  get key(): PartitionId {
    return this.read.key;
  }

  /** The topic id as the 16 bytes a response carries (made when first answered). */
  get topicIdWire(): Buffer {
    return (this.wire ??= Buffer.from(this.topicId, 'hex'));
  }

  /**
   * Whether an incremental response must carry this partition (Kafka's maybeUpdateResponseData):
   * records returned, high watermark, last stable offset or log start changed since last sent,
   * or an error. With `commit` the answer is remembered as sent (an error forgets the high
   * watermark, so the partition is sent again once the error clears).
   */
  mustRespond(a: PartitionAnswer, commit: boolean): boolean {
    let must = a.records !== null && a.records.length > 0;
    if (this.highWatermark !== a.highWatermark) {
      must = true;
      if (commit) this.highWatermark = a.highWatermark;
    }
    if (this.lastStableOffset !== a.lastStableOffset) {
      must = true;
      if (commit) this.lastStableOffset = a.lastStableOffset;
    }
    if (this.logStartOffset !== a.logStartOffset) {
      must = true;
      if (commit) this.logStartOffset = a.logStartOffset;
    }
    if (a.errorCode !== 0) {
      must = true;
      if (commit) this.highWatermark = -1;
    }
    return must;
  }
}

export class FetchSession {
  /** The epoch the next incremental request must carry. */
  epoch = 1;
  lastUsedMs: number;
  /** Insertion order is the read and response order. */
  private readonly byKey = new Map<PartitionId, CachedPartition>();
  /** byKey's values, reads and keys as arrays for the engine; rebuilt only when the set changes. */
  private partsCache: CachedPartition[] = [];
  private readsCache: ReadRequestItem[] = [];
  private keysCache: PartitionId[] = [];
  private dirty = false;
  /** Where the response byte budget starts next time (round robin, see 01-fetch.ts). */
  cursor = 0;

  constructor(
    readonly id: number,
    /** Created by a v13+ request (topic ids); the session then accepts only v13+ requests, and older only older. */
    readonly usesTopicIds: boolean,
    readonly createdMs: number,
  ) {
    this.lastUsedMs = createdMs;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: PartitionId): CachedPartition | undefined {
    return this.byKey.get(key);
  }

  /** Adds the partition, or updates its fetch offset and max bytes (Kafka's session.update). */
  upsert(topic: string, topicId: string, partition: number, key: PartitionId, fetchOffset: number, partitionMaxBytes: number): CachedPartition {
    const cp = this.byKey.get(key);
    if (cp) {
      cp.read.fetchOffset = fetchOffset;
      cp.partitionMaxBytes = partitionMaxBytes;
      return cp;
    }
    const added = new CachedPartition(topic, topicId, partition, key, fetchOffset, partitionMaxBytes);
    this.byKey.set(key, added);
    this.dirty = true;
    return added;
  }

  /** Removes the partition; false when the session did not hold it. */
  forget(key: PartitionId): boolean {
    if (!this.byKey.delete(key)) return false;
    this.dirty = true;
    return true;
  }

  /**
   * Removes the partition of a topic known only by name (a pre-v13 forget of a topic whose
   * name no longer resolves: it was deleted). A scan, for that rare case only.
   */
  forgetByName(topic: string, partition: number): boolean {
    for (const cp of this.byKey.values()) {
      if (cp.topic === topic && cp.partition === partition) return this.forget(cp.key);
    }
    return false;
  }

  /** The partitions in read order. Do not modify. */
  partitions(): readonly CachedPartition[] {
    if (this.dirty) this.rebuild();
    return this.partsCache;
  }

  /** The engine read items, index-aligned with partitions(). */
  reads(): ReadRequestItem[] {
    if (this.dirty) this.rebuild();
    return this.readsCache;
  }

  /** The partition ids, index-aligned with partitions() (long-poll waits). */
  keys(): PartitionId[] {
    if (this.dirty) this.rebuild();
    return this.keysCache;
  }

  private rebuild(): void {
    // Fresh arrays: a fetch still long-polling on the old ones keeps a consistent view.
    const parts = [...this.byKey.values()];
    this.partsCache = parts;
    this.readsCache = parts.map((p) => p.read);
    this.keysCache = parts.map((p) => p.read.key);
    if (this.cursor >= parts.length) this.cursor = 0;
    this.dirty = false;
  }
}

export interface FetchSessionCacheOptions {
  /** max.incremental.fetch.session.cache.slots: sessions held at most (0 = sessions disabled). */
  maxSessions: number;
  evictionMs?: number;
  /** A uniform number in [0, 1) (tests inject a sequence). */
  random?: () => number;
}

export class FetchSessionCache {
  /** Least recently used first: touch() re-inserts. */
  private readonly sessions = new Map<number, FetchSession>();
  private readonly maxSessions: number;
  private readonly evictionMs: number;
  private readonly random: () => number;
  /** Sessions evicted to make room for new ones, since start. */
  evictions = 0;

  constructor(opts: FetchSessionCacheOptions) {
    this.maxSessions = opts.maxSessions;
    this.evictionMs = opts.evictionMs ?? MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS;
    this.random = opts.random ?? Math.random;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  /**
   * A new session for `size` partitions, or undefined when the cache is full and no session may
   * be evicted for it (see the header). The caller fills in its partitions.
   */
  create(usesTopicIds: boolean, size: number, nowMs: number): FetchSession | undefined {
    if (this.maxSessions <= 0) return undefined;
    if (this.sessions.size >= this.maxSessions && !this.tryEvict(size, nowMs)) return undefined;
    const session = new FetchSession(this.newSessionId(), usesTopicIds, nowMs);
    this.sessions.set(session.id, session);
    return session;
  }

  /** Closes the session; false when there was none. */
  remove(id: number): boolean {
    return this.sessions.delete(id);
  }

  /** Marks the session used now (most recently used). */
  touch(session: FetchSession, nowMs: number): void {
    session.lastUsedMs = nowMs;
    if (this.sessions.delete(session.id)) this.sessions.set(session.id, session);
  }

  /** Partitions held across all sessions (scrape time only: O(sessions)). */
  partitionCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.size;
    return n;
  }

  private tryEvict(newSize: number, nowMs: number): boolean {
    const lru = this.sessions.values().next();
    if (lru.done) return false;
    if (nowMs - lru.value.lastUsedMs > this.evictionMs) return this.evict(lru.value);
    let victim: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (nowMs - s.createdMs <= this.evictionMs) continue;
      if (!victim || s.size < victim.size || (s.size === victim.size && s.id < victim.id)) victim = s;
    }
    // Kafka compares (size, id) with the newcomer's (size, 0): only a strictly larger one wins.
    if (!victim || newSize <= victim.size) return false;
    return this.evict(victim);
  }

  private evict(session: FetchSession): boolean {
    this.sessions.delete(session.id);
    this.evictions++;
    return true;
  }

  private newSessionId(): number {
    for (;;) {
      const id = 1 + Math.floor(this.random() * MAX_INT32);
      if (id <= MAX_INT32 && !this.sessions.has(id)) return id;
    }
  }
}
