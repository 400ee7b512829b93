// Thread: worker. One partition's log: a directory of segments in Kafka's layout, appended with
// synchronous positional writev (the worker is a dedicated thread; writes to the page cache are
// the fastest path) and made durable by group commit. Usable directly in unit tests.
//
// Hot path: a produce request's records for this partition arrive as a slice of a buffer the
// worker owns; batches are validated and rewritten in place (header fields only: baseOffset,
// partitionLeaderEpoch, and maxTimestamp + attribute bit + CRC for LogAppendTime) and written
// with one writev per segment touched. No per-record work, except for a batch whose maxTimestamp
// is below its firstTimestamp (old producers leave -1): its records' timestamps are read to
// repair it (src/protocol/batch-timestamps.ts).
import type { PartitionId } from '../src/ipc/partition-id.js';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import {
  type AppendItemResult,
  type DeleteRecordsItemResult,
  type DescribeProducersItemResult,
  type LogConfig,
  type LogHandoff,
  type SealedLogEnd,
  type LogSizeItemResult,
  type OffsetForLeaderEpochItemResult,
  type ListOffsetsItemResult,
  type PartitionSpec,
  type PartitionState,
  type SealedSegmentInfo,
  CURRENT_LEADER_EPOCH,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
} from '../src/ipc/tasks.js';
import { ErrorCode } from '../src/protocol/generated/error-codes.js';
import {
  LOG_OVERHEAD,
  MIN_BATCH_LENGTH,
  checkProducedBatch,
  readBatchInfo,
  readLastOffset,
  setLogAppendTime,
  validateBatches,
  writeBaseOffset,
  writePartitionLeaderEpoch,
  type BatchInfo,
} from '../src/protocol/record-batch.js';
import { repairMaxTimestamp } from '../src/protocol/batch-timestamps.js';
import { findRecordByTimestamp } from '../src/protocol/records.js';
import { StrataError, errorMessage, kafkaCodeFor, type StrataErrorCode } from '../src/errors.js';
import { FileScanner } from './file-scan.js';
import { GroupCommit } from './group-commit.js';
import type { IndexFile } from './index-file.js';
import { readLogStartOffset, writeLogStartOffset } from './log-start-offset.js';
import { ProducerStateManager, listSnapshots, snapshotPath, writeSnapshotFile } from './producer-state.js';
import { CHECKPOINT_FILE, recoverLog, writeCheckpointFile, type RecoveredLog, type RecoveryCheckpoint, type RecoveryStats } from './recovery.js';
import { segmentsToDelete } from './retention.js';
import { Segment } from './segment.js';

/** Maintenance writes a recovery checkpoint at most this often (Kafka: log.flush.offset.checkpoint.interval.ms). */
export const CHECKPOINT_INTERVAL_MS = 60_000;
/** Sealed segments keeping an open fd (and loaded indexes) per partition; older ones are released. */
export const MAX_OPEN_SEALED_SEGMENTS = 8;
/** Relative offsets in the index are int32. */
const MAX_RELATIVE_OFFSET = 0x7fffffff;

export interface PartitionLogOptions {
  /** Broker clock (LogAppendTime, segment.ms, flush.ms). Tests pass a fake one. */
  now?: () => number;
  /** fdatasync used by group commit; tests wrap it to count calls. */
  fdatasync?: (fd: number) => Promise<void>;
}

export interface AppendOutcome {
  result: AppendItemResult;
  /** Non-zero when the caller must `await log.waitDurable(ticket)` before answering (acks=-1). */
  ticket: number;
}

interface ReadRange {
  segment: Segment;
  position: number;
  length: number;
}

export interface ReadPlan {
  errorCode: number;
  ranges: ReadRange[];
  /** Bytes the ranges need in the destination buffer. */
  totalBytes: number;
}

const defaultFdatasync = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));

// One scanner per worker thread for each use (scans are synchronous, never interleaved).
let recoveryScanner: FileScanner | null = null;
let walkScanner: FileScanner | null = null;
const scannerForRecovery = (): FileScanner => (recoveryScanner ??= new FileScanner(1 << 20));
const scannerForWalk = (): FileScanner => (walkScanner ??= new FileScanner(64 << 10));

export class PartitionLog {
  readonly key: PartitionId;
  readonly dir: string;
  config: LogConfig;
  private readonly segments: Segment[];
  logStartOffset: number;
  /** Log end offset; single replica, so also the high watermark. */
  nextOffset: number;
  readonly producers: ProducerStateManager;
  readonly groupCommit: GroupCommit;
  readonly recoveryStats: RecoveryStats;
  private readonly now: () => number;
  private readonly fdatasync: (fd: number) => Promise<void>;
  /** fds written since the last sync pass started. */
  private dirtyFds = new Set<number>();
  /**
   * Between beginWrites() and flushWrites() (one append task), writes are staged here and made
   * with one writev per segment; offsets, indexes and producer state move at staging time.
   */
  private deferWrites = false;
  /** flush.messages was reached while writes were staged: flush once they are written. */
  private flushAfterWrites = false;
  private staged: { seg: Segment; start: number; slices: Buffer[]; bytes: number } | null = null;
  /**
   * A staged write failed: this log's memory is ahead of its file. The worker drops it; the next
   * request reopens it, and recovery truncates the file at the last whole batch.
   */
  broken = false;
  /** Index files written since the last sync pass started (they hold no fd while clean). */
  private dirtyIndexes = new Set<IndexFile>();
  /** Rolled segments whose files the next sync pass must flush before their fds close. */
  private pendingSeal: Segment[] = [];
  private openSealed: Segment[] = [];
  private checkpointChain: Promise<void> = Promise.resolve();
  private lastCheckpointMs: number;
  private checkpointedOffset = -1;
  private closed = false;
  /** Tiered storage: segments ending at or below this offset are uploaded (-1: none known). */
  uploadedEndOffset = -1;
  /** First failure of a background flush or checkpoint, reported on the next durable wait. */
  backgroundError: unknown = null;
  /** Log start offset set by DeleteRecords (0: never); persisted in `log-start-offset`. */
  deleteRecordsOffset = 0;
  /** Serializes writes of the log start offset file. */
  private logStartChain: Promise<void> = Promise.resolve();

  private constructor(spec: PartitionSpec, opts: PartitionLogOptions) {
    this.key = spec.key;
    this.dir = spec.dir;
    this.config = { ...spec.config };
    this.now = opts.now ?? Date.now;
    this.fdatasync = opts.fdatasync ?? defaultFdatasync;
    this.producers = new ProducerStateManager();
    this.deleteRecordsOffset = readLogStartOffset(spec.dir);
    let recovered = recoverLog(spec.dir, this.config, this.producers, scannerForRecovery(), scannerForWalk(), spec.initialOffset ?? 0, spec.pageCacheIntact === true, spec.handoff);
    if (this.deleteRecordsOffset > recovered.nextOffset) recovered = this.restartAt(spec, recovered, this.deleteRecordsOffset);
    this.segments = recovered.segments;
    this.nextOffset = recovered.nextOffset;
    this.logStartOffset = Math.max(this.segments[0].baseOffset, this.deleteRecordsOffset);
    this.recoveryStats = recovered.stats;
    this.groupCommit = new GroupCommit(() => this.syncPass());
    this.lastCheckpointMs = this.now();
    // What recovery accepted past the checkpoint was written by an earlier run, perhaps never
    // fsynced (a SIGKILL leaves it in the page cache): the next sync pass, which precedes any
    // checkpoint, flushes it; sealed ones are released after it.
    if (recovered.unflushed.length > 0) {
      for (const seg of recovered.unflushed) {
        this.dirtyFds.add(seg.logFd());
        for (const idx of seg.dirtyIndexes()) this.dirtyIndexes.add(idx);
        if (seg !== this.active) this.pendingSeal.push(seg);
      }
      this.groupCommit.markWritten(0, this.now());
    }
    // Sealed segments were only read by recovery; let their fds go. The active segment keeps
    // its .log fd only: index writes of recovery are synced (through a transient fd) by the
    // next checkpoint's sync pass.
    for (let i = 0; i < this.segments.length - 1; i++) if (!this.pendingSeal.includes(this.segments[i])) this.segments[i].release();
    this.active.closeIndexFds();
    // Taken over from another broker: opened empty at the remote log end, with that broker's
    // producer state, checkpointed at once so a restart keeps it.
    if (spec.producerSeed !== undefined && this.segments.length === 1 && this.active.size === 0 && this.nextOffset === (spec.initialOffset ?? 0)) {
      if (this.producers.load(Buffer.from(spec.producerSeed))) this.scheduleCheckpoint(this.now());
    }
    // Rebuilt after its leader died: the producer state of the offloaded batches just below.
    if (spec.producerReplay !== undefined && this.segments.length === 1 && this.active.size === 0 && this.nextOffset === (spec.initialOffset ?? 0)) {
      const tail = Buffer.from(spec.producerReplay);
      for (let pos = 0; pos + LOG_OVERHEAD <= tail.length; ) {
        const info = readBatchInfo(tail, pos);
        if (info.size < LOG_OVERHEAD || pos + info.size > tail.length) break;
        this.producers.replay(info, info.baseOffset);
        pos += info.size;
      }
      this.scheduleCheckpoint(this.now());
    }
  }

  /** Opens (creating or recovering) the partition directory. Synchronous. */
  static open(spec: PartitionSpec, opts: PartitionLogOptions = {}): PartitionLog {
    return new PartitionLog(spec, opts);
  }

  get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  get sizeBytes(): number {
    let size = 0;
    for (const s of this.segments) size += s.size;
    return size;
  }

  state(): PartitionState {
    const state: PartitionState = {
      key: this.key,
      logStartOffset: this.logStartOffset,
      highWatermark: this.nextOffset,
      lastStableOffset: this.nextOffset,
      sizeBytes: this.sizeBytes,
      segmentCount: this.segments.length,
      deleteRecordsOffset: this.deleteRecordsOffset,
    };
    if (this.config.remoteStorageEnable) state.sealed = this.sealedAwaitingUpload();
    return state;
  }

  /** Tiered storage: sealed, flushed segments not yet confirmed uploaded, oldest first. */
  sealedAwaitingUpload(): SealedSegmentInfo[] {
    const out: SealedSegmentInfo[] = [];
    for (let i = 0; i < this.segments.length - 1; i++) {
      const seg = this.segments[i];
      const endOffset = this.segments[i + 1].baseOffset;
      if (endOffset <= this.uploadedEndOffset) continue;
      if (this.pendingSeal.includes(seg)) break; // not flushed yet: later ones neither
      out.push({
        baseOffset: seg.baseOffset,
        endOffset,
        sizeBytes: seg.size,
        maxTimestamp: seg.largestTimestamp(false),
        logPath: seg.logPath,
        offsetIndexPath: seg.logPath.replace(/\.log$/, '.index'),
        timeIndexPath: seg.logPath.replace(/\.log$/, '.timeindex'),
      });
    }
    return out;
  }

  /** Tiered storage: segments ending at or below endOffset are in object storage. */
  markUploaded(endOffset: number): PartitionState {
    if (endOffset > this.uploadedEndOffset) this.uploadedEndOffset = endOffset;
    return this.state();
  }

  /** Bytes on local disk not yet uploaded (active segment included). */
  private pendingUploadBytes(): number {
    let bytes = 0;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const end = i + 1 < this.segments.length ? this.segments[i + 1].baseOffset : Number.MAX_SAFE_INTEGER;
      if (end <= this.uploadedEndOffset) break;
      bytes += this.segments[i].size;
    }
    return bytes;
  }

  configure(config: LogConfig): PartitionState {
    this.config = { ...config };
    const indexConfig = { segmentIndexBytes: config.segmentIndexBytes, indexIntervalBytes: config.indexIntervalBytes };
    for (const s of this.segments) s.setIndexConfig(indexConfig);
    return this.state();
  }

  // -------------------------------------------------------------------------------------------
  // Append

  /**
   * Validates, assigns offsets and writes one partition's `records` field, synchronously.
   * Any invalid batch rejects the whole field and nothing is written. For acks=-1 the caller
   * awaits waitDurable(outcome.ticket) before answering.
   */
  append(buf: Buffer, acks: number): AppendOutcome {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    const now = this.now();
    const validated = validateBatches(buf, 0, buf.length);
    if (!validated.ok) {
      const f = validated.failure;
      return this.failure(f.errorCode, f.message, f.batchIndex);
    }
    const batches = validated.batches;
    if (this.config.remoteStorageEnable && this.config.remotePendingMaxBytes >= 0 && batches.length > 0) {
      const pending = this.pendingUploadBytes();
      if (pending >= this.config.remotePendingMaxBytes) {
        const code = 'STRATA_ERR_TIER_BACKLOG';
        // The client's error message names the code too (README: tiered storage).
        return this.failureFor(
          code,
          `${code}: ${pending} local bytes are not yet offloaded to object storage (remote.storage.local.pending.max.bytes=${this.config.remotePendingMaxBytes}); retry later`,
          0,
        );
      }
    }
    if (batches.length === 0) {
      // An empty records field: nothing to append; Kafka answers without an offset.
      return { result: this.success(-1, -1), ticket: 0 };
    }
    const logAppendTime = this.config.timestampType === 'LogAppendTime';
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (b.size > this.config.maxMessageBytes) {
        return this.failureFor(
          'STRATA_ERR_MESSAGE_TOO_LARGE',
          `record batch of ${b.size} bytes exceeds max.message.bytes ${this.config.maxMessageBytes}`,
          i,
        );
      }
      const invalid = checkProducedBatch(b);
      if (invalid !== null) return this.failureFor('STRATA_ERR_INVALID_RECORD', invalid, i);
      // Old producers (Sarama 1.22) leave maxTimestamp at -1: recompute it from the records (and
      // the CRC) so the time index and ListOffsets find them. Header-only check otherwise.
      if (!logAppendTime && b.maxTimestamp < b.baseTimestamp) {
        try {
          b.maxTimestamp = repairMaxTimestamp(buf, b.position);
        } catch (err) {
          return this.failureFor('STRATA_ERR_CORRUPT_MESSAGE', `cannot read the record timestamps of a batch whose maxTimestamp ${b.maxTimestamp} is below its firstTimestamp ${b.baseTimestamp}: ${errorMessage(err)}`, i);
        }
      }
    }

    // Idempotence: checked against a staged copy (so batches of one request chain); the real
    // state is updated per batch as it reaches the file (writeChunk).
    const producerAppend = this.producers.begin();
    let offset = this.nextOffset;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      const verdict = producerAppend.check(b, this.key);
      if (verdict.kind === 'error') return this.failureFor(verdict.code, verdict.message, i);
      if (verdict.kind === 'duplicate') {
        // Kafka: a retried batch answers with its original offset; nothing of the request is appended.
        return { result: this.success(verdict.firstOffset, -1), ticket: 0 };
      }
      producerAppend.record(b, offset);
      offset += b.lastOffsetDelta + 1;
    }

    // Rewrite headers in place and write, one writev per segment touched.
    const baseOffset = this.nextOffset;
    let records = 0;
    let chunk: BatchInfo[] = [];
    let chunkBytes = 0;
    offset = baseOffset;
    for (const b of batches) {
      const lastOffset = offset + b.lastOffsetDelta;
      if (this.shouldRoll(chunkBytes, b.size, lastOffset, now)) {
        this.writeChunk(buf, chunk, chunkBytes, now);
        chunk = [];
        chunkBytes = 0;
        this.roll(offset, now);
      }
      writeBaseOffset(buf, b.position, offset);
      writePartitionLeaderEpoch(buf, b.position, 0);
      if (logAppendTime) {
        setLogAppendTime(buf, b.position, now);
        b.maxTimestamp = now;
      }
      b.baseOffset = offset;
      chunk.push(b);
      chunkBytes += b.size;
      records += b.recordsCount;
      offset = lastOffset + 1;
    }
    this.writeChunk(buf, chunk, chunkBytes, now);
    const ticket = this.groupCommit.markWritten(records, now);
    if (this.groupCommit.unflushedMessages >= this.config.flushMessages) {
      // A sync pass starts its fdatasync at once (libuv's threadpool): never before the staged
      // bytes it claims are written, or an fsync could finish before the write it covers.
      if (this.deferWrites) this.flushAfterWrites = true;
      else this.flushInBackground();
    }
    return { result: { ...this.success(baseOffset, logAppendTime ? now : -1), written: true }, ticket: acks === -1 ? ticket : 0 };
  }

  /** Appends from now on are staged, and written by flushWrites() with one writev per segment. */
  beginWrites(): void {
    this.deferWrites = true;
  }

  /** Writes what beginWrites() staged; throws (and sets `broken`) when the write fails. */
  flushWrites(): void {
    this.deferWrites = false;
    this.writeStaged();
    if (this.flushAfterWrites) {
      this.flushAfterWrites = false;
      this.flushInBackground();
    }
  }

  private writeStaged(): void {
    const staged = this.staged;
    if (staged === null) return;
    this.staged = null;
    try {
      staged.seg.writeReserved(staged.slices, staged.bytes, staged.start);
    } catch (err) {
      this.broken = true;
      throw err;
    }
  }

  /** Resolves when the append's bytes are on disk (acks=-1). */
  async waitDurable(ticket: number): Promise<void> {
    await this.groupCommit.waitDurable(ticket);
  }

  private shouldRoll(pendingBytes: number, batchSize: number, lastOffset: number, now: number): boolean {
    const seg = this.active;
    const size = seg.size + pendingBytes;
    if (size === 0) return false;
    return (
      size + batchSize > this.config.segmentBytes ||
      (seg.rollBaseMs !== null && now - seg.rollBaseMs >= this.config.segmentMs) ||
      seg.indexesFull ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  private writeChunk(buf: Buffer, chunk: BatchInfo[], bytes: number, now: number): void {
    if (chunk.length === 0) return;
    const seg = this.active;
    const slices: Buffer[] = [];
    // Contiguous batches of the request become one slice.
    let runStart = chunk[0].position;
    let runEnd = runStart;
    for (const b of chunk) {
      if (b.position !== runEnd) {
        slices.push(buf.subarray(runStart, runEnd));
        runStart = b.position;
      }
      runEnd = b.position + b.size;
    }
    slices.push(buf.subarray(runStart, runEnd));
    const position = seg.size;
    if (this.deferWrites) {
      if (this.staged !== null && this.staged.seg !== seg) this.writeStaged();
      seg.reserve(bytes);
      if (this.staged === null) this.staged = { seg, start: position, slices, bytes };
      else {
        for (const slice of slices) this.staged.slices.push(slice);
        this.staged.bytes += bytes;
      }
    } else seg.write(slices, bytes);
    this.dirtyFds.add(seg.logFd());
    if (seg.rollBaseMs === null) seg.rollBaseMs = now;
    let at = position;
    for (const b of chunk) {
      const lastOffset = b.baseOffset + b.lastOffsetDelta;
      seg.onBatchAppended(lastOffset, at, b.size, b.maxTimestamp);
      this.producers.replay(b, b.baseOffset);
      at += b.size;
      this.nextOffset = lastOffset + 1;
    }
  }

  /** Seals the active segment and starts a new one at baseOffset. */
  private roll(baseOffset: number, now: number): void {
    // The old segment's staged bytes reach its file before it is sealed.
    this.writeStaged();
    const old = this.active;
    old.seal();
    for (const idx of old.dirtyIndexes()) this.dirtyIndexes.add(idx);
    this.pendingSeal.push(old);
    const seg = Segment.create(this.dir, baseOffset, {
      segmentIndexBytes: this.config.segmentIndexBytes,
      indexIntervalBytes: this.config.indexIntervalBytes,
    });
    this.segments.push(seg);
    this.scheduleCheckpoint(now);
  }

  /** Rolls now if the active segment is older than segment.ms (maintenance). */
  private maybeTimeRoll(now: number): void {
    const seg = this.active;
    if (seg.size > 0 && seg.rollBaseMs !== null && now - seg.rollBaseMs >= this.config.segmentMs) this.roll(this.nextOffset, now);
  }

  private success(baseOffset: number, logAppendTimeMs: number): AppendItemResult {
    return {
      key: this.key,
      errorCode: 0,
      errorMessage: null,
      baseOffset,
      logAppendTimeMs,
      logStartOffset: this.logStartOffset,
      highWatermark: this.nextOffset,
      recordErrors: [],
    };
  }

  /** A catalogued failure: its Kafka code, and the catalogue code as the item's cause (never parsed from the message). */
  private failureFor(code: StrataErrorCode, message: string, batchIndex: number): AppendOutcome {
    const outcome = this.failure(kafkaCodeFor(code), message, batchIndex);
    outcome.result.cause = { code: outcome.result.errorCode, strataCode: code, message };
    return outcome;
  }

  private failure(errorCode: number, message: string, batchIndex: number): AppendOutcome {
    return {
      result: {
        key: this.key,
        errorCode,
        errorMessage: message,
        baseOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: this.logStartOffset,
        highWatermark: this.nextOffset,
        recordErrors: [{ batchIndex, message }],
      },
      ticket: 0,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Durability

  /** One group-commit pass: fdatasync every file written since the previous pass started. */
  private async syncPass(): Promise<void> {
    const fds = [...this.dirtyFds];
    this.dirtyFds.clear();
    const indexes = [...this.dirtyIndexes];
    this.dirtyIndexes.clear();
    const sealed = this.pendingSeal;
    this.pendingSeal = [];
    try {
      await Promise.all([...fds.map((fd) => this.fdatasync(fd)), ...indexes.map((idx) => idx.sync(this.fdatasync))]);
    } catch (err) {
      for (const fd of fds) this.dirtyFds.add(fd);
      for (const idx of indexes) this.dirtyIndexes.add(idx);
      this.pendingSeal.unshift(...sealed);
      throw err;
    }
    for (const seg of sealed) {
      // Flushed: the rolled segment lets its fds and indexes go until someone reads it.
      if (!this.closed && !this.openSealed.includes(seg)) seg.release();
    }
  }

  /** Flushes everything written so far (flush.messages / flush.ms / close). */
  async flush(): Promise<void> {
    await this.groupCommit.waitDurable();
  }

  private flushInBackground(): void {
    this.flush().catch((err: unknown) => {
      this.backgroundError ??= err;
    });
  }

  /** The end of the log now, its active segment's index entries written out (page cache) first. */
  private endCheckpoint(): RecoveryCheckpoint {
    const seg = this.active;
    seg.persistIndexes();
    return {
      segmentBaseOffset: seg.baseOffset,
      position: seg.size,
      nextOffset: this.nextOffset,
      maxTimestampSoFar: seg.maxTimestampSoFar,
      offsetOfMaxTimestampSoFar: seg.offsetOfMaxTimestampSoFar,
      bytesSinceLastIndexEntry: seg.bytesSinceLastIndexEntry,
      rollBaseMs: seg.rollBaseMs,
    };
  }

  /**
   * Captures a checkpoint + producer snapshot of the current end of the log, and writes them
   * once a sync pass covering everything written so far has finished. Serialized per log.
   */
  private scheduleCheckpoint(now: number): Promise<void> {
    const cp = this.endCheckpoint();
    for (const idx of this.active.dirtyIndexes()) this.dirtyIndexes.add(idx);
    const snapshot = this.producers.serialize();
    const ticket = this.groupCommit.markWritten(0, now);
    this.lastCheckpointMs = now;
    this.checkpointedOffset = cp.nextOffset;
    const run = async (): Promise<void> => {
      await this.groupCommit.waitDurable(ticket);
      await writeSnapshotFile(this.dir, cp.nextOffset, snapshot);
      await writeCheckpointFile(this.dir, cp);
    };
    this.checkpointChain = this.checkpointChain.then(run, run);
    const current = this.checkpointChain;
    current.catch((err: unknown) => {
      this.backgroundError ??= err;
    });
    return current;
  }

  // -------------------------------------------------------------------------------------------
  // Read

  /** Plans a fetch: which byte ranges to read. Synchronous; execute before any other task runs. */
  planRead(fetchOffset: number, maxBytes: number, minOneBatch: boolean): ReadPlan {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    if (fetchOffset === this.nextOffset) return { errorCode: 0, ranges: [], totalBytes: 0 };
    if (fetchOffset > this.nextOffset || fetchOffset < this.logStartOffset) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ranges: [], totalBytes: 0 };
    }
    const start = this.locate(fetchOffset);
    if (start === null) return { errorCode: 0, ranges: [], totalBytes: 0 };
    let budget = maxBytes;
    if (start.size > maxBytes) {
      if (!minOneBatch) return { errorCode: 0, ranges: [], totalBytes: 0 };
      budget = start.size;
    }
    const ranges: ReadRange[] = [];
    let total = 0;
    let position = start.position;
    for (let i = start.segmentIndex; i < this.segments.length && budget > 0; i++) {
      const seg = this.segments[i];
      const length = Math.min(seg.size - position, budget);
      if (length > 0) {
        ranges.push({ segment: seg, position, length });
        total += length;
        budget -= length;
      }
      position = 0;
    }
    return { errorCode: 0, ranges, totalBytes: total };
  }

  /**
   * Reads a plan into target at offset and returns the length of the whole batches read
   * (a batch cut by the byte budget is dropped).
   */
  executeRead(plan: ReadPlan, target: Buffer, offset: number): number {
    let at = offset;
    for (const r of plan.ranges) {
      const n = r.segment.read(target, at, r.position, r.length);
      at += n;
      if (n < r.length) break;
      if (r.segment !== this.active) this.touchSealed(r.segment);
    }
    // Keep whole batches only.
    let p = offset;
    while (p + LOG_OVERHEAD <= at) {
      const batchLength = target.readInt32BE(p + 8);
      if (batchLength < MIN_BATCH_LENGTH) break;
      const size = batchLength + LOG_OVERHEAD;
      if (p + size > at) break;
      p += size;
    }
    return p - offset;
  }

  /** Segment index, byte position and size of the batch containing fetchOffset. */
  private locate(fetchOffset: number): { segmentIndex: number; position: number; size: number } | null {
    const scanner = scannerForWalk();
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const seg = this.segments[i];
      const endOffset = this.segmentEndOffset(i);
      if (fetchOffset >= endOffset) continue;
      const from = fetchOffset > seg.baseOffset ? seg.offsetIndex(endOffset, scanner).lookup(fetchOffset) : 0;
      let found: { segmentIndex: number; position: number; size: number } | null = null;
      scanner.scan(seg.logFd(), from, seg.size, false, (buf, at, position, size) => {
        const lastOffset = readLastOffset(buf, at);
        if (lastOffset < fetchOffset) return true;
        found = { segmentIndex: i, position, size };
        return false;
      });
      if (i < this.segments.length - 1) this.touchSealed(seg);
      if (found !== null) return found;
    }
    return null;
  }

  /** Index of the last segment whose base offset <= offset (0 when before all). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private segmentEndOffset(i: number): number {
    return i + 1 < this.segments.length ? this.segments[i + 1].baseOffset : this.nextOffset;
  }

  /** LRU of sealed segments with open fds; closes the least recently used beyond the cap. */
  private touchSealed(seg: Segment): void {
    const i = this.openSealed.indexOf(seg);
    if (i >= 0) this.openSealed.splice(i, 1);
    this.openSealed.push(seg);
    while (this.openSealed.length > MAX_OPEN_SEALED_SEGMENTS) {
      const victim = this.openSealed.shift()!;
      if (!this.pendingSeal.includes(victim)) victim.release();
    }
  }

  // -------------------------------------------------------------------------------------------
  // ListOffsets

  listOffsets(timestamp: number): ListOffsetsItemResult {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    const result = (offset: number, ts: number): ListOffsetsItemResult => ({ key: this.key, errorCode: 0, offset, timestamp: ts });
    if (timestamp === EARLIEST_TIMESTAMP) return result(this.logStartOffset, -1);
    if (timestamp === LATEST_TIMESTAMP) return result(this.nextOffset, -1);
    if (timestamp === MAX_TIMESTAMP) {
      let bestTs = -1;
      let bestOffset = -1;
      this.segments.forEach((seg, i) => {
        const active = i === this.segments.length - 1;
        const offset = seg.offsetOfLargestTimestamp(active);
        const ts = seg.largestTimestamp(active);
        if (offset >= 0 && ts > bestTs) {
          bestTs = ts;
          bestOffset = offset;
        }
      });
      return result(bestOffset, bestTs);
    }
    if (timestamp < 0) {
      return { key: this.key, errorCode: ErrorCode.INVALID_REQUEST, offset: -1, timestamp: -1 };
    }
    const found = this.findByTimestamp(timestamp);
    return found === null ? result(-1, -1) : result(found.offset, found.timestamp);
  }

  /**
   * First record with timestamp >= target at or above the log start offset (Kafka's
   * LogSegment.findOffsetByTimestamp with startingOffset = logStartOffset): time index, then
   * batch walk, then record scan.
   */
  private findByTimestamp(target: number): { offset: number; timestamp: number } | null {
    const scanner = scannerForWalk();
    const minOffset = this.logStartOffset;
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i];
      const active = i === this.segments.length - 1;
      if (seg.largestTimestamp(active) < target) continue;
      const endOffset = this.segmentEndOffset(i);
      if (endOffset <= minOffset) continue;
      const fromOffset = Math.max(seg.timeIndex(endOffset, scanner).lookup(target), minOffset);
      const from = seg.offsetIndex(endOffset, scanner).lookup(fromOffset);
      let found: { offset: number; timestamp: number } | null = null;
      scanner.scan(seg.logFd(), from, seg.size, false, (buf, at, position, size) => {
        const info = readBatchInfo(buf, at);
        if (info.maxTimestamp < target || info.baseOffset + info.lastOffsetDelta < minOffset) return true;
        const batch = Buffer.allocUnsafe(size);
        seg.read(batch, 0, position, size);
        found = recordAtOrAfter(batch, info, target, minOffset);
        return found === null;
      });
      if (!active) this.touchSealed(seg);
      if (found !== null) return found;
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Admin APIs: DeleteRecords, OffsetForLeaderEpoch, DescribeLogDirs, DescribeProducers

  /**
   * DeleteRecords (Kafka's UnifiedLog.maybeIncrementLogStartOffset): moves the log start offset
   * up to `offset` (-1 = the high watermark). Beyond the high watermark, or negative, is
   * OFFSET_OUT_OF_RANGE; at or below the current log start nothing visible changes. Reads below the new
   * start are refused from the moment this is called; the offset is on disk before it
   * resolves. Sealed, flushed segments wholly below it are deleted now, others by maintenance.
   */
  async deleteRecords(offset: number): Promise<DeleteRecordsItemResult> {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    const target = offset === -1 ? this.nextOffset : offset;
    if (target < 0 || target > this.nextOffset) {
      return { key: this.key, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1, state: null };
    }
    // Compared with the recorded offset, not logStartOffset: with tiered storage the local log
    // may start above an offset that object storage still serves.
    if (target > this.deleteRecordsOffset) {
      this.deleteRecordsOffset = target;
      if (target > this.logStartOffset) this.logStartOffset = target;
      const write = this.logStartChain.then(() => writeLogStartOffset(this.dir, this.deleteRecordsOffset));
      this.logStartChain = write.catch(() => undefined);
      await write;
      if (this.deleteSegmentsBelowLogStart() > 0) await this.scheduleCheckpoint(this.now());
    } else {
      await this.logStartChain;
    }
    return { key: this.key, errorCode: 0, lowWatermark: this.logStartOffset, state: this.state() };
  }

  /**
   * Deletes the leading sealed, flushed segments that lie wholly below the log start offset
   * (Kafka: deleteLogStartOffsetBreachedSegments). Unlike retention, producer state stays.
   */
  private deleteSegmentsBelowLogStart(): number {
    let count = 0;
    while (
      count < this.segments.length - 1 &&
      this.segments[count + 1].baseOffset <= this.logStartOffset &&
      !this.pendingSeal.includes(this.segments[count])
    ) {
      count++;
    }
    if (count === 0) return 0;
    for (const seg of this.segments.splice(0, count)) {
      const i = this.openSealed.indexOf(seg);
      if (i >= 0) this.openSealed.splice(i, 1);
      seg.deleteFiles();
    }
    return count;
  }

  /**
   * OffsetForLeaderEpoch (Kafka's LeaderEpochFileCache.endOffsetFor): this log has one epoch,
   * CURRENT_LEADER_EPOCH, starting at the log start offset. That epoch answers the log end
   * offset; an older epoch answers itself with the first epoch's start offset; an unknown
   * (newer, or UNDEFINED -1) epoch answers -1 / -1.
   */
  offsetForLeaderEpoch(leaderEpoch: number): OffsetForLeaderEpochItemResult {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    const answer = (epoch: number, endOffset: number): OffsetForLeaderEpochItemResult => ({ key: this.key, errorCode: 0, leaderEpoch: epoch, endOffset });
    if (leaderEpoch === CURRENT_LEADER_EPOCH) return answer(CURRENT_LEADER_EPOCH, this.nextOffset);
    if (leaderEpoch < CURRENT_LEADER_EPOCH && leaderEpoch !== -1) return answer(leaderEpoch, this.logStartOffset);
    return answer(-1, -1);
  }

  /** DescribeLogDirs: bytes on local disk and the log end offset. */
  logSize(): LogSizeItemResult {
    return { key: this.key, errorCode: 0, sizeBytes: this.sizeBytes, logEndOffset: this.nextOffset };
  }

  /** DescribeProducers: the idempotent producers this partition's state holds. */
  describeProducers(): DescribeProducersItemResult {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    const producers = [...this.producers.entries()].map((e) => {
      const last = e.batches[e.batches.length - 1];
      return { producerId: e.producerId, producerEpoch: e.producerEpoch, lastSequence: last?.lastSeq ?? -1, lastTimestamp: e.lastTimestamp };
    });
    return { key: this.key, errorCode: 0, producers };
  }

  /**
   * Opening: DeleteRecords had moved the log start past what recovery kept (records acked
   * with acks=1 and lost in a crash). As Kafka (truncateFullyAndStartAt), the log restarts
   * empty at the log start offset, so offsets below it are never handed out again.
   */
  private restartAt(spec: PartitionSpec, recovered: RecoveredLog, offset: number): RecoveredLog {
    for (const seg of recovered.segments) seg.deleteFiles();
    for (const snapshot of listSnapshots(fs.readdirSync(spec.dir))) fs.rmSync(snapshotPath(spec.dir, snapshot), { force: true });
    fs.rmSync(path.join(spec.dir, CHECKPOINT_FILE), { force: true });
    return recoverLog(spec.dir, this.config, this.producers, scannerForRecovery(), scannerForWalk(), offset, false);
  }

  // -------------------------------------------------------------------------------------------
  // Maintenance, close, delete

  /** segment.ms roll, retention.ms / retention.bytes, flush.ms, periodic checkpoint. */
  async maintenance(nowMs: number): Promise<PartitionState> {
    if (this.closed) return this.state();
    // Rolled segments become deletable once the roll's flush + checkpoint finished.
    await this.settle();
    if (this.closed) return this.state();
    this.maybeTimeRoll(nowMs);
    const deleted = this.applyRetention(nowMs) + this.deleteSegmentsBelowLogStart();
    const pending: Promise<void>[] = [];
    const oldest = this.groupCommit.oldestUnflushedMs;
    if (oldest !== null && nowMs - oldest >= this.config.flushMs) pending.push(this.flush());
    if (deleted > 0 || (nowMs - this.lastCheckpointMs >= CHECKPOINT_INTERVAL_MS && this.checkpointedOffset !== this.nextOffset)) {
      pending.push(this.scheduleCheckpoint(nowMs));
    }
    await Promise.all(pending);
    return this.state();
  }

  /** Resolves when background checkpoints (roll, retention) have been written. */
  async settle(): Promise<void> {
    await this.checkpointChain.catch(() => undefined);
  }

  /** Deletes whole sealed segments per retention; returns how many. */
  private applyRetention(nowMs: number): number {
    const sealed = this.segments.slice(0, -1).filter((s) => !this.pendingSeal.includes(s));
    // Only a leading run of sealed segments is eligible.
    let eligible = 0;
    while (eligible < sealed.length && sealed[eligible] === this.segments[eligible]) eligible++;
    let settings = { retentionMs: this.config.retentionMs, retentionBytes: this.config.retentionBytes };
    if (this.config.remoteStorageEnable) {
      // Tiered: only uploaded segments may go, by local.retention.* (-2 = the total retention).
      while (eligible > 0 && this.segments[eligible].baseOffset > this.uploadedEndOffset) eligible--;
      settings = {
        retentionMs: this.config.localRetentionMs === -2 ? this.config.retentionMs : this.config.localRetentionMs,
        retentionBytes: this.config.localRetentionBytes === -2 ? this.config.retentionBytes : this.config.localRetentionBytes,
      };
    }
    const count = segmentsToDelete(
      sealed.slice(0, eligible).map((s) => ({ size: s.size, largestTimestamp: () => s.largestTimestamp(false) })),
      this.sizeBytes,
      settings,
      nowMs,
    );
    if (count === 0) return 0;
    const removed = this.segments.splice(0, count);
    for (const seg of removed) {
      const i = this.openSealed.indexOf(seg);
      if (i >= 0) this.openSealed.splice(i, 1);
      seg.deleteFiles();
    }
    this.logStartOffset = Math.max(this.segments[0].baseOffset, this.deleteRecordsOffset);
    this.producers.evictBelow(this.segments[0].baseOffset);
    return count;
  }

  /** Flush, checkpoint, close every fd. Appends after this fail with LOG_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    const final = this.scheduleCheckpoint(this.now());
    this.closed = true;
    try {
      await final;
    } finally {
      await this.groupCommit.idle();
      this.closeFds();
    }
  }

  /**
   * Hands the log to another slot of this process (a partition move): stops writes, lets a
   * sync pass or checkpoint already under way finish, writes the index bytes to the page cache,
   * closes the files without fsync and answers the log's exact end and producer state, which
   * the new owner opens from (recovery.ts). No fsync: the move does not wait for the disk, and
   * what acks=1 wrote stays as (non-)durable as before — the new owner's first sync pass
   * covers everything after the durable checkpoint.
   */
  async release(): Promise<LogHandoff> {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    this.closed = true;
    try {
      await this.groupCommit.idle();
      await this.checkpointChain.catch(() => undefined);
      return { checkpoint: this.endCheckpoint(), producerSnapshot: this.producers.serialize() };
    } finally {
      this.closeFds();
    }
  }

  /**
   * Makes the log ready for another broker to take over (SealTask): seals the active segment
   * when it holds anything, so every record lies in a sealed segment the tier uploader offloads,
   * and waits until that is flushed and checkpointed. The log stays open for reads.
   */
  async sealForHandoff(): Promise<SealedLogEnd> {
    if (this.closed) throw new StrataError('STRATA_ERR_LOG_CLOSED', `partition ${this.key} is closed`);
    if (this.active.size > 0) this.roll(this.nextOffset, this.now());
    await this.flush();
    await this.settle();
    return { key: this.key, endOffset: this.nextOffset, producerSnapshot: this.producers.serialize(), deleteRecordsOffset: this.deleteRecordsOffset };
  }

  /** Closes fds without flushing or checkpointing: what a crash leaves behind (tests). */
  abandon(): void {
    this.closed = true;
    this.closeFds();
  }

  /** Closes, then renames the directory to `<dir>.<random>-delete` and removes it. */
  async delete(): Promise<void> {
    this.closed = true;
    await this.groupCommit.idle();
    await this.checkpointChain.catch(() => undefined);
    this.closeFds();
    const doomed = `${this.dir}.${crypto.randomBytes(8).toString('hex')}-delete`;
    try {
      await fs.promises.rename(this.dir, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await fs.promises.rm(doomed, { recursive: true, force: true });
  }

  private closeFds(): void {
    for (const seg of this.segments) {
      try {
        seg.close();
      } catch (err) {
        this.backgroundError ??= new Error(`closing ${seg.logPath}: ${errorMessage(err)}`);
      }
    }
    this.openSealed = [];
    this.pendingSeal = [];
    this.dirtyFds.clear();
    this.dirtyIndexes.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * The first record of `batch` with timestamp >= target and offset >= minOffset, or null when
 * a later batch must be looked at. A batch whose records cannot be decoded (corrupt) answers
 * its first offset at or above minOffset with the batch's max timestamp.
 */
function recordAtOrAfter(batch: Buffer, info: BatchInfo, target: number, minOffset: number): { offset: number; timestamp: number } | null {
  try {
    return findRecordByTimestamp(batch, 0, target, minOffset);
  } catch {
    return { offset: Math.max(info.baseOffset, minOffset), timestamp: info.maxTimestamp };
  }
}
