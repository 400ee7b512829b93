// Thread: worker. Turns any failure inside a worker slot into plain data for the thread
// boundary. The codes and their Kafka mapping live in the one catalogue, src/errors.ts.
import { ErrorCode } from '../src/protocol/generated/error-codes.js';
import { PARTITION_NOT_OPEN, type TaskError } from '../src/ipc/tasks.js';
import { errorMessage, strataCodeOf, toKafkaErrorCode } from '../src/errors.js';

/**
 * Plain-data error for the thread boundary. Unexpected failures (no catalogue code, or a
 * storage failure) carry their stack so the router can log the cause (bug 2: nothing silent).
 */
export function toTaskError(err: unknown): TaskError {
  const out: TaskError = { code: toKafkaErrorCode(err), message: errorMessage(err) };
  const strataCode = strataCodeOf(err);
  if (strataCode !== undefined) out.strataCode = strataCode;
  if (err instanceof Error && err.stack !== undefined && (strataCode === undefined || strataCode === 'STRATA_ERR_STORAGE')) out.stack = err.stack;
  return out;
}

export const NOT_OPEN_MESSAGE = 'partition is not open on this worker slot';

/** The "not open on this slot" signal: a real Kafka code for the wire, the catalogue code for the router. */
export function notOpenError(key: string): TaskError {
  return { code: ErrorCode.NOT_LEADER_OR_FOLLOWER, strataCode: PARTITION_NOT_OPEN, message: `${key}: ${NOT_OPEN_MESSAGE}` };
}
