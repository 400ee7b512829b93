// Thread: main. What the router knows about each open partition without asking its worker:
// offsets (log start, high watermark), the long-poll waiters parked on it, and the tail cache
// of its newest batches. The high watermark only moves forward here, and waiters wake in the
// same turn as the move, so a fetch never reads above the high watermark it saw.
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { PartitionId } from '../ipc/partition-id.js';
import type { PartitionState, ReadItemResult } from '../ipc/tasks.js';
import { TailCache } from './tail-cache.js';

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

  /** The partition is gone (deleted): forget it and wake its long polls. */
  remove(id: PartitionId): void {
    this.states.delete(id);
    this.tail.drop(id);
    this.notify(id);
  }

  /** A consumer at the tail answered from the tail cache, or null when the cache cannot answer exactly. */
  readFromTail(item: ReadRequestItem): ReadOutcome | null {
    const state = this.states.get(item.key);
    if (!state || item.fetchOffset < state.logStartOffset || item.fetchOffset >= state.highWatermark) return null;
    const records = this.tail.read(item.key, item.fetchOffset, item.maxBytes, item.minOneBatch);
    if (records === null) return null;
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
