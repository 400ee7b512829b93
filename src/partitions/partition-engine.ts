// Thread: main. The router's one entry point to the partition logs. Composes the parts of
// this folder — the slots (slot-pool.ts), the placement table and the balancer that fills it,
// the router-side partition state (offsets, long polls, tail cache) — and adds what spans
// them: splitting a request by slot and restoring its order, transparently reopening
// partitions on a slot whose thread was replaced (nothing was written for such an item), and
// moving a partition between slots (movePartition) and adding or retiring slots.
//
// A move: new work for the partition waits at its gate (move-gates.ts); the work already
// routed to the old slot finishes (partition-traffic.ts counts it); the old slot releases the
// log (closes its files without fsync and answers the log's exact end and producer state);
// the placement table points at the new slot, which opens the log from that handoff without
// scanning (the bytes are in the page cache of this same process); the gate opens. High watermark, tail cache and long polls live on this thread and never move.
// Nothing is written while the partition is between slots, so no record can be lost,
// duplicated or reordered; a slot thread dying during a move only loses what was never
// acknowledged (the files are recovered on open, as after a crash).
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { PartitionId } from '../ipc/partition-id.js';
import {
  isPartitionNotOpen,
  type AppendItemResult,
  type DeleteRecordsItemResult,
  type DescribeProducersItemResult,
  type ListOffsetsItemResult,
  type LogSizeItemResult,
  type OffsetForLeaderEpochItemResult,
  type LogHandoff,
  type SealedLogEnd,
  LATEST_TIMESTAMP,
  type PartitionSpec,
  type PartitionState,
  type WorkerTask,
  type TaskValues,
} from '../ipc/tasks.js';
import { canTransferInPlace, copyIntoFreshBuffer, sliceInPlace, type AppendRequestItem } from './append-buffers.js';
import { AppendCoalescer, type CoalescerStats } from './append-coalescer.js';
import { Balancer } from './balancer.js';
import { EngineError } from './engine-error.js';
import { MoveGates } from './move-gates.js';
import { PartitionTraffic } from './partition-traffic.js';
import { batchesBelow, PartitionStates, type LongPoll, type ReadOutcome, type ReadRequestItem } from './partition-states.js';
import { PlacementTable } from './placement-table.js';
import { runPlanned } from './slot-planner.js';
import { SlotPool, type SlotRunner } from './slot-pool.js';
import { TailCache } from './tail-cache.js';

export type { AppendRequestItem } from './append-buffers.js';
export type { ReadOutcome, ReadRequestItem } from './partition-states.js';
export { EngineError } from './engine-error.js';

const MAX_REOPEN_ATTEMPTS = 3;
/** Default bound on how long work for a moving partition waits (partition.move.timeout.ms). */
export const DEFAULT_MOVE_TIMEOUT_MS = 5000;

/** One finished move, for logs, metrics and the admin view. */
export interface MoveReport {
  partition: PartitionId;
  topic: string | undefined;
  partitionIndex: number | undefined;
  from: number;
  to: number;
  /** How long work for the partition was held (gate closed to gate open), ms. */
  pauseMs: number;
  /** Of which: waiting for work already routed to the old slot, closing there, opening on the new slot. */
  phasesMs: { drain: number; close: number; open: number };
  reason: string;
}

/** Where every partition lives, for the admin view. */
export interface PlacementView {
  slots: Array<{ slot: number; retiring: boolean; utilization: number; partitions: Array<{ id: PartitionId; topic: string; partition: number; bytesPerSec: number }> }>;
  moving: PartitionId[];
  movesTotal: number;
}

/** What the elastic-slot controller samples: the slots' utilisation and each partition's load. */
export interface EngineLoadSample {
  nowMs: number;
  slotUtilization: number[];
  partitions: Array<{ id: PartitionId; slot: number; bytesPerSec: number }>;
}

export interface EngineParts {
  slots: SlotRunner;
  table: PlacementTable;
  balancer: Balancer;
  states: PartitionStates;
  logger: Logger;
  /** How an append batch waits for the end of the turn (tests: a manual scheduler). */
  scheduleAppend?: (run: () => void) => void;
  /** partition.move.timeout.ms (default DEFAULT_MOVE_TIMEOUT_MS). */
  moveTimeoutMs?: number;
  /** Called after each move (metrics). */
  onMove?: (report: MoveReport) => void;
}

export interface EngineOptions {
  workerFile: URL;
  slots: number;
  concurrentTasksPerSlot: number;
  /** Bytes of newest batches kept on the main thread for tailing consumers (0 disables). */
  tailCacheBytes?: number;
  logger: Logger;
  /** Called with each fsync pass duration (ms) the workers report (metrics). */
  onSyncPass?: (ms: number) => void;
  /** Tests only: lets crashSlot() end a worker thread abruptly. */
  faultInjection?: boolean;
  moveTimeoutMs?: number;
  onMove?: (report: MoveReport) => void;
}

/** Per slot, for /metrics: partitions, local segments, queued tasks and thread utilisation. */
export interface SlotReport {
  partitions: number;
  segments: number;
  queueSize: number;
  utilization: number;
}

export class PartitionEngine {
  private readonly slots: SlotRunner;
  private readonly table: PlacementTable;
  private readonly balancer: Balancer;
  private readonly states: PartitionStates;
  private readonly logger: Logger;
  private readonly specs = new Map<PartitionId, PartitionSpec>();
  /** One per slot: the appends of one turn cross to the slot as one task. */
  private readonly coalescers: AppendCoalescer[];
  private readonly gates = new MoveGates();
  private readonly traffic = new PartitionTraffic();
  private readonly moveTimeoutMs: number;
  private readonly onMove: ((report: MoveReport) => void) | undefined;
  private readonly scheduleAppend: ((run: () => void) => void) | undefined;
  private movesTotal = 0;
  /** Partitions being handed to another broker (cluster move): appends are refused. */
  private readonly fenced = new Set<PartitionId>();
  /** The latest load sample (admin view). */
  private lastLoad: EngineLoadSample | undefined;

  /** The engine over real worker threads. */
  static create(opts: EngineOptions): PartitionEngine {
    const tailBytes = opts.tailCacheBytes ?? 64 * 1024 * 1024;
    const tail = new TailCache({ maxBytes: tailBytes, maxBytesPerPartition: Math.min(tailBytes, 4 * 1024 * 1024) });
    const table = new PlacementTable(opts.slots);
    return new PartitionEngine({
      slots: new SlotPool(opts),
      table,
      balancer: new Balancer(table),
      states: new PartitionStates(tail),
      logger: opts.logger,
      ...(opts.moveTimeoutMs !== undefined ? { moveTimeoutMs: opts.moveTimeoutMs } : {}),
      ...(opts.onMove ? { onMove: opts.onMove } : {}),
    });
  }

  constructor(parts: EngineParts) {
    this.slots = parts.slots;
    this.table = parts.table;
    this.balancer = parts.balancer;
    this.states = parts.states;
    this.logger = parts.logger;
    this.moveTimeoutMs = parts.moveTimeoutMs ?? DEFAULT_MOVE_TIMEOUT_MS;
    this.onMove = parts.onMove;
    this.scheduleAppend = parts.scheduleAppend;
    this.coalescers = Array.from({ length: this.slots.slotCount }, (_, slot) => this.coalescerFor(slot));
  }

  private coalescerFor(slot: number): AppendCoalescer {
    return new AppendCoalescer((acks, items, owned) => this.appendOnSlot(slot, acks, items, owned), this.scheduleAppend);
  }

  get slotCount(): number {
    return this.slots.slotCount;
  }

  get tail(): TailCache {
    return this.states.tail;
  }

  slotOf(id: PartitionId): number | undefined {
    return this.table.lookup(id);
  }

  state(id: PartitionId): PartitionState | undefined {
    return this.states.get(id);
  }

  /** The spec a partition was opened with. */
  spec(id: PartitionId): PartitionSpec | undefined {
    return this.specs.get(id);
  }

  partitionsPerSlot(): number[] {
    return this.table.partitionsPerSlot();
  }

  slotStats(): SlotReport[] {
    const perSlot = this.table.partitionsPerSlot();
    // Utilisation over the last sampling interval (sampleLoad), else Piscina's since start.
    const sampled = this.lastLoad?.slotUtilization;
    const stats = this.slots.stats().map((s, slot) => ({ partitions: perSlot[slot] ?? 0, segments: 0, queueSize: s.queueSize, utilization: sampled?.[slot] ?? s.utilization }));
    for (const [id, slot] of this.table.entries()) {
      const s = this.states.get(id);
      if (s && stats[slot]) stats[slot].segments += s.segmentCount;
    }
    return stats;
  }

  /** Checks that every slot's thread starts and answers (a broken worker file fails start-up). */
  async ping(): Promise<void> {
    await this.onEachSlot({ op: 'close', keys: [] });
  }

  /** Opens (creating or recovering) partitions, placing new ones where the balancer says. */
  async open(specs: PartitionSpec[]): Promise<void> {
    for (const spec of specs) {
      if (this.table.lookup(spec.key) === undefined) this.table.assign(spec.key, this.balancer.slotForNewPartition());
      this.specs.set(spec.key, spec);
      this.traffic.track(spec.key);
    }
    await this.guarded(specs, () =>
      runPlanned(specs, (id) => this.requireSlot(id), async (slot, list) => {
        const states = await this.slots.run(slot, { op: 'open', partitions: list });
        for (const s of states) this.states.update(s);
        return list;
      }),
    );
  }

  async configure(spec: PartitionSpec): Promise<void> {
    this.specs.set(spec.key, spec);
    await this.guarded([spec], async () => {
      const slot = this.requireSlot(spec.key);
      try {
        this.states.update(await this.slots.run(slot, { op: 'configure', key: spec.key, config: spec.config }));
      } catch (err) {
        // A replaced thread (or the new slot of a move) opens the partition with the stored (new) spec.
        if (!(err instanceof EngineError && isPartitionNotOpen(err))) throw err;
      }
    });
  }

  async delete(ids: PartitionId[]): Promise<void> {
    const items = ids.map((key) => ({ key }));
    await this.guarded(items, () =>
      runPlanned(items, (id) => this.requireSlot(id), async (slot, list) => {
        await this.slots.run(slot, { op: 'delete', keys: list.map((i) => i.key) });
        return list;
      }),
    );
    for (const id of ids) {
      this.table.remove(id);
      this.specs.delete(id);
      this.states.remove(id);
      this.traffic.forget(id);
    }
  }

  /**
   * Appends each item's record batches; results come back in item order. Appends to one slot
   * made in the same turn are coalesced into one worker task (append-coalescer.ts).
   * `ownedBuffer` is the request frame's own ArrayBuffer (nothing else shares it): when one
   * slot owns every item and nothing else joins the task, that buffer is transferred as it is
   * instead of being copied. Either way each item's `records` points into the buffer the worker
   * hands back afterwards.
   */
  async append(acks: number, items: AppendRequestItem[], ownedBuffer?: ArrayBuffer): Promise<AppendItemResult[]> {
    if (this.gates.size > 0) await this.untilNotMoving(items);
    if (this.fenced.size > 0) this.refuseFenced(items);
    this.traffic.enterAppends(items);
    try {
      return await runPlanned(items, (id) => this.requireSlot(id), (slot, slotItems) =>
        this.coalescers[slot]!.submit(acks, slotItems, slotItems.length === items.length ? ownedBuffer : undefined),
      );
    } finally {
      this.traffic.leave(items);
    }
  }

  /** Append tasks dispatched and produce submissions they carried, over every slot. */
  appendCoalescing(): CoalescerStats {
    const total = { tasks: 0, submissions: 0 };
    for (const c of this.coalescers) {
      total.tasks += c.stats.tasks;
      total.submissions += c.stats.submissions;
    }
    return total;
  }

  /** One append task on the slot (the coalescer's dispatch). */
  private appendOnSlot(slot: number, acks: number, items: AppendRequestItem[], ownedBuffer: ArrayBuffer | undefined): Promise<AppendItemResult[]> {
    return this.withReopen(slot, items, async (subset) => {
      const { buffer, sliceTable } = canTransferInPlace(subset, ownedBuffer) ? sliceInPlace(subset, ownedBuffer) : copyIntoFreshBuffer(subset);
      const value = await this.slots.run(slot, { op: 'append', acks, buffer, items: sliceTable }, [buffer]);
      // The worker rewrote offsets in place and handed the buffer back: remember the tail.
      const written = Buffer.from(value.buffer);
      subset.forEach((item, j) => {
        const slice = sliceTable[j]!;
        item.records = written.subarray(slice.offset, slice.offset + slice.length);
      });
      value.items.forEach((r, j) => {
        if (r.errorCode === ErrorCode.NONE) this.states.appended(r.key, r.baseOffset, r.written === true ? subset[j]!.records : null, r.highWatermark, r.logStartOffset);
        else if (!isPartitionNotOpen(r)) this.tail.drop(r.key);
      });
      return value.items;
    });
  }

  async read(items: ReadRequestItem[]): Promise<ReadOutcome[]> {
    // Consumers at the tail are answered from the tail cache without a worker round trip.
    const cached = items.map((item) => this.states.readFromTail(item));
    if (cached.every((c) => c !== null)) return cached as ReadOutcome[];
    const missing = items.filter((_, i) => cached[i] === null);
    const fromWorkers = await this.guarded(missing, () => runPlanned(missing, (id) => this.requireSlot(id), (slot, slotItems) =>
      this.withReopen(slot, slotItems, async (subset) => {
        const value = await this.slots.run(slot, { op: 'read', items: subset });
        const buffer = Buffer.from(value.buffer);
        for (const r of value.items) if (r.recordsLength > 0) this.traffic.addBytes(r.key, r.recordsLength);
        return value.items.map((r) => {
          let records: Buffer | null = r.recordsLength > 0 ? buffer.subarray(r.recordsOffset, r.recordsOffset + r.recordsLength) : null;
          // Gated (durable through the bucket): nothing above the committed high watermark.
          const gated = this.states.gatedHighWatermark(r.key);
          if (gated !== undefined && records !== null) {
            const below = batchesBelow(records, gated);
            records = below.length > 0 ? below : null;
          }
          return {
            key: r.key,
            errorCode: r.errorCode,
            ...(r.cause ? { cause: r.cause } : {}),
            highWatermark: gated ?? r.highWatermark,
            lastStableOffset: gated ?? r.lastStableOffset,
            logStartOffset: r.logStartOffset,
            records,
          };
        });
      }),
    ));
    let next = 0;
    return cached.map((c) => c ?? fromWorkers[next++]!);
  }

  async listOffsets(items: Array<{ key: PartitionId; timestamp: number }>): Promise<ListOffsetsItemResult[]> {
    const results = await this.guardedPlanned(items, (slot, subset) => this.slots.run(slot, { op: 'listOffsets', items: subset }));
    // Gated partitions: the latest offset is the committed high watermark, not the log end.
    results.forEach((r, i) => {
      const gated = this.states.gatedHighWatermark(r.key);
      if (gated !== undefined && items[i]!.timestamp === LATEST_TIMESTAMP && r.offset > gated) r.offset = gated;
    });
    return results;
  }

  // --- Admin APIs (DeleteRecords, OffsetForLeaderEpoch, DescribeLogDirs, DescribeProducers) ---

  /**
   * Advances each partition's log start offset (-1 = its high watermark); the worker persists
   * it before answering. The cached state (and so the tail cache's lower bound) follows.
   */
  async deleteRecords(items: Array<{ key: PartitionId; offset: number }>): Promise<DeleteRecordsItemResult[]> {
    return this.guardedPlanned(items, async (slot, subset) => {
      const results = await this.slots.run(slot, { op: 'deleteRecords', items: subset });
      for (const r of results) if (r.state !== null) this.states.update(r.state);
      return results;
    });
  }

  async offsetForLeaderEpoch(items: Array<{ key: PartitionId; leaderEpoch: number }>): Promise<OffsetForLeaderEpochItemResult[]> {
    return this.guardedPlanned(items, (slot, subset) => this.slots.run(slot, { op: 'offsetForLeaderEpoch', items: subset }));
  }

  /** Bytes on local disk per partition. */
  async logSize(ids: PartitionId[]): Promise<LogSizeItemResult[]> {
    return this.guardedPlanned(ids.map((key) => ({ key })), (slot, subset) => this.slots.run(slot, { op: 'logSize', items: subset }));
  }

  async describeProducers(ids: PartitionId[]): Promise<DescribeProducersItemResult[]> {
    return this.guardedPlanned(ids.map((key) => ({ key })), (slot, subset) => this.slots.run(slot, { op: 'describeProducers', items: subset }));
  }

  // --- end of admin APIs ---

  /** Tiered storage: state, with sealed segments awaiting upload, of every remote-enabled partition. */
  async tierState(): Promise<PartitionState[]> {
    const all = await Promise.all(this.onEachSlot({ op: 'tierState' }).map((p) => p.catch(() => [] as PartitionState[])));
    const out = all.flat();
    for (const s of out) this.states.update(s);
    return out;
  }

  /** Tiered storage: segments ending at or below uploadedEndOffset are uploaded; local retention may delete them. */
  async markUploaded(id: PartitionId, uploadedEndOffset: number): Promise<void> {
    await this.guarded([{ key: id }], () => this.markUploadedOnSlot(id, uploadedEndOffset));
  }

  private async markUploadedOnSlot(id: PartitionId, uploadedEndOffset: number): Promise<void> {
    const slot = this.requireSlot(id);
    await this.withReopen(slot, [{ key: id }], async (): Promise<Array<{ key: PartitionId; errorCode: number; strataCode?: string }>> => {
      try {
        this.states.update(await this.slots.run(slot, { op: 'markUploaded', key: id, uploadedEndOffset }));
        return [{ key: id, errorCode: ErrorCode.NONE }];
      } catch (err) {
        if (err instanceof EngineError && isPartitionNotOpen(err)) return [{ key: id, errorCode: err.errorCode, strataCode: err.strataCode }];
        throw err;
      }
    });
  }

  /** Time-based roll, retention and flush.ms on every slot. */
  async maintenance(nowMs: number): Promise<void> {
    for (const states of await Promise.all(this.onEachSlot({ op: 'maintenance', nowMs }))) {
      for (const { maintenanceError, ...s } of states) {
        if (maintenanceError) {
          const err = { type: 'WorkerError', message: maintenanceError.message, stack: maintenanceError.stack ?? `WorkerError: ${maintenanceError.message}`, code: maintenanceError.strataCode };
          this.logger.error({ partition: s.key, err }, 'log maintenance (roll, retention, flush.ms) failed for a partition');
        }
        this.states.update(s);
      }
    }
  }

  /** Resolves when any of the partitions' high watermark moves (or one goes away), or after timeoutMs. */
  waitForAppend(ids: PartitionId[], timeoutMs: number): LongPoll {
    return this.states.waitForAppend(ids, timeoutMs);
  }

  /** Wakes every parked long poll (shutdown): they answer with what they have. */
  wakeAllWaiters(): void {
    this.states.wakeAll();
  }

  // --- Moves and elastic slots ---

  /**
   * Moves a partition to another slot (see the header): waits for the work already routed to
   * its slot, closes it there, opens it on `to`. Work arriving meanwhile waits (bounded by
   * partition.move.timeout.ms). Refuses an unknown partition or slot, a partition already
   * moving, and a move to the slot it is on.
   */
  async movePartition(id: PartitionId, to: number, reason = 'requested'): Promise<MoveReport> {
    const from = this.table.lookup(id);
    if (from === undefined) throw new EngineError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${id} is not open`, { strataCode: 'STRATA_ERR_PARTITION_NOT_PLACED' });
    const refuse = (why: string) => new EngineError(ErrorCode.INVALID_REQUEST, `cannot move partition ${id} to slot ${to}: ${why}`, { strataCode: 'STRATA_ERR_MOVE_REFUSED' });
    if (!Number.isInteger(to) || to < 0 || to >= this.slots.slotCount) throw refuse(`slots are 0..${this.slots.slotCount - 1}`);
    if (to === from) throw refuse('it is already there');
    if (to === this.balancer.retiringSlot) throw refuse('that slot is being retired');
    if (this.gates.isMoving(id)) throw refuse('it is already moving');
    const started = performance.now();
    const marks = [started, started, started];
    this.gates.close(id);
    try {
      await this.traffic.drained(id);
      marks[0] = performance.now();
      let handoff: LogHandoff | undefined;
      try {
        handoff = (await this.slots.run(from, { op: 'release', keys: [id] }))[0] ?? undefined;
      } catch (err) {
        // The old thread died or the release failed: either way it no longer holds the log, and
        // the new slot recovers the files as after a crash (only unacknowledged bytes can go).
        this.logger.warn({ err, partition: id, slot: from }, 'releasing a moving partition on its old slot failed; the new slot recovers it from disk');
      }
      marks[1] = performance.now();
      this.table.assign(id, to);
      const spec = this.specs.get(id);
      if (spec !== undefined) {
        try {
          // The handoff goes with this open only; a later reopen recovers from the files.
          const opening: PartitionSpec = handoff !== undefined ? { ...spec, handoff } : spec;
          for (const state of await this.slots.run(to, { op: 'open', partitions: [opening] })) this.states.update(state);
        } catch (err) {
          // The next request for it reopens it there (withReopen), or answers a retriable error.
          this.logger.error({ err, partition: id, slot: to }, 'opening a moved partition on its new slot failed; the next request retries');
        }
      }
      marks[2] = performance.now();
    } finally {
      this.gates.open(id);
    }
    const spec = this.specs.get(id);
    const ended = performance.now();
    const phasesMs = { drain: round2(marks[0]! - started), close: round2(marks[1]! - marks[0]!), open: round2(marks[2]! - marks[1]!) };
    const report: MoveReport = { partition: id, topic: spec?.topic, partitionIndex: spec?.partition, from, to, pauseMs: ended - started, phasesMs, reason };
    this.movesTotal++;
    this.onMove?.(report);
    this.logger.info({ partition: id, topic: report.topic, index: report.partitionIndex, from, to, pauseMs: round2(report.pauseMs), phasesMs, reason }, 'partition moved between worker slots');
    return report;
  }

  /**
   * Starts one more slot (numbered slotCount) with no partitions and returns its number once
   * its thread is up and warm (module loaded, codecs initialised by an empty open), so the
   * first partition moved onto it does not pay for the thread's start in its pause.
   */
  async addSlot(): Promise<number> {
    const slot = this.slots.addSlot();
    const tableSlot = this.table.addSlot();
    if (tableSlot !== slot) throw new Error(`slot numbering diverged: pool ${slot}, table ${tableSlot}`);
    this.coalescers.push(this.coalescerFor(slot));
    await this.slots.run(slot, { op: 'open', partitions: [] });
    return slot;
  }

  /**
   * Retires the last slot: moves its partitions (to the slots `targetOf` names, else the
   * least-loaded), then stops its thread. New partitions are not placed on it meanwhile.
   */
  async retireLastSlot(targetOf: (id: PartitionId) => number | undefined = () => undefined, reason = 'retiring the slot'): Promise<MoveReport[]> {
    const last = this.slots.slotCount - 1;
    if (last === 0) throw new EngineError(ErrorCode.INVALID_REQUEST, 'the only worker slot cannot be retired', { strataCode: 'STRATA_ERR_MOVE_REFUSED' });
    this.balancer.retiringSlot = last;
    const reports: MoveReport[] = [];
    try {
      for (const id of this.table.partitionsOf(last)) {
        if (this.gates.isMoving(id)) await this.gates.blockerOf([{ key: id }], Date.now() + this.moveTimeoutMs)?.catch(() => undefined);
        if (this.table.lookup(id) !== last) continue;
        const wanted = targetOf(id);
        const to = wanted !== undefined && wanted !== last && wanted < last ? wanted : this.balancer.slotForNewPartition();
        reports.push(await this.movePartition(id, to, reason));
      }
      if (this.table.partitionsOf(last).length > 0) throw new Error(`slot ${last} still owns partitions after moving them away`);
      this.coalescers.pop();
      this.table.removeLastSlot();
      await this.slots.retireLastSlot();
    } finally {
      this.balancer.retiringSlot = undefined;
    }
    return reports;
  }

  /** Slot utilisation and per-partition load since the previous sample (the elastic-slot controller's input). */
  sampleLoad(nowMs = Date.now()): EngineLoadSample {
    const load = this.traffic.sampleLoad();
    const partitions: EngineLoadSample['partitions'] = [];
    for (const [id, slot] of this.table.entries()) partitions.push({ id, slot, bytesPerSec: load.get(id) ?? 0 });
    this.lastLoad = { nowMs, slotUtilization: this.slots.sampleUtilization(), partitions };
    return this.lastLoad;
  }

  /** Bytes/s appended to each partition over the last sampling interval (sampleLoad). */
  lastPartitionLoads(): ReadonlyArray<{ id: PartitionId; bytesPerSec: number }> {
    return this.lastLoad?.partitions ?? [];
  }

  /** Where every partition lives, with the latest sampled load. */
  placement(): PlacementView {
    const loadOf = new Map(this.lastLoad?.partitions.map((p) => [p.id, p.bytesPerSec]) ?? []);
    const slots: PlacementView['slots'] = Array.from({ length: this.slots.slotCount }, (_, slot) => ({
      slot,
      retiring: slot === this.balancer.retiringSlot,
      utilization: this.lastLoad?.slotUtilization[slot] ?? 0,
      partitions: [],
    }));
    for (const [id, slot] of this.table.entries()) {
      const spec = this.specs.get(id);
      slots[slot]?.partitions.push({ id, topic: spec?.topic ?? '', partition: spec?.partition ?? -1, bytesPerSec: loadOf.get(id) ?? 0 });
    }
    for (const s of slots) s.partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    const moving = [...this.table.entries()].map(([id]) => id).filter((id) => this.gates.isMoving(id));
    return { slots, moving, movesTotal: this.movesTotal };
  }

  /** Runs work for these partitions once none of them is moving, counted as in flight meanwhile. */
  private async guarded<I extends { key: PartitionId }, R>(items: readonly I[], run: () => Promise<R>): Promise<R> {
    if (this.gates.size > 0) await this.untilNotMoving(items);
    this.traffic.enter(items);
    try {
      return await run();
    } finally {
      this.traffic.leave(items);
    }
  }

  /** guarded() around the usual split by slot with reopen on replaced threads. */
  private guardedPlanned<I extends { key: PartitionId }, R extends { key: PartitionId; errorCode: number }>(
    items: I[],
    task: (slot: number, subset: I[]) => Promise<R[]>,
  ): Promise<R[]> {
    return this.guarded(items, () => runPlanned(items, (id) => this.requireSlot(id), (slot, slotItems) => this.withReopen(slot, slotItems, (subset) => task(slot, subset))));
  }

  /** Waits while any item's partition is moving; returns in the turn it finds none moving. */
  private async untilNotMoving(items: ReadonlyArray<{ key: PartitionId }>): Promise<void> {
    const deadline = Date.now() + this.moveTimeoutMs;
    for (let blocker = this.gates.blockerOf(items, deadline); blocker !== undefined; blocker = this.gates.blockerOf(items, deadline)) await blocker;
  }

  // --- Durable high watermark (src/wal): see partition-states.ts ---

  /** Gates the partition's high watermark at what is committed durable, from its log end now. */
  gateDurable(id: PartitionId): void {
    this.states.gate(id, this.states.get(id)?.highWatermark ?? 0);
  }

  /** What is committed durable of a gated partition (undefined: not gated here). */
  durableEnd(id: PartitionId): number | undefined {
    return this.states.durableEnd(id);
  }

  /** Offsets below `end` are committed durable. */
  durable(id: PartitionId, end: number): void {
    this.states.durable(id, end);
  }

  // --- Handing partitions to another broker (src/cluster/partition-handoff.ts) ---

  /**
   * From now on appends for the partition are refused with NOT_LEADER_OR_FOLLOWER (the router
   * already refuses them once the leadership moved; this catches appends that were waiting at a
   * slot move's gate meanwhile). Resolves once the appends already under way are done.
   */
  async fence(id: PartitionId): Promise<void> {
    this.fenced.add(id);
    await this.traffic.drained(id);
  }

  /** Appends for the partition are accepted again (it is led here once more). */
  unfence(id: PartitionId): void {
    this.fenced.delete(id);
  }

  /** Seals a fenced partition's log for a handoff (SealTask); undefined when it is not open. */
  async sealForHandoff(id: PartitionId): Promise<SealedLogEnd | undefined> {
    const [end] = await this.guarded([{ key: id }], () => this.slots.run(this.requireSlot(id), { op: 'seal', keys: [id] }));
    return end ?? undefined;
  }

  /**
   * Drops the local copy of a partition and opens it afresh from `spec` (a broker taking a
   * partition over: empty at the remote log end, with the previous leader's producer state).
   */
  async reopenFresh(spec: PartitionSpec): Promise<void> {
    await this.delete([spec.key]);
    this.fenced.delete(spec.key);
    await this.open([spec]);
    // Replayed at this open (and checkpointed): the spec kept for later opens does not hold its megabytes.
    const kept = this.specs.get(spec.key);
    if (kept?.producerReplay !== undefined) this.specs.set(spec.key, { ...kept, producerReplay: undefined });
  }

  private refuseFenced(items: ReadonlyArray<{ key: PartitionId }>): void {
    for (const item of items) {
      if (this.fenced.has(item.key)) {
        throw new EngineError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `partition ${item.key} is being handed to another broker; refresh metadata and retry`, { strataCode: 'STRATA_ERR_PARTITION_MOVING' });
      }
    }
  }

  /** Tests only: ends the slot's thread as a fatal bug would; Piscina starts a new one. */
  async crashSlot(slot: number): Promise<void> {
    await this.slots.crash(slot);
  }

  /** Flushes and closes every partition, then stops the threads. */
  async close(): Promise<void> {
    await Promise.all(this.onEachSlot({ op: 'close' }).map((p) => p.catch(() => null)));
    await this.slots.close();
    this.states.wakeAll();
  }

  private onEachSlot<T extends WorkerTask>(task: T): Array<Promise<TaskValues[T['op']]>> {
    return Array.from({ length: this.slots.slotCount }, (_, slot) => this.slots.run(slot, task));
  }

  private requireSlot(id: PartitionId): number {
    const slot = this.table.lookup(id);
    if (slot === undefined) throw new EngineError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${id} is not open`, { strataCode: 'STRATA_ERR_PARTITION_NOT_PLACED' });
    return slot;
  }

  /**
   * Runs a task over items; items the slot answers PARTITION_NOT_OPEN for (its thread was
   * replaced and lost its open logs) are reopened — which recovers them from disk — and
   * only those items are run again. Nothing was written for a NOT_OPEN item.
   */
  private async withReopen<I extends { key: PartitionId }, R extends { key: PartitionId; errorCode: number }>(
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
        if (isPartitionNotOpen(r)) retry.push(pending[j]!);
        else results[pending[j]!] = r;
      });
      if (retry.length === 0) break;
      const ids = retry.map((i) => items[i]!.key);
      if (round >= MAX_REOPEN_ATTEMPTS) throw new EngineError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `partitions ${ids.join(',')} could not be reopened`, { strataCode: 'STRATA_ERR_REOPEN_FAILED' });
      this.logger.warn({ slot, partitions: ids }, 'reopening partitions on a replaced worker thread');
      const specs = ids.map((id) => this.specs.get(id)).filter((s): s is PartitionSpec => s !== undefined);
      for (const s of await this.slots.run(slot, { op: 'open', partitions: specs })) this.states.update(s);
      pending = retry;
    }
    return results;
  }
}

function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}
