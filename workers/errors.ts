// Thread: worker. Internal failures of the partition log and the ONE function that maps any
// failure to a Kafka error code (plus WorkerError codes that never reach the wire).
//
// Internal codes (stable, prefixed STRATA_ERR_):
//   STRATA_ERR_CORRUPT_MESSAGE       batch framing / CRC-32C invalid          -> CORRUPT_MESSAGE (2)
//   STRATA_ERR_INVALID_RECORD        batch breaks a client-batch rule, or v0/v1 -> INVALID_RECORD (87)
//   STRATA_ERR_MESSAGE_TOO_LARGE     batch larger than max.message.bytes       -> MESSAGE_TOO_LARGE (10)
//   STRATA_ERR_OUT_OF_ORDER_SEQUENCE idempotent producer sequence gap          -> OUT_OF_ORDER_SEQUENCE_NUMBER (45)
//   STRATA_ERR_INVALID_PRODUCER_EPOCH producer epoch older than the last seen  -> INVALID_PRODUCER_EPOCH (47)
//   STRATA_ERR_OFFSET_OUT_OF_RANGE   fetch offset outside [logStart, HWM]      -> OFFSET_OUT_OF_RANGE (1)
//   STRATA_ERR_PARTITION_NOT_OPEN    slot does not hold the partition          -> WorkerError.PARTITION_NOT_OPEN (-100)
//   STRATA_ERR_LOG_CLOSED            partition closed while the task ran        -> NOT_LEADER_OR_FOLLOWER (6)
//   STRATA_ERR_STORAGE               disk I/O failed                           -> KAFKA_STORAGE_ERROR (56)
//   STRATA_ERR_INVALID_TASK          malformed task from the router            -> INVALID_REQUEST (42)
// Node fs errors (EIO, ENOSPC, EROFS, ...) map to KAFKA_STORAGE_ERROR; anything else to
// UNKNOWN_SERVER_ERROR (-1).
import { ErrorCode } from '../src/protocol/generated/error-codes.js';
import { WorkerError, type TaskError } from '../src/ipc/tasks.js';

export const LogErrorCode = {
  CORRUPT_MESSAGE: 'STRATA_ERR_CORRUPT_MESSAGE',
  INVALID_RECORD: 'STRATA_ERR_INVALID_RECORD',
  MESSAGE_TOO_LARGE: 'STRATA_ERR_MESSAGE_TOO_LARGE',
  OUT_OF_ORDER_SEQUENCE: 'STRATA_ERR_OUT_OF_ORDER_SEQUENCE',
  INVALID_PRODUCER_EPOCH: 'STRATA_ERR_INVALID_PRODUCER_EPOCH',
  OFFSET_OUT_OF_RANGE: 'STRATA_ERR_OFFSET_OUT_OF_RANGE',
  PARTITION_NOT_OPEN: 'STRATA_ERR_PARTITION_NOT_OPEN',
  LOG_CLOSED: 'STRATA_ERR_LOG_CLOSED',
  STORAGE: 'STRATA_ERR_STORAGE',
  INVALID_TASK: 'STRATA_ERR_INVALID_TASK',
} as const;

export type LogErrorCodeValue = (typeof LogErrorCode)[keyof typeof LogErrorCode];

export class LogError extends Error {
  constructor(
    readonly code: LogErrorCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'LogError';
  }
}

const LOG_ERROR_TO_KAFKA: Record<LogErrorCodeValue, number> = {
  [LogErrorCode.CORRUPT_MESSAGE]: ErrorCode.CORRUPT_MESSAGE,
  [LogErrorCode.INVALID_RECORD]: ErrorCode.INVALID_RECORD,
  [LogErrorCode.MESSAGE_TOO_LARGE]: ErrorCode.MESSAGE_TOO_LARGE,
  [LogErrorCode.OUT_OF_ORDER_SEQUENCE]: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  [LogErrorCode.INVALID_PRODUCER_EPOCH]: ErrorCode.INVALID_PRODUCER_EPOCH,
  [LogErrorCode.OFFSET_OUT_OF_RANGE]: ErrorCode.OFFSET_OUT_OF_RANGE,
  [LogErrorCode.PARTITION_NOT_OPEN]: WorkerError.PARTITION_NOT_OPEN,
  [LogErrorCode.LOG_CLOSED]: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  [LogErrorCode.STORAGE]: ErrorCode.KAFKA_STORAGE_ERROR,
  [LogErrorCode.INVALID_TASK]: ErrorCode.INVALID_REQUEST,
};

/** errno codes of a failing disk, full disk, or a log dir that went away. */
const STORAGE_ERRNOS = new Set(['EIO', 'ENOSPC', 'EROFS', 'EDQUOT', 'ENOENT', 'EACCES', 'EPERM', 'EBADF', 'EMFILE', 'ENFILE', 'ENOTDIR', 'EISDIR', 'EFBIG']);

/** Maps any failure to the Kafka (or WorkerError) code the router should see. */
export function toErrorCode(err: unknown): number {
  if (err instanceof LogError) return LOG_ERROR_TO_KAFKA[err.code];
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && STORAGE_ERRNOS.has(errno)) return ErrorCode.KAFKA_STORAGE_ERROR;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Plain-data error for the thread boundary. */
export function toTaskError(err: unknown): TaskError {
  return { code: toErrorCode(err), message: errorMessage(err) };
}
