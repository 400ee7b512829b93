// Thread: main. What the router knows about each open partition without asking its worker:
// offsets (log start, high watermark), the long-poll waiters parked on it, and the tail cache
// of its newest batches. The high watermark only moves forward here, and waiters wake in the
// same turn as the move, so a fetch never reads above the high watermark it saw.
// A partition made durable through the bucket (src/wal) is *gated*: its high watermark stops at
// the end of what its write-ahead objects have committed (`durable`), not at the log end, so
// consumers never read a batch that a failover could lose or a zombie wrote (reads above it are
// trimmed, as Kafka's high watermark waits for the in-sync replicas).
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { PartitionId } from '../ipc/partition-id.js';
import type { PartitionState, ReadItemResult } from '../ipc/tasks.js';
import { TailCache } from './tail-cache.js';
import { LOG_OVERHEAD, readBatchSize, readLastOffset } from '../protocol/record-batch.js';

export interface ReadRequestItem {
  key: PartitionId;
  fetchOffset: number;
  maxBytes: number;
  minOneBatch: boolean;
}

export interface ReadOutcome extends Omit<ReadItemResult, 'recordsOffset' | 'recordsLength'> {
  records: Buffer | null;
}

export interface LongPoll {
  promise: Promise<void>;
  /** Resolves the promise now (idempotent). */
  cancel: () => void;
}

export class PartitionStates {
  private readonly states = new Map<PartitionId, PartitionState>();
  private readonly waiters = new Map<PartitionId, Set<() => void>>();
  /** Gated partitions: the end of what is committed durable (see the header). */
  private readonly durableEnds = new Map<PartitionId, number>();
  /** Gated partitions: the log end (what the high watermark would be without the gate). */
  private readonly logEnds = new Map<PartitionId, number>();

  constructor(readonly tail: TailCache) {}

  get(id: PartitionId): PartitionState | undefined {
    return this.states.get(id);
  }

  values(): IterableIterator<PartitionState> {
    return this.states.values();
  }

  /**
   * Takes the worker's snapshot of a partition; wakes waiters if the high watermark moved.
   * Answers of one slot can arrive out of order — a tierState or maintenance snapshot taken
   * before a DeleteRecords or an append may be handled after it — so the offsets (log start,
   * high watermark, DeleteRecords floor) never move back here; sizes and sealed segments are
   * the snapshot's.
   */
  update(s: PartitionState): void {
    const prev = this.states.get(s.key);
    const gate = this.durableEnds.get(s.key);
    if (gate !== undefined) {
      this.logEnds.set(s.key, Math.max(this.logEnds.get(s.key) ?? 0, s.highWatermark));
      s = { ...s, highWatermark: Math.min(s.highWatermark, gate), lastStableOffset: Math.min(s.lastStableOffset, gate) };
    }
    if (!prev) {
      this.states.set(s.key, s);
      this.notify(s.key);
      return;
    }
    const merged: PartitionState = {
      ...s,
      logStartOffset: Math.max(prev.logStartOffset, s.logStartOffset),
      highWatermark: Math.max(prev.highWatermark, s.highWatermark),
      lastStableOffset: Math.max(prev.lastStableOffset, s.lastStableOffset),
    };
    const floor = Math.max(prev.deleteRecordsOffset ?? 0, s.deleteRecordsOffset ?? 0);
    if (floor > 0 || s.deleteRecordsOffset !== undefined) merged.deleteRecordsOffset = floor;
    this.states.set(s.key, merged);
    if (merged.highWatermark !== prev.highWatermark) this.notify(s.key);
  }

  /**
   * An append's result: results of one slot can arrive out of offset order (an acks=all append
   * waits for its fsync while a later acks=1 one answers at once), so offsets only move forward.
   */
  advance(id: PartitionId, highWatermark: number, logStartOffset: number): void {
    const state = this.states.get(id);
    if (!state) return;
    if (logStartOffset > state.logStartOffset) state.logStartOffset = logStartOffset;
    const gate = this.durableEnds.get(id);
    if (gate !== undefined) {
      this.logEnds.set(id, Math.max(this.logEnds.get(id) ?? 0, highWatermark));
      highWatermark = Math.min(highWatermark, gate);
    }
    if (highWatermark <= state.highWatermark) return;
    state.highWatermark = highWatermark;
    state.lastStableOffset = highWatermark;
    this.notify(id);
  }

  /**
   * A successful append: `written` holds the batches as the log now holds them (offsets rewritten
   * by the worker), or null when nothing new was written (a duplicate idempotent batch), which
   * leaves the tail cache unable to vouch for contiguity: it is dropped. Then the high watermark moves.
   */
  appended(id: PartitionId, baseOffset: number, written: Buffer | null, highWatermark: number, logStartOffset: number): void {
    if (written !== null) this.tail.append(id, baseOffset, written);
    else this.tail.drop(id);
    // In the same turn as the tail update, so a fetch never sees data above its HWM.
    this.advance(id, highWatermark, logStartOffset);
  }

  /**
   * Gates a partition (see the header) from now on, `durableEnd` being what is durable already
   * (its log end when it starts being served: a takeover or rebuild made all of it durable).
   */
  gate(id: PartitionId, durableEnd: number): void {
    this.durableEnds.set(id, Math.max(this.durableEnds.get(id) ?? 0, durableEnd));
    this.logEnds.set(id, Math.max(this.logEnds.get(id) ?? 0, this.states.get(id)?.highWatermark ?? 0));
  }

  /** The partition is no longer gated here (not led here any more). */
  ungate(id: PartitionId): void {
    this.durableEnds.delete(id);
    this.logEnds.delete(id);
  }

  /** What is committed durable of a gated partition (undefined: not gated). */
  durableEnd(id: PartitionId): number | undefined {
    return this.durableEnds.get(id);
  }

  /** The high watermark of a gated partition: where reads must stop (undefined: not gated). */
  gatedHighWatermark(id: PartitionId): number | undefined {
    return this.durableEnds.has(id) ? (this.states.get(id)?.highWatermark ?? 0) : undefined;
  }

  /** Offsets below `end` of a gated partition are committed durable: its high watermark follows. */
  durable(id: PartitionId, end: number): void {
    const gate = this.durableEnds.get(id);
    if (gate === undefined || end <= gate) return;
    this.durableEnds.set(id, end);
    const state = this.states.get(id);
    if (state === undefined) return;
    const visible = Math.min(end, this.logEnds.get(id) ?? end);
    if (visible <= state.highWatermark) return;
    state.highWatermark = visible;
    state.lastStableOffset = visible;
    this.notify(id);
  }

  /** The partition is gone (deleted): forget it and wake its long polls. */
  remove(id: PartitionId): void {
    this.ungate(id);
    this.states.delete(id);
    this.tail.drop(id);
    this.notify(id);
  }

  /** A consumer at the tail answered from the tail cache, or null when the cache cannot answer exactly. */
  readFromTail(item: ReadRequestItem): ReadOutcome | null {
    const state = this.states.get(item.key);
    if (!state || item.fetchOffset < state.logStartOffset || item.fetchOffset >= state.highWatermark) return null;
    let records = this.tail.read(item.key, item.fetchOffset, item.maxBytes, item.minOneBatch);
    if (records === null) return null;
    if (this.durableEnds.has(item.key)) records = batchesBelow(records, state.highWatermark);
    return {
      key: item.key,
      errorCode: ErrorCode.NONE,
      highWatermark: state.highWatermark,
      lastStableOffset: state.lastStableOffset,
      logStartOffset: state.logStartOffset,
      records: records.length > 0 ? records : null,
    };
  }

  /** Resolves when any of the partitions' high watermark moves (or one goes away), or after timeoutMs. */
  waitForAppend(ids: readonly PartitionId[], timeoutMs: number): LongPoll {
    let done = false;
    let resolveFn: () => void = () => {};
    const promise = new Promise<void>((resolve) => (resolveFn = resolve));
    const wake = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const id of ids) this.waiters.get(id)?.delete(wake);
      resolveFn();
    };
    for (const id of ids) {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(wake);
    }
    const timer = setTimeout(wake, Math.max(0, timeoutMs));
    return { promise, cancel: wake };
  }

  /** Number of long polls parked on the partition (tests, metrics). */
  waiterCount(id: PartitionId): number {
    return this.waiters.get(id)?.size ?? 0;
  }

  /** Wakes every parked long poll (shutdown): they answer with what they have. */
  wakeAll(): void {
    for (const id of [...this.waiters.keys()]) this.notify(id);
  }

  private notify(id: PartitionId): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const wake of set) wake();
  }
}

/** The whole batches of `records` whose last offset is below `end` (the rest trimmed). */
export function batchesBelow(records: Buffer, end: number): Buffer {
  let pos = 0;
  while (pos + LOG_OVERHEAD <= records.length) {
    const size = readBatchSize(records, pos);
    if (size < LOG_OVERHEAD || pos + size > records.length || readLastOffset(records, pos) >= end) break;
    pos += size;
  }
  return pos === records.length ? records : records.subarray(0, pos);
}
