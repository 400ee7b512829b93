// Thread: worker. Piscina entry of one worker slot (a pool with ONE thread and several tasks in
// flight). Keeps the slot's open partition logs and answers the tasks of src/ipc/tasks.ts with
// plain data only: every failure becomes `{ ok: false, error }` or a per-item error code,
// nothing is thrown across the boundary.
//
// Ordering: an append task's validation and writes are synchronous and happen before its first
// `await` (the fsync wait), so appends to one partition hit the file in task arrival order
// even with several tasks in flight. Within a task, every item's batches are validated, given
// offsets and staged, then each partition's staged bytes are written with ONE writev (a
// coalesced task carries many small produce requests per partition).
//
// A task naming a partition this slot does not hold answers, for that item, a cause with the
// internal code STRATA_ERR_PARTITION_NOT_OPEN (never a fake Kafka code); the router reopens it
// here (recovering from disk) and retries. Items that fail with an exception carry it as
// `cause` (with the stack of unexpected failures) so the router can log it.
import type { PartitionId } from '../src/ipc/partition-id.js';
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import {
  type CrashTask,
  type AppendItemResult,
  type AppendResult,
  type AppendTask,
  type DeleteRecordsItemResult,
  type OffsetForLeaderEpochItemResult,
  type ListOffsetsItemResult,
  type ListOffsetsTask,
  type LogHandoff,
  type PartitionSpec,
  type PartitionState,
  type ReadItemResult,
  type ReadResult,
  type ReadTask,
  type TaskError,
  type TaskResult,
  type TaskValues,
  type WorkerTask,
} from '../src/ipc/tasks.js';
import { codecsReady } from '../src/protocol/compression.js';
import { drainSyncPassDurations } from './group-commit.js';
import { StrataError, errorMessage } from '../src/errors.js';
import { notOpenError, toTaskError } from './errors.js';
import { PartitionLog, type PartitionLogOptions, type ReadPlan } from './partition-log.js';

export type AnyTaskResult = TaskResult<TaskValues[keyof TaskValues]>;

let codecsInitialised = false;

/** The slot's partitions and task handling; the default export uses one per thread. */
export class PartitionWorker {
  readonly logs = new Map<PartitionId, PartitionLog>();
  private readonly closing = new Map<PartitionId, Promise<void>>();

  constructor(private readonly options: PartitionLogOptions = {}) {}

  /** Handles a task; never throws. */
  async handle(task: WorkerTask): Promise<AnyTaskResult> {
    try {
      switch (task.op) {
        case 'append':
          return ok(await this.append(task));
        case 'read':
          return ok(this.read(task));
        case 'listOffsets':
          return ok(this.listOffsets(task));
        case 'open':
          return ok(await this.open(task.partitions));
        case 'configure': {
          const log = this.logs.get(task.key);
          if (log === undefined) return notOpen(task.key);
          return ok(log.configure(task.config));
        }
        case 'maintenance':
          return ok(await this.maintenance(task.nowMs));
        case 'tierState':
          return ok([...this.logs.values()].filter((l) => l.config.remoteStorageEnable && !l.isClosed).map((l) => l.state()));
        case 'markUploaded': {
          const log = this.logs.get(task.key);
          if (log === undefined) return notOpen(task.key);
          return ok(log.markUploaded(task.uploadedEndOffset));
        }
        case 'deleteRecords':
          return ok(await Promise.all(task.items.map((item) => this.perLog(item.key, (log) => log.deleteRecords(item.offset), deleteRecordsError))));
        case 'offsetForLeaderEpoch':
          return ok(await Promise.all(task.items.map((item) => this.perLog(item.key, (log) => log.offsetForLeaderEpoch(item.leaderEpoch), epochError))));
        case 'logSize':
          return ok(await Promise.all(task.items.map((item) => this.perLog(item.key, (log) => log.logSize(), (key, cause) => ({ key, errorCode: cause.code, cause, sizeBytes: -1, logEndOffset: -1 })))));
        case 'describeProducers':
          return ok(await Promise.all(task.items.map((item) => this.perLog(item.key, (log) => log.describeProducers(), (key, cause) => ({ key, errorCode: cause.code, cause, producers: [] })))));
        case 'delete':
          await this.remove(task.keys, true);
          return ok(null);
        case 'close':
          await this.remove(task.keys ?? [...this.logs.keys()], false);
          return ok(null);
        case 'release':
          return ok(await this.release(task.keys));
        case 'seal':
          return ok(await Promise.all(task.keys.map((key) => this.logs.get(key)?.sealForHandoff() ?? null)));
        default:
          throw new StrataError('STRATA_ERR_INVALID_TASK', `unknown task op ${(task as { op?: unknown }).op}`);
      }
    } catch (err) {
      return { ok: false, error: toTaskError(err) };
    }
  }

  private async open(specs: PartitionSpec[]): Promise<PartitionState[]> {
    // Appends may decompress a batch (maxTimestamp repair); zstd must be initialised on this
    // thread before any partition is open here. Only the first open awaits; if the WebAssembly
    // cannot load, partitions still open and only such a zstd batch is refused (clear message).
    if (!codecsInitialised) {
      codecsInitialised = true;
      await codecsReady().catch(() => undefined);
    }
    const states: PartitionState[] = [];
    for (const spec of specs) {
      const pending = this.closing.get(spec.key);
      if (pending !== undefined) await pending.catch(() => undefined);
      const existing = this.logs.get(spec.key);
      if (existing !== undefined) {
        states.push(existing.configure(spec.config));
        continue;
      }
      let log: PartitionLog;
      try {
        log = PartitionLog.open(spec, this.options);
      } catch (err) {
        throw new StrataError('STRATA_ERR_STORAGE', `opening partition ${spec.key} in ${spec.dir}: ${errorMessage(err)}`, { cause: err });
      }
      this.logs.set(spec.key, log);
      states.push(log.state());
    }
    return states;
  }

  private async append(task: AppendTask): Promise<AppendResult> {
    const buffer = Buffer.from(task.buffer);
    const results: AppendItemResult[] = [];
    /** Per item: the log it was appended to and its group-commit ticket (acks=-1), else 0. */
    const durable: Array<{ log: PartitionLog; ticket: number } | null> = [];
    // Per log touched: the items appended to it. Appends are staged and each log's writes are
    // made with one writev after the loop (a coalesced task may hold many requests per partition).
    const staged = new Map<PartitionLog, number[]>();
    // Synchronous part: validate, stage and write every item before the first await.
    for (let i = 0; i < task.items.length; i++) {
      const item = task.items[i];
      durable.push(null);
      const log = this.logs.get(item.key);
      if (log === undefined) {
        results.push(appendError(item.key, notOpenError(item.key)));
        continue;
      }
      if (item.offset < 0 || item.length < 0 || item.offset + item.length > buffer.length) {
        results.push(appendError(item.key, toTaskError(new StrataError('STRATA_ERR_INVALID_TASK', 'append slice outside the task buffer'))));
        continue;
      }
      let indexes = staged.get(log);
      if (indexes === undefined) {
        staged.set(log, (indexes = []));
        log.beginWrites();
      }
      indexes.push(i);
      try {
        const outcome = log.append(buffer.subarray(item.offset, item.offset + item.length), task.acks);
        results.push(outcome.result);
        if (outcome.ticket !== 0) durable[i] = { log, ticket: outcome.ticket };
      } catch (err) {
        results.push(appendError(item.key, toTaskError(err)));
      }
    }
    for (const [log, indexes] of staged) {
      let writeError: unknown;
      try {
        log.flushWrites();
      } catch (err) {
        writeError = err;
      }
      if (!log.broken) continue;
      // A write failed (here, or in a roll during an append): this log's memory is ahead of its
      // file. Every item of the task appended to it fails (retriable) and the log is dropped; the
      // next request reopens it from disk, and recovery truncates at the last whole batch.
      const failure = writeError !== undefined ? toTaskError(writeError) : (indexes.map((i) => results[i]!.cause).find((c) => c !== undefined) ?? toTaskError(new StrataError('STRATA_ERR_STORAGE', `write to ${log.key} failed`)));
      for (const i of indexes) {
        results[i] = appendError(log.key, failure);
        durable[i] = null;
      }
      if (this.logs.get(log.key) === log) this.logs.delete(log.key);
      log.abandon();
    }
    const waits: Array<Promise<void>> = [];
    durable.forEach((d, index) => {
      if (d === null) return;
      waits.push(
        d.log.waitDurable(d.ticket).catch((err: unknown) => {
          const cause = toTaskError(err);
          results[index] = { ...results[index]!, errorCode: cause.code, errorMessage: `fsync failed: ${cause.message}`, cause };
        }),
      );
    });
    if (waits.length > 0) await Promise.all(waits);
    // The buffer goes back to the router (its tail cache): nothing here touches it any more.
    return { items: results, buffer: task.buffer };
  }

  private read(task: ReadTask): ReadResult {
    const plans: Array<ReadPlan | null> = [];
    const items: ReadItemResult[] = [];
    let total = 0;
    for (const item of task.items) {
      const log = this.logs.get(item.key);
      const result: ReadItemResult = {
        key: item.key,
        errorCode: 0,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        recordsOffset: 0,
        recordsLength: 0,
      };
      items.push(result);
      if (log === undefined) {
        result.cause = notOpenError(item.key);
        result.errorCode = result.cause.code;
        plans.push(null);
        continue;
      }
      result.highWatermark = log.nextOffset;
      result.lastStableOffset = log.nextOffset;
      result.logStartOffset = log.logStartOffset;
      try {
        const plan = log.planRead(item.fetchOffset, item.maxBytes, item.minOneBatch);
        result.errorCode = plan.errorCode;
        plans.push(plan);
        total += plan.totalBytes;
      } catch (err) {
        result.cause = toTaskError(err);
        result.errorCode = result.cause.code;
        plans.push(null);
      }
    }
    // One fresh buffer for the whole task; items back to back. allocUnsafeSlow gives a
    // dedicated (transferable) ArrayBuffer without zero-filling what the read overwrites.
    const view = Buffer.allocUnsafeSlow(total);
    const buffer = view.buffer as ArrayBuffer;
    let offset = 0;
    for (let i = 0; i < items.length; i++) {
      const plan = plans[i];
      if (plan === null || plan.totalBytes === 0) continue;
      const log = this.logs.get(items[i].key)!;
      try {
        const length = log.executeRead(plan, view, offset);
        items[i].recordsOffset = offset;
        items[i].recordsLength = length;
        offset += length;
      } catch (err) {
        items[i].cause = toTaskError(err);
        items[i].errorCode = items[i].cause!.code;
      }
    }
    return { buffer, items };
  }

  private listOffsets(task: ListOffsetsTask): ListOffsetsItemResult[] {
    return task.items.map((item) => {
      const log = this.logs.get(item.key);
      if (log === undefined) {
        const cause = notOpenError(item.key);
        return { key: item.key, errorCode: cause.code, cause, offset: -1, timestamp: -1 };
      }
      try {
        return log.listOffsets(item.timestamp);
      } catch (err) {
        const cause = toTaskError(err);
        return { key: item.key, errorCode: cause.code, cause, offset: -1, timestamp: -1 };
      }
    });
  }

  /** Runs one item's operation on its log; a missing log or a failure becomes the item's error and cause. */
  private async perLog<R>(key: PartitionId, run: (log: PartitionLog) => R | Promise<R>, error: (key: PartitionId, cause: TaskError) => R): Promise<R> {
    const log = this.logs.get(key);
    if (log === undefined) return error(key, notOpenError(key));
    try {
      return await run(log);
    } catch (err) {
      return error(key, toTaskError(err));
    }
  }

  private async maintenance(nowMs: number): Promise<PartitionState[]> {
    const logs = [...this.logs.values()];
    // A failure is the partition's, not the task's: its state goes back with the cause, which the
    // router logs (partition-engine.ts), and the other partitions' maintenance still runs.
    return Promise.all(logs.map((log) => log.maintenance(nowMs).catch((err: unknown): PartitionState => ({ ...log.state(), maintenanceError: toTaskError(err) }))));
  }

  /** Hands partitions to another slot (PartitionLog.release); null for a key not held here. */
  private async release(keys: PartitionId[]): Promise<Array<LogHandoff | null>> {
    return Promise.all(
      keys.map(async (key) => {
        const log = this.logs.get(key);
        if (log === undefined) return null;
        this.logs.delete(key);
        const done = log.release();
        // An open of the same key on this slot waits for the release to finish.
        const settled = done.then(() => undefined, () => undefined);
        this.closing.set(key, settled);
        try {
          return await done;
        } finally {
          if (this.closing.get(key) === settled) this.closing.delete(key);
        }
      }),
    );
  }

  /** Close (flush + checkpoint) or delete partitions; unknown keys are ignored. */
  private async remove(keys: PartitionId[], deleteFiles: boolean): Promise<void> {
    const errors: unknown[] = [];
    await Promise.all(
      keys.map(async (key) => {
        const log = this.logs.get(key);
        if (log === undefined) return;
        this.logs.delete(key);
        const done = deleteFiles ? log.delete() : log.close();
        this.closing.set(key, done);
        try {
          await done;
        } catch (err) {
          errors.push(err);
        } finally {
          if (this.closing.get(key) === done) this.closing.delete(key);
        }
      }),
    );
    if (errors.length > 0) throw errors[0];
  }
}

function ok<T>(value: T): TaskResult<T> {
  return { ok: true, value };
}

function notOpen(key: PartitionId): AnyTaskResult {
  return { ok: false, error: notOpenError(key) };
}

function deleteRecordsError(key: PartitionId, cause: TaskError): DeleteRecordsItemResult {
  return { key, errorCode: cause.code, cause, lowWatermark: -1, state: null };
}

function epochError(key: PartitionId, cause: TaskError): OffsetForLeaderEpochItemResult {
  return { key, errorCode: cause.code, cause, leaderEpoch: -1, endOffset: -1 };
}

function appendError(key: PartitionId, cause: TaskError): AppendItemResult {
  return {
    key,
    errorCode: cause.code,
    errorMessage: cause.message,
    cause,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    highWatermark: -1,
    recordErrors: [],
  };
}

/**
 * Wraps a result so Piscina transfers (not copies) the read buffer back to the router:
 * the `transferableSymbol` / `valueSymbol` protocol of Piscina.move().
 */
export function transferResult(result: AnyTaskResult): unknown {
  if (!result.ok || !(result.value instanceof Object) || !('buffer' in result.value)) return result;
  const buffer = (result.value as ReadResult).buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return result;
  return move({
    get [transferableSymbol]() {
      return [buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}

const slotWorker = new PartitionWorker();
const faultInjection = (workerData as { faultInjection?: boolean } | null)?.faultInjection === true;

/** Piscina task handler. */
export default async function handle(task: WorkerTask | CrashTask): Promise<unknown> {
  // Tests only: end this thread abruptly, as a fatal bug would, to exercise replacement.
  if (task.op === 'crash' && faultInjection) process.exit(1);
  const result = await slotWorker.handle(task as WorkerTask);
  const syncPassMs = drainSyncPassDurations();
  if (syncPassMs.length > 0) result.syncPassMs = syncPassMs;
  return transferResult(result);
}
