// Thread: either. Pure O(1) views on RecordBatch v2 headers inside a Buffer, at a byte position.
// Layout (all big-endian), see Kafka's implementation docs "Record Batch":
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
//   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
//   producerId int64 | producerEpoch int16 | baseSequence int32 | recordsCount int32 | records...
// batchLength counts the bytes after itself, so a batch occupies batchLength + 12 bytes.
// The CRC-32C covers attributes .. end of batch, so rewriting baseOffset or partitionLeaderEpoch
// never needs a new CRC; rewriting maxTimestamp / attributes (LogAppendTime) does.
// int64 fields are read as JS numbers: offsets, producer ids and timestamps stay below 2^53.
import { crc32c } from './crc32c.js';
import { ErrorCode } from './generated/error-codes.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
/** Bytes of a RecordBatch v2 header, up to and including recordsCount. */
export const RECORD_BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
/** First byte covered by the CRC. */
export const CRC_START_OFFSET = ATTRIBUTES_OFFSET;
/** Smallest legal batchLength (a header with no records). */
export const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;

export const CURRENT_MAGIC = 2;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
export const DELETE_HORIZON_BIT = 0x40;

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** producerId / producerEpoch / baseSequence of a batch written without idempotence. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

export const LEGACY_MAGIC_MESSAGE =
  'message format v0/v1 is not supported; use a client that produces RecordBatch v2 (Kafka 0.11+)';

const TWO_32 = 4294967296;

/** int64 at pos as a number; exact for |value| < 2^53. */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

/** Writes a number (|value| < 2^53) as int64 at pos. */
export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4);
}

export const readBaseOffset = (buf: Buffer, pos: number): number => readInt64(buf, pos + BASE_OFFSET_OFFSET);
export const readBatchLength = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
/** Total bytes of the batch at pos: batchLength + 12. */
export const readBatchSize = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
export const readPartitionLeaderEpoch = (buf: Buffer, pos: number): number =>
  buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET);
export const readMagic = (buf: Buffer, pos: number): number => buf.readInt8(pos + MAGIC_OFFSET);
export const readCrc = (buf: Buffer, pos: number): number => buf.readUInt32BE(pos + CRC_OFFSET);
export const readAttributes = (buf: Buffer, pos: number): number => buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
export const readCompression = (buf: Buffer, pos: number): number => buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_MASK;
export const readLastOffsetDelta = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
export const readBaseTimestamp = (buf: Buffer, pos: number): number => readInt64(buf, pos + BASE_TIMESTAMP_OFFSET);
export const readMaxTimestamp = (buf: Buffer, pos: number): number => readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
export const readProducerId = (buf: Buffer, pos: number): number => readInt64(buf, pos + PRODUCER_ID_OFFSET);
export const readProducerEpoch = (buf: Buffer, pos: number): number => buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
export const readBaseSequence = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
export const readRecordsCount = (buf: Buffer, pos: number): number => buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
/** baseOffset + lastOffsetDelta. */
export const readLastOffset = (buf: Buffer, pos: number): number =>
  readInt64(buf, pos + BASE_OFFSET_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
export const isLogAppendTime = (buf: Buffer, pos: number): boolean =>
  (buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & TIMESTAMP_TYPE_BIT) !== 0;

/** CRC-32C over attributes .. end of the batch at pos (size = whole batch size). */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + CRC_START_OFFSET, pos + size));
}

export function writeBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, baseOffset);
}

export function writePartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/** Recomputes and stores the CRC of the batch at pos. */
export function updateCrc(buf: Buffer, pos: number): void {
  const size = readBatchSize(buf, pos);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + CRC_OFFSET);
}

/**
 * Kafka's LogAppendTime rewrite: sets the timestamp-type attribute bit and maxTimestamp to the
 * broker's append time, then recomputes the CRC. Records themselves are untouched: readers take
 * maxTimestamp as every record's timestamp when the bit is set.
 */
export function setLogAppendTime(buf: Buffer, pos: number, appendTimeMs: number): void {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  buf.writeInt16BE(attributes | TIMESTAMP_TYPE_BIT, pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, appendTimeMs);
  updateCrc(buf, pos);
}

/** Header facts of one valid batch, as found by validateBatches. */
export interface BatchInfo {
  /** Byte position of the batch in the walked buffer. */
  position: number;
  /** Whole batch size in bytes (batchLength + 12). */
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  recordsCount: number;
  attributes: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export type BatchFailureReason =
  /** Fewer bytes than the header or than batchLength promises. */
  | 'truncated'
  /** batchLength too small to hold a v2 header. */
  | 'invalid-size'
  /** magic 0 or 1: legacy message sets. */
  | 'legacy-magic'
  /** magic other than 0, 1, 2. */
  | 'invalid-magic'
  | 'crc-mismatch';

export interface BatchFailure {
  reason: BatchFailureReason;
  /** Kafka error code to answer with. */
  errorCode: number;
  message: string;
  /** Index of the offending batch among the walked batches. */
  batchIndex: number;
  /** Byte position where the offending batch starts. */
  position: number;
}

export type ValidateResult = { ok: true; batches: BatchInfo[] } | { ok: false; failure: BatchFailure; batches: BatchInfo[] };

/**
 * Checks the framing, magic and CRC of the batch at pos (end = first byte past the buffer's valid
 * data). Returns null and leaves no allocation when valid; otherwise the failure (batchIndex 0).
 */
export function checkBatchAt(buf: Buffer, pos: number, end: number, checkCrc = true): BatchFailure | null {
  const remaining = end - pos;
  if (remaining < MAGIC_OFFSET + 1) {
    return failure('truncated', pos, `record batch header truncated: ${remaining} bytes left at position ${pos}`);
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    if (magic === 0 || magic === 1) return failure('legacy-magic', pos, LEGACY_MAGIC_MESSAGE);
    return failure('invalid-magic', pos, `invalid record batch magic ${magic} at position ${pos}`);
  }
  if (remaining < RECORD_BATCH_HEADER_SIZE) {
    return failure('truncated', pos, `record batch header truncated: ${remaining} bytes left at position ${pos}`);
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    return failure('invalid-size', pos, `record batch length ${batchLength} is smaller than the minimum ${MIN_BATCH_LENGTH}`);
  }
  const size = batchLength + LOG_OVERHEAD;
  if (size > remaining) {
    return failure('truncated', pos, `record batch length ${batchLength} exceeds the ${remaining - LOG_OVERHEAD} bytes available`);
  }
  if (checkCrc) {
    const stored = buf.readUInt32BE(pos + CRC_OFFSET);
    const computed = computeBatchCrc(buf, pos, size);
    if (stored !== computed) {
      return failure(
        'crc-mismatch',
        pos,
        `record batch is corrupt (stored crc = ${stored}, computed crc = ${computed})`,
      );
    }
  }
  return null;
}

function failure(reason: BatchFailureReason, position: number, message: string): BatchFailure {
  const errorCode = reason === 'legacy-magic' ? ErrorCode.INVALID_RECORD : ErrorCode.CORRUPT_MESSAGE;
  return { reason, errorCode, message, batchIndex: 0, position };
}

export function readBatchInfo(buf: Buffer, pos: number): BatchInfo {
  return {
    position: pos,
    size: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD,
    baseOffset: readInt64(buf, pos + BASE_OFFSET_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    recordsCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
  };
}

/**
 * Walks a concatenation of batches in buf[start, end): every batch must be framed correctly,
 * carry magic 2 and a matching CRC-32C, and the last one must end exactly at `end`.
 * On failure, `batches` holds the valid batches before the offending one (recovery keeps them).
 */
export function validateBatches(buf: Buffer, start: number, end: number, checkCrc = true): ValidateResult {
  const batches: BatchInfo[] = [];
  let pos = start;
  while (pos < end) {
    const bad = checkBatchAt(buf, pos, end, checkCrc);
    if (bad !== null) {
      bad.batchIndex = batches.length;
      return { ok: false, failure: bad, batches };
    }
    const info = readBatchInfo(buf, pos);
    batches.push(info);
    pos += info.size;
  }
  return { ok: true, batches };
}

/**
 * Kafka's checks on a batch written by a client (LogValidator, isFromClient), header-only:
 * returns a message for INVALID_RECORD, or null when acceptable.
 */
export function checkProducedBatch(info: BatchInfo): string | null {
  if (info.lastOffsetDelta < 0) return `batch has an invalid offset range: lastOffsetDelta ${info.lastOffsetDelta}`;
  if (info.recordsCount <= 0) return `invalid reported count for record batch: ${info.recordsCount}`;
  if (info.recordsCount !== info.lastOffsetDelta + 1) {
    return `inconsistent batch offset range [0, ${info.lastOffsetDelta}] and count of records ${info.recordsCount}`;
  }
  if ((info.attributes & CONTROL_BIT) !== 0) return 'clients are not allowed to write control records';
  if (info.producerId >= 0 && info.baseSequence < 0) {
    return `invalid sequence number ${info.baseSequence} for producer ${info.producerId}`;
  }
  return null;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequence numbers wrap at INT32_MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > 0x7fffffff - increment) return increment - (0x7fffffff - sequence) - 1;
  return sequence + increment;
}

/** Last sequence number covered by a batch. */
export function lastSequenceOf(info: BatchInfo): number {
  return info.baseSequence < 0 ? NO_SEQUENCE : incrementSequence(info.baseSequence, info.lastOffsetDelta);
}
