// Thread: main. The worker slots: one single-thread Piscina pool per slot (so each partition
// has exactly one writer), each behind a strictly FIFO admission gate. Piscina replaces a
// thread that dies; the replacement holds no open partitions and answers PARTITION_NOT_OPEN,
// which the engine turns into a reopen from disk (partition-engine.ts). Slots are numbered
// 0..slotCount-1: elastic scaling adds a slot at the end and retires only the last one (after
// the engine moved its partitions away), so the numbers stay dense.
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { TaskResult, TaskValues, WorkerTask } from '../ipc/tasks.js';
import { EngineError } from './engine-error.js';

export interface SlotPoolOptions {
  workerFile: URL;
  slots: number;
  /** Tasks handed to one slot's thread at a time; the rest wait in the slot's FIFO gate. */
  concurrentTasksPerSlot: number;
  logger: Logger;
  /** Called with each fsync pass duration (ms) the workers report (metrics). */
  onSyncPass?: (ms: number) => void;
  /** Tests only: lets crash() end a worker thread abruptly. */
  faultInjection?: boolean;
}

/** What the engine needs from the slots; a fake implements it in unit tests. */
export interface SlotRunner {
  readonly slotCount: number;
  run<T extends WorkerTask>(slot: number, task: T, transferList?: ArrayBuffer[]): Promise<TaskValues[T['op']]>;
  stats(): SlotStats[];
  /** Starts one more slot (numbered slotCount) and returns its number. */
  addSlot(): number;
  /** Stops the last slot once its queued tasks are done; it must hold no partitions. */
  retireLastSlot(): Promise<void>;
  /**
   * Per slot, the fraction of time its thread was busy since the previous call (event-loop
   * utilisation of the worker thread: CPU work, not time spent waiting for fsync).
   */
  sampleUtilization(): number[];
  crash(slot: number): Promise<void>;
  close(): Promise<void>;
}

export interface SlotStats {
  /** Tasks waiting for the slot (gate and Piscina queue). */
  queueSize: number;
  /** Piscina's utilisation of the slot's thread, 0..1. */
  utilization: number;
}

interface Gate {
  running: number;
  waiting: Array<() => void>;
}

type Elu = ReturnType<typeof performance.eventLoopUtilization>;

export class SlotPool implements SlotRunner {
  private readonly pools: Piscina[] = [];
  private readonly gates: Gate[] = [];
  /** Per slot: the worker thread's event-loop utilisation at the previous sample. */
  private readonly lastElu: Array<{ thread: unknown; elu: Elu } | undefined> = [];

  constructor(private readonly opts: SlotPoolOptions) {
    for (let slot = 0; slot < opts.slots; slot++) this.addSlot();
  }

  addSlot(): number {
    const slot = this.pools.length;
    const pool = new Piscina({
      filename: this.opts.workerFile.href,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: this.opts.concurrentTasksPerSlot,
      atomics: 'disabled',
      idleTimeout: Number.MAX_SAFE_INTEGER,
      // Unbounded here: each connection's in-flight byte budget is what bounds queued work.
      maxQueue: Number.POSITIVE_INFINITY,
      workerData: { slot, faultInjection: this.opts.faultInjection === true },
    });
    pool.on('error', (err: unknown) => this.opts.logger.error({ err, slot }, 'partition worker failed; it is replaced'));
    this.pools.push(pool);
    this.gates.push({ running: 0, waiting: [] });
    this.lastElu.push(undefined);
    return slot;
  }

  async retireLastSlot(): Promise<void> {
    if (this.pools.length <= 1) throw new RangeError('the last worker slot cannot be retired');
    const pool = this.pools.pop()!;
    this.gates.pop();
    this.lastElu.pop();
    await pool.close({ force: false }).catch(() => undefined);
  }

  sampleUtilization(): number[] {
    return this.pools.map((pool, slot) => {
      const thread = pool.threads[0];
      if (thread === undefined) return 0;
      const now = thread.performance.eventLoopUtilization();
      const last = this.lastElu[slot];
      this.lastElu[slot] = { thread, elu: now };
      // A replaced thread starts a new count: its first sample measures from its start.
      const delta = last !== undefined && last.thread === thread ? thread.performance.eventLoopUtilization(now, last.elu) : now;
      // Clamped: the difference of two samples can come out a hair below 0 on an idle thread.
      return Number.isFinite(delta.utilization) ? Math.min(1, Math.max(0, delta.utilization)) : 0;
    });
  }

  get slotCount(): number {
    return this.pools.length;
  }

  stats(): SlotStats[] {
    return this.pools.map((pool, slot) => ({ queueSize: pool.queueSize + this.gates[slot]!.waiting.length, utilization: pool.utilization }));
  }

  /**
   * Runs one task on the slot's thread, after every task submitted to the slot before it was
   * admitted. A task-level failure (the thread died, or the worker answered ok: false) rejects
   * with an EngineError carrying the Kafka code (and the catalogue code / worker stack).
   */
  async run<T extends WorkerTask>(slot: number, task: T, transferList?: ArrayBuffer[]): Promise<TaskValues[T['op']]> {
    const pool = this.pools[slot];
    if (!pool) throw new RangeError(`no worker slot ${slot}`);
    const admission = this.admit(slot);
    if (admission) await admission;
    let result: TaskResult<TaskValues[T['op']]>;
    try {
      result = (await pool.run(task, transferList ? { transferList } : undefined)) as TaskResult<TaskValues[T['op']]>;
    } catch (err) {
      // The thread died (or the pool is closing): its replacement will reopen on demand.
      throw new EngineError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `worker slot ${slot} failed: ${(err as Error).message}`, { strataCode: 'STRATA_ERR_WORKER_FAILED' });
    } finally {
      this.release(slot);
    }
    if (result.syncPassMs && this.opts.onSyncPass) for (const ms of result.syncPassMs) this.opts.onSyncPass(ms);
    if (!result.ok) throw EngineError.fromTask(result.error);
    return result.value;
  }

  /** Tests only: ends the slot's thread as a fatal bug would; Piscina starts a new one. */
  async crash(slot: number): Promise<void> {
    await this.pools[slot]!.run({ op: 'crash' }).catch(() => undefined);
  }

  /** Stops the threads once their queued tasks are done. */
  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close({ force: false }).catch(() => undefined)));
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
