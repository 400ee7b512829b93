// Thread: main. The router's side of the partition workers: one single-thread Piscina pool
// per worker slot (so each partition has exactly one writer), the placement table
// partition → slot, a cache of each partition's offsets for metadata and long polls, and
// transparent re-opening of partitions on a slot whose thread was replaced.
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { PartitionId } from '../ipc/partition-id.js';
import { TailCache } from './tail-cache.js';
import {
  WorkerError,
  type AppendItemResult,
  type ListOffsetsItemResult,
  type PartitionSpec,
  type PartitionState,
  type ReadItemResult,
  type TaskResult,
  type TaskValues,
  type WorkerTask,
} from '../ipc/tasks.js';

export interface EngineOptions {
  workerFile: URL;
  slots: number;
  concurrentTasksPerSlot: number;
  /** Bytes of newest batches kept on the main thread for tailing consumers (0 disables). */
  tailCacheBytes?: number;
  logger: Logger;
  /** Tests only: lets crashSlot() end a worker thread abruptly. */
  faultInjection?: boolean;
}

export interface AppendRequestItem {
  key: PartitionId;
  records: Buffer;
}

export interface ReadRequestItem {
  key: PartitionId;
  fetchOffset: number;
  maxBytes: number;
  minOneBatch: boolean;
}

export interface ReadOutcome extends Omit<ReadItemResult, 'recordsOffset' | 'recordsLength'> {
  records: Buffer | null;
}

/** Raised for task-level failures (a thread that died mid-task, an I/O error). */
export class EngineError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_REOPEN_ATTEMPTS = 3;

export class PartitionEngine {
  private readonly pools: Piscina[];
  private readonly placement = new Map<PartitionId, number>();
  private readonly specs = new Map<PartitionId, PartitionSpec>();
  private readonly states = new Map<PartitionId, PartitionState>();
  private readonly waiters = new Map<PartitionId, Set<() => void>>();
  private readonly slotLoad: number[];
  readonly tail: TailCache;
  /** Called with each fsync pass duration (ms) the workers report (metrics). */
  onSyncPass: ((ms: number) => void) | undefined;
  private readonly gates: Array<{ running: number; waiting: Array<() => void> }>;

  constructor(private readonly opts: EngineOptions) {
    this.pools = [];
    this.slotLoad = new Array(opts.slots).fill(0);
    this.gates = Array.from({ length: opts.slots }, () => ({ running: 0, waiting: [] }));
    const tailBytes = opts.tailCacheBytes ?? 64 * 1024 * 1024;
    this.tail = new TailCache({ maxBytes: tailBytes, maxBytesPerPartition: Math.min(tailBytes, 4 * 1024 * 1024) });
    for (let slot = 0; slot < opts.slots; slot++) {
      const pool = new Piscina({
        filename: opts.workerFile.href,
        minThreads: 1,
        maxThreads: 1,
        concurrentTasksPerWorker: opts.concurrentTasksPerSlot,
        atomics: 'disabled',
        idleTimeout: Number.MAX_SAFE_INTEGER,
        // Unbounded here: each connection's in-flight byte budget is what bounds queued work.
        maxQueue: Number.POSITIVE_INFINITY,
        workerData: { slot, faultInjection: opts.faultInjection === true },
      });
      pool.on('error', (err: unknown) => opts.logger.error({ err, slot }, 'partition worker failed; it is replaced'));
      this.pools.push(pool);
    }
  }

  get slotCount(): number {
    return this.pools.length;
  }

  slotOf(key: PartitionId): number | undefined {
    return this.placement.get(key);
  }

  state(key: PartitionId): PartitionState | undefined {
    return this.states.get(key);
  }

  partitionsPerSlot(): number[] {
    return [...this.slotLoad];
  }

  /** Per slot, for /metrics: partitions, local segments, Piscina queue size and utilisation. */
  slotStats(): Array<{ partitions: number; segments: number; queueSize: number; utilization: number }> {
    const stats = this.pools.map((pool, slot) => ({ partitions: this.slotLoad[slot] ?? 0, segments: 0, queueSize: pool.queueSize + (this.gates[slot]?.waiting.length ?? 0), utilization: pool.utilization }));
    for (const [key, slot] of this.placement) {
      const s = this.states.get(key);
      if (s && stats[slot]) stats[slot].segments += s.segmentCount;
    }
    return stats;
  }

  /** Checks that every slot's thread starts and answers (a broken worker file fails start-up). */
  async ping(): Promise<void> {
    await Promise.all(this.pools.map((_, slot) => this.run(slot, { op: 'close', keys: [] })));
  }

  /** Opens (creating or recovering) partitions, placing new ones on the least loaded slot. */
  async open(specs: PartitionSpec[]): Promise<void> {
    const bySlot = new Map<number, PartitionSpec[]>();
    for (const spec of specs) {
      let slot = this.placement.get(spec.key);
      if (slot === undefined) {
        slot = this.leastLoadedSlot();
        this.placement.set(spec.key, slot);
        this.slotLoad[slot]!++;
      }
      this.specs.set(spec.key, spec);
      let list = bySlot.get(slot);
      if (!list) bySlot.set(slot, (list = []));
      list.push(spec);
    }
    await Promise.all(
      [...bySlot].map(async ([slot, list]) => {
        const states = await this.run(slot, { op: 'open', partitions: list });
        for (const s of states) this.updateState(s);
      }),
    );
  }

  async configure(spec: PartitionSpec): Promise<void> {
    this.specs.set(spec.key, spec);
    const slot = this.requireSlot(spec.key);
    try {
      this.updateState(await this.run(slot, { op: 'configure', key: spec.key, config: spec.config }));
    } catch (err) {
      // A replaced thread reopens the partition with the stored (new) spec on first use.
      if (!(err instanceof EngineError && err.errorCode === WorkerError.PARTITION_NOT_OPEN)) throw err;
    }
  }

  async delete(keys: PartitionId[]): Promise<void> {
    const bySlot = this.groupBySlot(keys, (k) => k);
    await Promise.all([...bySlot].map(([slot, list]) => this.run(slot, { op: 'delete', keys: list })));
    for (const key of keys) {
      const slot = this.placement.get(key);
      if (slot !== undefined) this.slotLoad[slot]!--;
      this.placement.delete(key);
      this.specs.delete(key);
      this.states.delete(key);
      this.tail.drop(key);
      this.notify(key);
    }
  }

  /** Appends each item's record batches; results come back in item order. */
  /**
   * Appends each item's record batches; results come back in item order. `ownedBuffer` is the
   * request frame's own ArrayBuffer (nothing else shares it): when every item lies in it and
   * one slot owns them all, that buffer is transferred as it is instead of being copied.
   * Either way each item's `records` points into the buffer the worker hands back afterwards.
   */
  async append(acks: number, items: AppendRequestItem[], ownedBuffer?: ArrayBuffer): Promise<AppendItemResult[]> {
    const oneSlot = items.length > 0 && items.every((i) => this.placement.get(i.key) === this.placement.get(items[0]!.key));
    const results = await this.perSlot(items, (slot, slotItems) =>
      this.runItems(slot, slotItems, (subset) => {
        const transfer =
          oneSlot && ownedBuffer !== undefined && ownedBuffer.byteLength > 0 && subset.every((i) => i.records.buffer === ownedBuffer);
        const { buffer, sliceTable } = transfer ? sliceInPlace(subset, ownedBuffer) : copyIntoFreshBuffer(subset);
        return this.run(slot, { op: 'append', acks, buffer, items: sliceTable }, [buffer]).then((value) => {
          // The worker rewrote offsets in place and handed the buffer back: remember the tail.
          const written = Buffer.from(value.buffer);
          subset.forEach((item, j) => {
            const slice = sliceTable[j]!;
            item.records = written.subarray(slice.offset, slice.offset + slice.length);
          });
          value.items.forEach((r, j) => {
            if (r.errorCode === ErrorCode.NONE && r.written === true) this.tail.append(r.key, r.baseOffset, subset[j]!.records); else if (r.errorCode !== WorkerError.PARTITION_NOT_OPEN) this.tail.drop(r.key);
            // In the same turn as the tail update, so a fetch never sees data above its HWM.
            if (r.errorCode === ErrorCode.NONE) this.advance(r.key, r.highWatermark, r.logStartOffset);
          });
          return value.items;
        });
      }),
    );
    return results;
  }

  async read(items: ReadRequestItem[]): Promise<ReadOutcome[]> {
    // Consumers at the tail are answered from the tail cache without a worker round trip.
    const cached = items.map((item) => this.readFromTail(item));
    if (cached.every((c) => c !== null)) return cached as ReadOutcome[];
    const missing = items.filter((_, i) => cached[i] === null);
    const fromWorkers = await this.readFromWorkers(missing);
    let next = 0;
    return cached.map((c) => c ?? fromWorkers[next++]!);
  }

  private readFromTail(item: ReadRequestItem): ReadOutcome | null {
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

  private async readFromWorkers(items: ReadRequestItem[]): Promise<ReadOutcome[]> {
    return this.perSlot(items, (slot, slotItems) =>
      this.runItems(slot, slotItems, async (subset) => {
        const value = await this.run(slot, { op: 'read', items: subset });
        const buffer = Buffer.from(value.buffer);
        return value.items.map((r) => ({
          key: r.key,
          errorCode: r.errorCode,
          highWatermark: r.highWatermark,
          lastStableOffset: r.lastStableOffset,
          logStartOffset: r.logStartOffset,
          records: r.recordsLength > 0 ? buffer.subarray(r.recordsOffset, r.recordsOffset + r.recordsLength) : null,
        }));
      }),
    );
  }

  async listOffsets(items: Array<{ key: PartitionId; timestamp: number }>): Promise<ListOffsetsItemResult[]> {
    return this.perSlot(items, (slot, slotItems) =>
      this.runItems(slot, slotItems, (subset) => this.run(slot, { op: 'listOffsets', items: subset })),
    );
  }

  /** The spec a partition was opened with. */
  spec(key: PartitionId): PartitionSpec | undefined {
    return this.specs.get(key);
  }

  /** Tiered storage: state, with sealed segments awaiting upload, of every remote-enabled partition. */
  async tierState(): Promise<PartitionState[]> {
    const all = await Promise.all(this.pools.map((_, slot) => this.run(slot, { op: 'tierState' }).catch(() => [] as PartitionState[])));
    const out = all.flat();
    for (const s of out) this.updateState(s);
    return out;
  }

  /** Tiered storage: segments ending at or below uploadedEndOffset are uploaded; local retention may delete them. */
  async markUploaded(key: PartitionId, uploadedEndOffset: number): Promise<void> {
    const [result] = await this.runItems(this.requireSlot(key), [{ key, errorCode: 0 }], async () => {
      try {
        const state = await this.run(this.requireSlot(key), { op: 'markUploaded', key, uploadedEndOffset });
        this.updateState(state);
        return [{ key, errorCode: 0 }];
      } catch (err) {
        if (err instanceof EngineError && err.errorCode === WorkerError.PARTITION_NOT_OPEN) return [{ key, errorCode: err.errorCode }];
        throw err;
      }
    });
    void result;
  }

  /** Time-based roll, retention and flush.ms on every slot. */
  async maintenance(nowMs: number): Promise<void> {
    await Promise.all(
      this.pools.map(async (_, slot) => {
        const states = await this.run(slot, { op: 'maintenance', nowMs });
        for (const s of states) this.updateState(s);
      }),
    );
  }

  /**
   * Resolves when any of the keys' high watermark moves (or the partition goes away), or
   * after timeoutMs. Returns a cancel function through the callback registration.
   */
  waitForAppend(keys: PartitionId[], timeoutMs: number): { promise: Promise<void>; cancel: () => void } {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let resolveFn: () => void = () => {};
    const promise = new Promise<void>((resolve) => (resolveFn = resolve));
    const wake = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      for (const key of keys) this.waiters.get(key)?.delete(wake);
      resolveFn();
    };
    for (const key of keys) {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(wake);
    }
    timer = setTimeout(wake, Math.max(0, timeoutMs));
    return { promise, cancel: wake };
  }

  /** Tests only: ends the slot's thread as a fatal bug would; Piscina starts a new one. */
  async crashSlot(slot: number): Promise<void> {
    await this.pools[slot]!.run({ op: 'crash' }).catch(() => undefined);
  }

  /** Wakes every parked long poll (shutdown): they answer with what they have. */
  wakeAllWaiters(): void {
    for (const key of [...this.waiters.keys()]) this.notify(key);
  }

  /** Flushes and closes every partition, then stops the threads. */
  async close(): Promise<void> {
    await Promise.all(this.pools.map((_, slot) => this.run(slot, { op: 'close' }).catch(() => null)));
    await Promise.all(this.pools.map((p) => p.close({ force: false }).catch(() => undefined)));
    for (const key of [...this.waiters.keys()]) this.notify(key);
  }

  private advance(key: PartitionId, highWatermark: number, logStartOffset: number): void {
    const state = this.states.get(key);
    if (!state) return;
    // Results of one slot can arrive out of offset order (an acks=all append waits for its
    // fsync while a later acks=1 one answers at once): the high watermark only moves forward.
    if (logStartOffset > state.logStartOffset) state.logStartOffset = logStartOffset;
    if (highWatermark <= state.highWatermark) return;
    state.highWatermark = highWatermark;
    state.lastStableOffset = highWatermark;
    this.notify(key);
  }

  private updateState(s: PartitionState): void {
    const prev = this.states.get(s.key);
    this.states.set(s.key, s);
    if (!prev || prev.highWatermark !== s.highWatermark) this.notify(s.key);
  }

  private notify(key: PartitionId): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  private leastLoadedSlot(): number {
    let best = 0;
    for (let i = 1; i < this.slotLoad.length; i++) if (this.slotLoad[i]! < this.slotLoad[best]!) best = i;
    return best;
  }

  private requireSlot(key: PartitionId): number {
    const slot = this.placement.get(key);
    if (slot === undefined) throw new EngineError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${key} is not open`);
    return slot;
  }

  private groupBySlot<T>(things: T[], keyOf: (t: T) => PartitionId): Map<number, T[]> {
    const out = new Map<number, T[]>();
    for (const t of things) {
      const slot = this.requireSlot(keyOf(t));
      let list = out.get(slot);
      if (!list) out.set(slot, (list = []));
      list.push(t);
    }
    return out;
  }

  /** Splits items by owning slot, runs each slot's share concurrently, restores item order. */
  private async perSlot<I extends { key: PartitionId }, R>(items: I[], runSlot: (slot: number, slotItems: I[]) => Promise<R[]>): Promise<R[]> {
    const results = new Array<R>(items.length);
    const bySlot = this.groupBySlot(items.map((_, i) => i), (i) => items[i]!.key);
    await Promise.all(
      [...bySlot].map(async ([slot, indexes]) => {
        const slotResults = await runSlot(slot, indexes.map((i) => items[i]!));
        indexes.forEach((itemIndex, j) => (results[itemIndex] = slotResults[j]!));
      }),
    );
    return results;
  }

  /**
   * Runs a task over items; items the slot answers PARTITION_NOT_OPEN for (its thread was
   * replaced and lost its open logs) are reopened — which recovers them from disk — and
   * only those items are run again. Nothing was written for a NOT_OPEN item.
   */
  private async runItems<I extends { key: PartitionId }, R extends { key: PartitionId; errorCode: number }>(
    slot: number,
    items: I[],
    attempt: (subset: I[]) => Promise<R[]>,
  ): Promise<R[]> {
    const results = new Array<R>(items.length);
    let pending = items.map((_, i) => i);
    for (let round = 0; pending.length > 0; round++) {
      const answer = await attempt(pending.map((i) => items[i]!));
      const retry: number[] = [];
      answer.forEach((r, j) => {
        if (r.errorCode === WorkerError.PARTITION_NOT_OPEN) retry.push(pending[j]!);
        else results[pending[j]!] = r;
      });
      if (retry.length === 0) break;
      const keys = retry.map((i) => items[i]!.key);
      if (round >= MAX_REOPEN_ATTEMPTS) throw new EngineError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `partitions ${keys.join(',')} could not be reopened`);
      this.opts.logger.warn({ slot, partitions: keys }, 'reopening partitions on a replaced worker thread');
      const specs = keys.map((k) => this.specs.get(k)).filter((s): s is PartitionSpec => s !== undefined);
      const states = await this.run(slot, { op: 'open', partitions: specs });
      for (const s of states) this.updateState(s);
      pending = retry;
    }
    return results;
  }

  private async run<T extends WorkerTask>(slot: number, task: T, transferList?: ArrayBuffer[]): Promise<TaskValues[T['op']]> {
    const admission = this.admit(slot);
    if (admission) await admission;
    let result: TaskResult<TaskValues[T['op']]>;
    try {
      result = (await this.pools[slot]!.run(task, transferList ? { transferList } : undefined)) as TaskResult<TaskValues[T['op']]>;
    } catch (err) {
      // The thread died (or the pool is closing): its replacement will reopen on demand.
      throw new EngineError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `worker slot ${slot} failed: ${(err as Error).message}`);
    } finally {
      this.release(slot);
    }
    if (result.syncPassMs && this.onSyncPass) for (const ms of result.syncPassMs) this.onSyncPass(ms);
    if (!result.ok) throw new EngineError(result.error.code, result.error.message);
    return result.value;
  }

  /**
   * Per-slot FIFO gate. Piscina's own queue (used once a thread has concurrentTasksPerWorker
   * tasks) does not preserve submission order, and a partition's appends must reach its
   * worker in request order: so at most that many tasks are handed to Piscina per slot and
   * the rest wait here, strictly first in, first out.
   */
  private admit(slot: number): Promise<void> | void {
    const gate = this.gates[slot]!;
    if (gate.running < this.opts.concurrentTasksPerSlot && gate.waiting.length === 0) {
      gate.running++;
      return;
    }
    return new Promise<void>((resolve) => gate.waiting.push(resolve));
  }

  private release(slot: number): void {
    const gate = this.gates[slot]!;
    const next = gate.waiting.shift();
    if (next) next(); // the slot stays occupied: handed straight to the next task in line
    else gate.running--;
  }
}

interface AppendSlices {
  buffer: ArrayBuffer;
  sliceTable: Array<{ key: PartitionId; offset: number; length: number }>;
}

/** The items already live in `buffer` (the request frame's own): describe where. */
function sliceInPlace(items: AppendRequestItem[], buffer: ArrayBuffer): AppendSlices {
  return { buffer, sliceTable: items.map((i) => ({ key: i.key, offset: i.records.byteOffset, length: i.records.length })) };
}

/** One fresh, unpooled, not zero-filled buffer holding the items back to back. */
function copyIntoFreshBuffer(items: AppendRequestItem[]): AppendSlices {
  let total = 0;
  for (const item of items) total += item.records.length;
  const view = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  const sliceTable = items.map((item) => {
    view.set(item.records, offset);
    const slice = { key: item.key, offset, length: item.records.length };
    offset += item.records.length;
    return slice;
  });
  return { buffer: view.buffer as ArrayBuffer, sliceTable };
}
