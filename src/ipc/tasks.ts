// Thread: either. The router ⇄ partition-worker contract, imported by both sides.
// Only plain, structured-clone-safe data crosses the thread boundary: no class instances,
// no thrown errors. Offsets are JS numbers here: they stay below 2^53 for any log that can
// physically exist (2^53 records at 1 byte each is 9 PB), so the hot path avoids bigint.
import type { StrataErrorCode } from '../errors.js';
import type { PartitionId } from './partition-id.js';

/** Per-partition log settings, resolved from topic configs over broker defaults. */
export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this many bytes. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.index.bytes: maximum size of a segment's .index / .timeindex file. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between two sparse index entries. */
  indexIntervalBytes: number;
  /** retention.ms: delete whole segments whose newest record is older; -1 = keep forever. */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the partition is larger; -1 = unlimited. */
  retentionBytes: number;
  /** max.message.bytes: largest record batch accepted (after compression). */
  maxMessageBytes: number;
  /** message.timestamp.type */
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** flush.messages: fsync after this many records even with acks=1 (Number.MAX_SAFE_INTEGER = never). */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed write is older than this (Number.MAX_SAFE_INTEGER = never). */
  flushMs: number;
  /** remote.storage.enable, and the broker has object storage configured: sealed segments are offloaded. */
  remoteStorageEnable: boolean;
  /** local.retention.ms (-2 = retention.ms): with remote storage, applies to uploaded segments only. */
  localRetentionMs: number;
  /** local.retention.bytes (-2 = retention.bytes): with remote storage, applies to uploaded segments only. */
  localRetentionBytes: number;
  /**
   * remote.storage.local.pending.max.bytes: with remote storage, appends fail with
   * KAFKA_STORAGE_ERROR (retriable) while this many local bytes are not yet uploaded; -1 = no bound.
   */
  remotePendingMaxBytes: number;
}

/** Identifies one partition log and where it lives. */
export interface PartitionSpec {
  /** Stable unique key used in every task (partitionId()). */
  key: PartitionId;
  topic: string;
  /** Topic id as 32 lowercase hex characters. */
  topicId: string;
  partition: number;
  /** Absolute directory of this partition's log: `<log.dirs>/<topic>-<partition>`. */
  dir: string;
  config: LogConfig;
  /** Base offset of the first segment when the directory holds no log yet (tiered storage: the remote log end). */
  initialOffset?: number;
  /**
   * The kernel has not restarted since this log was last written (start-up, same boot id):
   * recovery checks CRC-32C only near the end of what it scans (workers/recovery.ts).
   */
  pageCacheIntact?: boolean;
  /**
   * A move between slots of this process: the previous owner's in-memory end of the log
   * (ReleaseTask). The new owner opens from it without scanning and without any fsync having
   * happened; the checkpoint file on disk stays the last durable one.
   */
  handoff?: LogHandoff;
  /**
   * A partition this broker takes over from another broker (cluster move, src/cluster/
   * partition-handoff.ts): the previous leader's idempotent-producer state, loaded when the
   * directory is new (it opens empty at initialOffset, the remote log end), so a producer's
   * retried batch is deduplicated here as it was there.
   */
  producerSeed?: Uint8Array;
  /**
   * A partition rebuilt after its leader died (src/cluster/partition-handoff.ts): the last
   * offloaded batches below initialOffset (whole batches, oldest first), replayed into the
   * idempotent-producer state when the directory is new — so a producer retrying a batch the dead
   * leader had already offloaded is deduplicated, not appended twice.
   */
  producerReplay?: Uint8Array;
}

/**
 * The end of a log: where its active segment ends and the append-side counters there. Written to
 * disk as the recovery checkpoint (workers/recovery.ts), and handed between slots in a LogHandoff.
 */
export interface LogCheckpoint {
  segmentBaseOffset: number;
  position: number;
  nextOffset: number;
  maxTimestampSoFar: number;
  offsetOfMaxTimestampSoFar: number;
  bytesSinceLastIndexEntry: number;
  rollBaseMs: number | null;
}

/** The end of a log as its previous owner (a slot of this process) left it. */
export interface LogHandoff {
  /** Not promised durable (no fsync happened for it). */
  checkpoint: LogCheckpoint;
  /** ProducerStateManager.serialize() at that end. */
  producerSnapshot: Uint8Array;
}

/** A sealed, flushed segment not yet confirmed uploaded (tiered storage). */
export interface SealedSegmentInfo {
  baseOffset: number;
  /** Exclusive: the next segment's base offset. */
  endOffset: number;
  sizeBytes: number;
  maxTimestamp: number;
  logPath: string;
  offsetIndexPath: string;
  timeIndexPath: string;
}

/** What the router caches about a partition; returned by open, append and retention. */
export interface PartitionState {
  key: PartitionId;
  logStartOffset: number;
  /** Single broker, no replicas: high watermark = log end offset. */
  highWatermark: number;
  /** No transactions yet: equals highWatermark. */
  lastStableOffset: number;
  /** Bytes on local disk across all segments. */
  sizeBytes: number;
  segmentCount: number;
  /** Remote storage enabled: sealed segments awaiting upload, oldest first. */
  sealed?: SealedSegmentInfo[];
  /**
   * Log start offset set by DeleteRecords (0 when never used; persisted per partition): no
   * offset below it is served, locally or from object storage. logStartOffset is never below it.
   */
  deleteRecordsOffset?: number;
  /** Set by the maintenance task when roll, retention or flush.ms failed for this partition (the router logs it). */
  maintenanceError?: TaskError;
}

/** A slice of the task's transferred buffer holding one partition's `records` field. */
export interface AppendItem {
  key: PartitionId;
  /** Byte offset of this partition's record batches in AppendTask.buffer. */
  offset: number;
  length: number;
}

export interface AppendTask {
  op: 'append';
  /** 0, 1 or -1 (all). -1 resolves only after the written bytes are fsynced (group commit). */
  acks: number;
  /** Freshly allocated and transferred: the worker owns it after the call. */
  buffer: ArrayBuffer;
  items: AppendItem[];
}

export interface AppendItemResult {
  key: PartitionId;
  /** Kafka error code; 0 on success. Never an internal-only value (see `cause`). */
  errorCode: number;
  errorMessage: string | null;
  /** Why the item failed when the worker caught an exception or the partition is not open here. */
  cause?: TaskError;
  /** Offset assigned to the first record; for a duplicate idempotent batch, its original offset. */
  baseOffset: number;
  /** Broker append time when message.timestamp.type=LogAppendTime, else -1. */
  logAppendTimeMs: number;
  logStartOffset: number;
  highWatermark: number;
  /** Index of the offending batch within the request's records, for Produce v8+ record errors. */
  recordErrors: Array<{ batchIndex: number; message: string | null }>;
  /**
   * True when this item's bytes in the returned buffer were written to the log exactly as
   * they now are (offsets rewritten); false for duplicates, errors and empty records.
   */
  written?: boolean;
}

/** The append task's buffer comes back (transferred) with the headers as written. */
export interface AppendResult {
  items: AppendItemResult[];
  buffer: ArrayBuffer;
}

export interface ReadItem {
  key: PartitionId;
  fetchOffset: number;
  /** Partition max.bytes budget for this read. */
  maxBytes: number;
  /** Return the first batch even when it is larger than maxBytes (Kafka's progress guarantee). */
  minOneBatch: boolean;
}

export interface ReadTask {
  op: 'read';
  items: ReadItem[];
}

export interface ReadItemResult {
  key: PartitionId;
  /** Kafka error code: 0, OFFSET_OUT_OF_RANGE, ... (see `cause`). */
  errorCode: number;
  cause?: TaskError;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole record batches starting with the one containing fetchOffset: slice of ReadResult.buffer. */
  recordsOffset: number;
  recordsLength: number;
}

export interface ReadResult {
  /** One transferred buffer holding every item's records back to back. */
  buffer: ArrayBuffer;
  items: ReadItemResult[];
}

/** ListOffsets special timestamps, as on the wire. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

export interface ListOffsetsItem {
  key: PartitionId;
  /** A timestamp in ms, or LATEST_TIMESTAMP / EARLIEST_TIMESTAMP / MAX_TIMESTAMP. */
  timestamp: number;
}

export interface ListOffsetsTask {
  op: 'listOffsets';
  items: ListOffsetsItem[];
}

export interface ListOffsetsItemResult {
  key: PartitionId;
  errorCode: number;
  cause?: TaskError;
  /** -1 when no record has a timestamp >= the requested one. */
  offset: number;
  /** -1 for LATEST/EARLIEST; the record's timestamp otherwise. */
  timestamp: number;
}

/**
 * The leader epoch of every partition: one broker leads everything and never changes leader.
 * Metadata advertises it, appends stamp it into partitionLeaderEpoch, OffsetForLeaderEpoch
 * answers with it.
 */
export const CURRENT_LEADER_EPOCH = 0;

export interface DeleteRecordsItem {
  key: PartitionId;
  /** New log start offset; -1 = the high watermark (DeleteRecordsRequest.HIGH_WATERMARK). */
  offset: number;
}

export interface DeleteRecordsTask {
  /** Advances each log start offset (persisted before the answer); segments wholly below it are deleted. */
  op: 'deleteRecords';
  items: DeleteRecordsItem[];
}

export interface DeleteRecordsItemResult {
  key: PartitionId;
  /** 0, OFFSET_OUT_OF_RANGE (beyond the high watermark or negative), ... (see `cause`). */
  errorCode: number;
  cause?: TaskError;
  /** The log start offset after the call (-1 on error). */
  lowWatermark: number;
  /** The partition's state after the call (null on error). */
  state: PartitionState | null;
}

export interface OffsetForLeaderEpochItem {
  key: PartitionId;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochTask {
  op: 'offsetForLeaderEpoch';
  items: OffsetForLeaderEpochItem[];
}

export interface OffsetForLeaderEpochItemResult {
  key: PartitionId;
  errorCode: number;
  cause?: TaskError;
  /** UNDEFINED_EPOCH (-1) when the epoch is unknown. */
  leaderEpoch: number;
  /** UNDEFINED_EPOCH_OFFSET (-1) when the epoch is unknown. */
  endOffset: number;
}

export interface LogSizeTask {
  /** Bytes on local disk of each partition (DescribeLogDirs). */
  op: 'logSize';
  items: Array<{ key: PartitionId }>;
}

export interface LogSizeItemResult {
  key: PartitionId;
  errorCode: number;
  cause?: TaskError;
  sizeBytes: number;
  logEndOffset: number;
}

export interface DescribeProducersTask {
  /** Active idempotent producers of each partition (DescribeProducers). */
  op: 'describeProducers';
  items: Array<{ key: PartitionId }>;
}

export interface ProducerStateInfo {
  producerId: number;
  producerEpoch: number;
  /** Last sequence number appended; -1 when none is retained. */
  lastSequence: number;
  /** Largest timestamp of the producer's batches; -1 when unknown. */
  lastTimestamp: number;
}

export interface DescribeProducersItemResult {
  key: PartitionId;
  errorCode: number;
  cause?: TaskError;
  producers: ProducerStateInfo[];
}

export interface OpenTask {
  op: 'open';
  /** Creates missing directories, recovers existing logs (tail scan of the active segment). */
  partitions: PartitionSpec[];
}

export interface ConfigureTask {
  op: 'configure';
  key: PartitionId;
  config: LogConfig;
}

export interface MaintenanceTask {
  /** Time-based roll (segment.ms), retention (retention.ms / retention.bytes), flush.ms. */
  op: 'maintenance';
  nowMs: number;
}

export interface TierStateTask {
  /** State (with sealed segments awaiting upload) of every remote-storage-enabled partition. */
  op: 'tierState';
}

export interface MarkUploadedTask {
  /** Segments ending at or below uploadedEndOffset are in object storage: local retention may delete them. */
  op: 'markUploaded';
  key: PartitionId;
  uploadedEndOffset: number;
}

export interface DeleteTask {
  /** Close and remove the partitions' directories from disk. */
  op: 'delete';
  keys: PartitionId[];
}

/**
 * Hands partitions over to another slot: stop writing, let a sync pass or checkpoint already
 * under way finish, close the files without fsync, answer each log's end (LogHandoff; null for
 * a partition this slot does not hold).
 */
export interface ReleaseTask {
  op: 'release';
  keys: PartitionId[];
}

/**
 * Makes partitions ready to hand to another broker (cluster move): seals the active segment
 * when it holds anything (so every record is in a sealed segment the tier uploader offloads),
 * waits until it is flushed and checkpointed, and answers the log's end with its producer
 * state. The log stays open (the router refuses appends for it from now on).
 */
export interface SealTask {
  op: 'seal';
  keys: PartitionId[];
}

/** A sealed log's end for a handoff to another broker (SealTask); null for a key not held here. */
export interface SealedLogEnd {
  key: PartitionId;
  endOffset: number;
  /** ProducerStateManager.serialize() at endOffset. */
  producerSnapshot: Uint8Array;
  /** Log start offset set by DeleteRecords (0: never). */
  deleteRecordsOffset: number;
}

export interface CloseTask {
  /** Flush (fsync) and close; all open partitions of the slot when keys is omitted. */
  op: 'close';
  keys?: PartitionId[];
}

/** Tests only, honoured when the pool was created with fault injection: the thread exits. */
export interface CrashTask {
  op: 'crash';
}

export type WorkerTask =
  | OpenTask
  | SealTask
  | AppendTask
  | ReadTask
  | ListOffsetsTask
  | ConfigureTask
  | MaintenanceTask
  | TierStateTask
  | MarkUploadedTask
  | DeleteTask
  | CloseTask
  | ReleaseTask
  | DeleteRecordsTask
  | OffsetForLeaderEpochTask
  | LogSizeTask
  | DescribeProducersTask;

/** A failure as plain data for the thread boundary. */
export interface TaskError {
  /** The Kafka error code a client would be answered with (toKafkaErrorCode); never internal-only. */
  code: number;
  /** The catalogue code (src/errors.ts), when the failure has one. */
  strataCode?: StrataErrorCode;
  message: string;
  /** Stack of the worker-side exception, so the router can log the cause (unexpected failures only). */
  stack?: string;
}

export type TaskResult<T> = ({ ok: true; value: T } | { ok: false; error: TaskError }) & {
  /** Durations (ms) of fsync passes the slot finished since its previous answer (metrics). */
  syncPassMs?: number[];
};

/** Result value type per op. */
export interface TaskValues {
  open: PartitionState[];
  append: AppendResult;
  read: ReadResult;
  listOffsets: ListOffsetsItemResult[];
  configure: PartitionState;
  maintenance: PartitionState[];
  tierState: PartitionState[];
  markUploaded: PartitionState;
  delete: null;
  close: null;
  release: Array<LogHandoff | null>;
  seal: Array<SealedLogEnd | null>;
  deleteRecords: DeleteRecordsItemResult[];
  offsetForLeaderEpoch: OffsetForLeaderEpochItemResult[];
  logSize: LogSizeItemResult[];
  describeProducers: DescribeProducersItemResult[];
}

/**
 * The slot does not have this partition open (its thread was replaced): the router reopens it
 * and retries. Carried as `cause.strataCode` (items) or `strataCode` (task errors), never as a
 * Kafka code; the item's `errorCode` meanwhile is NOT_LEADER_OR_FOLLOWER, what a client would
 * get if the reopen failed.
 */
export const PARTITION_NOT_OPEN = 'STRATA_ERR_PARTITION_NOT_OPEN' satisfies StrataErrorCode;

/** True for an item result or task error that says "not open on this slot: reopen and retry". */
export function isPartitionNotOpen(x: unknown): boolean {
  if (x === undefined || x === null || typeof x !== 'object') return false;
  const { strataCode, cause } = x as { strataCode?: unknown; cause?: { strataCode?: unknown } };
  return strataCode === PARTITION_NOT_OPEN || (typeof cause === 'object' && cause !== null && cause.strataCode === PARTITION_NOT_OPEN);
}
