// Thread: main. Moves a partition of a remote-storage topic between brokers, on both ends,
// following the leadership snapshot (leadership-store.ts), the handoff records and the serving
// marks (handoff-store.ts). A change the controller made by drain, reassign or balance names the
// previous leader in `from`; a failover names the dead leader in `lost`.
//
//   old leader (leadership names it in `from`, no handoff of this epoch yet):
//     1. fence: appends are refused from now on, the ones under way finish;
//     2. seal: the active segment is rolled, flushed and checkpointed;
//     3. offload: every sealed segment is uploaded — the bucket now holds the whole log;
//     4. publish the handoff {epoch, endOffset, producer state} (fenced in Redis by the
//        leadership's epoch and `from`), then drop the local copy (kept: producer state).
//     A broker that was handed the partition at the previous epoch but never served it (no
//     serving mark of its own at that epoch) forwards that handoff instead: it holds nothing newer.
//   new leader after a handoff (leadership names it leader, `from` another broker):
//     refuses requests (NOT_LEADER_OR_FOLLOWER, retriable) until the handoff of its epoch is
//     published, then reloads the partition's manifest, reopens the partition empty at the
//     handoff's end offset with the producer state, records serving it, and serves. Offsets
//     below that end are read from the bucket (tier-manager.ts).
//   new leader after a failover (`lost` the dead broker; write-ahead objects, src/wal):
//     rebuilds the partition from the bucket — offloaded segments, then the dead broker's
//     write-ahead batches — stores the rebuilt batches in its own write-ahead objects, records
//     serving it, and serves.
//   a broker named in `lost` (it was declared dead and is back): drops its local copy, which may
//     hold batches nobody acknowledged.
//   a broker restarting while it leads: its own serving mark at the current epoch says the
//     partition is its own. A durable partition is rebuilt from what it committed (its local log
//     may end with batches that were appended but never committed, never acknowledged: serving
//     them, and appending after them, would leave a gap in its committed batches that a later
//     failover's rebuild would stop at); any other is served as it is.
//
// A broker that dies mid-handoff finishes it when it restarts (the leadership still names it);
// until then the partition waits for it.
import type { Logger } from 'pino';

/**
 * How much of the offloaded log a rebuild replays into the idempotent-producer state (its tail,
 * just below the rebuilt part): producers retry within seconds to minutes, and durable topics
 * roll segments at wal.segment.max.bytes / .ms at the latest, so this covers the batches a retry
 * can name. Beyond it a producer's state starts fresh (accepted at any sequence, as in Kafka
 * for a producer whose state expired).
 */
const PRODUCER_REPLAY_BYTES = 16 * 1024 * 1024;
import type { PartitionId } from '../ipc/partition-id.js';
import type { PartitionEngine } from '../partitions/partition-engine.js';
import type { TierManager } from '../tier/tier-manager.js';
import { describeError } from '../errors.js';
import type { HandoffRecord, HandoffStore } from './handoff-store.js';
import type { Leadership } from './partition-assignment.js';
import type { WalWriter } from '../wal/wal-writer.js';
import type { WalRebuild } from '../wal/wal-rebuild.js';
import { batchOffsets } from '../wal/wal-format.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';

export interface PartitionHandoffOptions {
  nodeId: number;
  engine: PartitionEngine;
  tier: TierManager;
  handoffs: HandoffStore;
  /** The leadership snapshot. */
  leadership: () => ReadonlyMap<PartitionId, Leadership>;
  /** Counts and times a handoff (metrics). */
  observe?: (direction: 'released' | 'taken-over' | 'rebuilt', pauseMs?: number) => void;
  /** Whether the partition is durable through the bucket: its high watermark is gated while served here. */
  durable?: (id: PartitionId) => boolean;
  /** Write-ahead objects (src/wal): failover of partitions whose leader died. */
  wal?: { writer: WalWriter; rebuild: WalRebuild };
  /** How often pending handoffs are looked for even without a notification (ms). */
  pollMs?: number;
  logger: Logger;
}

export class PartitionHandoff {
  /** Partitions this broker leads and serves, with the leader epoch it serves them at. */
  private readonly serving = new Map<PartitionId, number>();
  /** The leader epoch of the last handoff this broker published, per partition. */
  private readonly released = new Map<PartitionId, number>();
  /** Partitions this process has served (a restart is told apart from a move by its absence). */
  private readonly servedHere = new Set<PartitionId>();
  /** The last handoff this broker published per partition (written back if Redis loses it). */
  private readonly releasedRecords = new Map<PartitionId, HandoffRecord>();
  /** The leader epoch at which this broker dropped its copy of a partition it was declared dead for. */
  private readonly discarded = new Map<PartitionId, number>();
  private readonly inFlight = new Map<PartitionId, Promise<void>>();
  private readonly idleWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: PartitionHandoffOptions) {}

  start(): void {
    this.timer = setInterval(() => this.reconcile(), this.opts.pollMs ?? 500);
    this.timer.unref();
    this.reconcile();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Whether this broker serves the partition now (it leads it and any handoff to it is done). */
  serves(id: PartitionId): boolean {
    const l = this.opts.leadership().get(id);
    return l !== undefined && l.leader === this.opts.nodeId && this.serving.get(id) === l.epoch;
  }

  /**
   * True when every partition the leadership says this broker must hand over is handed over
   * (controlled shutdown waits for this, and for the controller to move the rest).
   */
  releasedAll(): boolean {
    for (const [id, l] of this.opts.leadership()) {
      if (l.leader !== this.opts.nodeId && l.from === this.opts.nodeId && this.released.get(id) !== l.epoch) return false;
    }
    return this.inFlight.size === 0;
  }

  /**
   * Redis lost its data and the leadership was written back: writes back what this broker knows
   * of the rest — its serving marks and the handoffs it published — so restarts and handoffs
   * under way go on as before (each write is fenced by the leadership as usual).
   */
  async reseedAfterLoss(): Promise<void> {
    const { handoffs, nodeId, logger } = this.opts;
    let marks = 0;
    let records = 0;
    for (const [id, epoch] of this.serving) {
      if (await handoffs.markServing(id, epoch, nodeId).then(() => true, () => false)) marks++;
    }
    for (const [id, record] of this.releasedRecords) {
      if (await handoffs.write(id, record).then(() => true, () => false)) records++;
    }
    logger.warn({ servingMarks: marks, handoffs: records }, 'Redis lost its data: serving marks and handoffs of this broker written back');
  }

  /** Resolves at the next handoff finished here (or after `ms`). */
  async changed(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  }

  /** Looks at every partition's leadership and starts what this broker has to do. */
  reconcile(): void {
    if (this.stopped) return;
    const me = this.opts.nodeId;
    for (const [id, l] of this.opts.leadership()) {
      if (this.inFlight.has(id) || this.opts.engine.spec(id) === undefined) continue;
      if (l.leader === me) {
        if (this.serving.get(id) === l.epoch) continue;
        if ((l.from === undefined || l.from === me) && l.lost === undefined) {
          // New here, or placed before any handoff: nothing to take over — unless this process
          // just started on a durable partition's local log (see the header: a restart).
          if (this.restartedOnLocalLog(id)) this.run(id, () => this.startServing(id, l));
          else this.beginServing(id, l);
        } else this.run(id, () => this.startServing(id, l));
      } else {
        this.serving.delete(id);
        if (l.from === me && this.released.get(id) !== l.epoch) this.run(id, () => this.release(id, l));
        else if (l.lost === me && this.discarded.get(id) !== l.epoch) this.run(id, () => this.discard(id, l));
      }
    }
  }

  private run(id: PartitionId, work: () => Promise<void>): void {
    const done = work()
      .catch((err: unknown) => this.opts.logger.warn({ err: describeError(err), partition: id }, 'partition handoff step failed; retried'))
      .finally(() => {
        this.inFlight.delete(id);
        for (const wake of this.idleWaiters.splice(0)) wake();
      });
    this.inFlight.set(id, done);
  }

  /** The old leader's side (see the header). */
  private async release(id: PartitionId, l: Leadership): Promise<void> {
    const { engine, tier, handoffs, nodeId, logger } = this.opts;
    const fencedAtMs = Date.now();
    await engine.fence(id);
    const previous = await handoffs.get(id);
    if (previous?.epoch === l.epoch) {
      this.released.set(id, l.epoch); // published before a restart
      return;
    }
    // The previous leadership (epoch - 1) was a handoff to this broker that it never took over:
    // it holds nothing newer than that handoff, which it passes on.
    const mark = await handoffs.servingOf(id);
    const servedPrevious = mark?.node === nodeId && mark.epoch === l.epoch - 1;
    let record: HandoffRecord;
    if (previous !== undefined && previous.epoch === l.epoch - 1 && !servedPrevious) {
      record = { ...previous, epoch: l.epoch, from: nodeId, fencedAtMs };
    } else {
      const end = await engine.sealForHandoff(id);
      if (end === undefined) return;
      if (!(await tier.offloadAll(id))) return; // stopping: the restart finishes it
      // Durable partitions: the batches appended before the fence are committed (a commit is
      // accepted until the handoff is published) before it is, so none of them is answered
      // NOT_LEADER_OR_FOLLOWER and then handed over anyway (a producer would retry it out of order).
      if (this.opts.wal !== undefined && (await this.opts.wal.writer.barrier()) !== 'durable') throw new Error(`handing ${id} over: its last write-ahead objects were not stored in time; retried`);
      record = { epoch: l.epoch, from: nodeId, endOffset: end.endOffset, deleteRecordsOffset: end.deleteRecordsOffset, producers: Buffer.from(end.producerSnapshot).toString('base64'), fencedAtMs };
    }
    await handoffs.write(id, record);
    this.released.set(id, l.epoch);
    this.releasedRecords.set(id, record);
    this.opts.observe?.('released');
    logger.info({ partition: id, epoch: l.epoch, to: l.leader, endOffset: record.endOffset, ms: Date.now() - fencedAtMs }, 'partition handed over to another broker');
    // The bucket holds it all: drop the local copy, keeping the producer state for a later return.
    const spec = engine.spec(id);
    if (spec !== undefined && engine.state(id)?.highWatermark === record.endOffset) {
      await engine.reopenFresh({ ...spec, initialOffset: record.endOffset, producerSeed: Buffer.from(record.producers, 'base64'), producerReplay: undefined, handoff: undefined, pageCacheIntact: undefined });
      await engine.fence(id);
    }
  }

  /**
   * Failover (the leader died; write-ahead objects): rebuilds the partition from the bucket —
   * the offloaded log up to its manifest's end, then the dead leader's write-ahead batches from
   * there, contiguous — re-appends those locally, stores them in this broker's own write-ahead
   * objects (so a later failover needs only this broker's), records the rebuild, and serves.
   */
  private async rebuild(id: PartitionId, l: Leadership, own = false): Promise<void> {
    const { engine, tier, logger } = this.opts;
    const wal = this.opts.wal!;
    const started = Date.now();
    const spec = engine.spec(id);
    const source = own ? this.opts.nodeId : l.lost;
    if (spec === undefined || source === undefined) return;
    await tier.reloadManifest(id);
    const from = tier.remoteEndOffset(id) ?? 0;
    // A dead leader's batches up to the epoch before this one; this broker's own (a restart) up to this one.
    const recovered = await wal.rebuild.recover(source, id, from, own ? l.epoch : l.epoch - 1);
    // The idempotent-producer state of the offloaded log's tail goes first (the re-appended
    // batches continue it): a producer retrying a batch that was offloaded is deduplicated.
    const producerReplay = from > 0 ? await tier.tailBatches(id, from, PRODUCER_REPLAY_BYTES) : undefined;
    await engine.reopenFresh({ ...spec, initialOffset: from, producerSeed: undefined, producerReplay, handoff: undefined, pageCacheIntact: undefined });
    // Re-append in order, in groups of at most 1 MiB of whole batches: offsets come out as they were.
    const parts: Array<{ p: PartitionId; e: number; b: number; l: number; records: Buffer }> = [];
    for (let i = 0; i < recovered.chunks.length; ) {
      const group: Buffer[] = [];
      let bytes = 0;
      while (i < recovered.chunks.length && (group.length === 0 || bytes + recovered.chunks[i]!.length <= 1024 * 1024)) {
        bytes += recovered.chunks[i]!.length;
        group.push(recovered.chunks[i++]!);
      }
      const records = Buffer.concat(group);
      const expected = batchOffsets(records);
      const [r] = await engine.append(1, [{ key: id, records }]);
      if (r === undefined || r.errorCode !== ErrorCode.NONE || r.baseOffset !== expected.b) {
        throw new Error(`rebuilding ${id}: re-appending offsets ${expected.b}..${expected.l} answered error ${r?.errorCode} at ${r?.baseOffset}`);
      }
      parts.push({ p: id, e: l.epoch, b: expected.b, l: expected.l, records });
    }
    const ms0 = Date.now() - started;
    if (own) {
      // Already in this broker's committed objects (adopted at start, deleted once offloaded).
      logger.info({ partition: id, epoch: l.epoch, offloadedEnd: from, endOffset: recovered.endOffset, objects: recovered.objects, ms: ms0 }, 'restarted leader: partition reopened with its committed batches only');
      return;
    }
    const outcomes = await wal.writer.append(parts);
    if (outcomes.some((o) => o !== 'durable')) throw new Error(`rebuilding ${id}: storing the rebuilt batches answered ${outcomes.join(',')}`);
    const ms = Date.now() - started;
    this.opts.observe?.('rebuilt', ms);
    logger.info({ partition: id, epoch: l.epoch, lost: l.lost, offloadedEnd: from, endOffset: recovered.endOffset, objects: recovered.objects, entries: recovered.entries, ms }, 'partition rebuilt from object storage after its leader died');
  }

  /**
   * The partition is rebuilt and re-stored here: the dead broker's commits of it go, and its
   * objects left with nothing committed are deleted (it may never come back to delete them).
   */
  private async releaseDeadObjects(dead: number, id: PartitionId): Promise<void> {
    try {
      const emptied = await this.opts.handoffs.releaseWalCommits(dead, id);
      if (emptied.length > 0) await this.opts.tier.store.deleteMany(emptied);
    } catch (err) {
      this.opts.logger.warn({ err: describeError(err), partition: id, dead }, 'deleting a dead broker’s write-ahead objects failed; they stay in the bucket');
    }
  }

  /**
   * This broker was declared dead for the partition (paused, cut off, or restarted after a
   * failover): its local copy may hold batches the new leader never had, so it is dropped.
   */
  private async discard(id: PartitionId, l: Leadership): Promise<void> {
    const { engine, logger } = this.opts;
    const spec = engine.spec(id);
    if (spec === undefined) return;
    await engine.fence(id);
    await engine.reopenFresh({ ...spec, initialOffset: 0, producerSeed: undefined, producerReplay: undefined, handoff: undefined, pageCacheIntact: undefined });
    await engine.fence(id);
    this.discarded.set(id, l.epoch);
    logger.warn({ partition: id, epoch: l.epoch, leader: l.leader }, 'this broker was declared dead for a partition that failed over: local copy dropped');
  }

  /**
   * This broker leads the partition after a handoff or a failover: unless it already recorded
   * serving it at this epoch (a restart: its local log is the partition's), it takes the
   * partition over or rebuilds it, records serving it (handoff-store.ts), then serves.
   */
  private async startServing(id: PartitionId, l: Leadership): Promise<void> {
    const { handoffs, nodeId } = this.opts;
    const mark = await handoffs.servingOf(id);
    const restarted = (mark?.node === nodeId && mark.epoch === l.epoch) || ((l.from === undefined || l.from === nodeId) && l.lost === undefined);
    if (!restarted) {
      if (l.lost !== undefined) {
        if (this.opts.wal === undefined) return;
        await this.rebuild(id, l);
      } else if (!(await this.takeOver(id, l))) return;
      await handoffs.markServing(id, l.epoch, nodeId);
      if (l.lost !== undefined) await this.releaseDeadObjects(l.lost, id);
    } else if (this.opts.wal !== undefined && this.opts.durable?.(id) === true) {
      await this.rebuild(id, l, true);
    }
    if (this.opts.leadership().get(id)?.epoch !== l.epoch) return; // moved again meanwhile
    this.beginServing(id, l);
  }

  /** A durable partition this process has not served yet, with a local log from before it started. */
  private restartedOnLocalLog(id: PartitionId): boolean {
    return this.opts.wal !== undefined && this.opts.durable?.(id) === true && !this.servedHere.has(id) && (this.opts.engine.state(id)?.highWatermark ?? 0) > 0;
  }

  /** From now on this broker serves the partition; a durable one's high watermark is gated (partition-states.ts). */
  private beginServing(id: PartitionId, l: Leadership): void {
    const { engine } = this.opts;
    this.servedHere.add(id);
    engine.unfence(id);
    if (this.opts.durable?.(id) === true) engine.gateDurable(id);
    this.serving.set(id, l.epoch);
  }

  /**
   * The new leader's side of a handoff (see the header): false until the handoff of this epoch
   * is published. The local copy is always replaced: it is an older leadership's at best.
   */
  private async takeOver(id: PartitionId, l: Leadership): Promise<boolean> {
    const { engine, tier, handoffs, logger } = this.opts;
    const record = await handoffs.get(id);
    if (record === undefined || record.epoch !== l.epoch) return false; // not published yet: a notification or the poll brings it
    const spec = engine.spec(id);
    if (spec === undefined) return false;
    await tier.reloadManifest(id);
    await engine.reopenFresh({ ...spec, initialOffset: record.endOffset, producerSeed: Buffer.from(record.producers, 'base64'), producerReplay: undefined, handoff: undefined, pageCacheIntact: undefined });
    if (record.deleteRecordsOffset > 0) await engine.deleteRecords([{ key: id, offset: record.deleteRecordsOffset }]);
    const remoteEnd = tier.remoteEndOffset(id);
    if (record.endOffset > 0 && (remoteEnd ?? 0) < record.endOffset) logger.warn({ partition: id, remoteEnd, endOffset: record.endOffset }, 'taking a partition over: the bucket ends below the handoff (remote retention?)');
    const pauseMs = Date.now() - record.fencedAtMs;
    this.opts.observe?.('taken-over', pauseMs);
    logger.info({ partition: id, epoch: l.epoch, from: record.from, endOffset: record.endOffset, pauseMs }, 'partition taken over from another broker');
    return true;
  }
}
