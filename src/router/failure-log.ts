// Thread: main. Bug 2, "no error is answered silently": the one place that logs a request the
// broker failed because of itself — an UNKNOWN_SERVER_ERROR in a response, a partition whose
// worker caught an unexpected exception, or a connection closed by an internal error. One
// error-level line per failed request or partition (not one per layer), with the API, its
// version, the client id and the cause's stack (a worker-side cause brings its stack across
// the thread boundary in TaskError.stack).
import { ErrorCode, errorTable } from '../protocol/generated/error-codes.js';
import type { TaskError } from '../ipc/tasks.js';
import { strataCodeOf } from '../errors.js';
import type { RequestContext } from './handlers/types.js';

function requestFields(ctx: RequestContext): Record<string, unknown> {
  return {
    api: ctx.apiName,
    apiVersion: ctx.apiVersion,
    clientId: ctx.clientId,
    correlationId: ctx.correlationId,
    conn: ctx.conn.id,
    remote: ctx.conn.remote,
  };
}

function errorName(code: number): string {
  return errorTable.get(code)?.name ?? String(code);
}

/** A worker-side cause as pino's err serializer prints it (type, message, stack, code). */
function causeFromTask(cause: TaskError): { type: string; message: string; stack: string; code?: string } {
  return { type: 'WorkerError', message: cause.message, stack: cause.stack ?? `WorkerError: ${cause.message}`, ...(cause.strataCode ? { code: cause.strataCode } : {}) };
}

/**
 * A request-level failure: a handler's catch around the engine (`answered` is the Kafka code
 * every affected partition got), or dispatch's internal error (`answered` = 'connection closed').
 */
export function logRequestFailure(ctx: RequestContext, err: unknown, answered: number | 'connection closed', extra: Record<string, unknown> = {}): void {
  const strataCode = strataCodeOf(err) ?? (err as { strataCode?: unknown } | null)?.strataCode;
  const what = typeof answered === 'number' ? errorName(answered) : answered;
  // The broker's own failures are errors; a retriable answer such as NOT_LEADER_OR_FOLLOWER
  // (a worker thread replaced mid-task, already logged by the engine) is a warning.
  const internal = answered === 'connection closed' || answered === ErrorCode.UNKNOWN_SERVER_ERROR || answered === ErrorCode.KAFKA_STORAGE_ERROR;
  (internal ? ctx.broker.logger.error : ctx.broker.logger.warn).call(
    ctx.broker.logger,
    { ...requestFields(ctx), ...extra, answered: what, ...(typeof strataCode === 'string' ? { strataCode } : {}), err },
    `${ctx.apiName} v${ctx.apiVersion} failed: answered ${what}`,
  );
}

/**
 * A per-partition result: logged when it is UNKNOWN_SERVER_ERROR, or when the worker caught an
 * unexpected exception for it (its cause carries a stack: a disk error, a bug). Expected
 * failures (OUT_OF_ORDER_SEQUENCE_NUMBER, OFFSET_OUT_OF_RANGE, ...) are the client's business.
 */
export function logPartitionFailure(ctx: RequestContext, topic: string, partition: number, errorCode: number, cause: TaskError | undefined, message?: string | null): void {
  if (errorCode !== ErrorCode.UNKNOWN_SERVER_ERROR && cause?.stack === undefined) return;
  const text = cause?.message ?? message ?? 'no cause recorded';
  const err = cause ? causeFromTask(cause) : { type: 'Error', message: text, stack: `Error: ${text} (not an exception: no stack)` };
  const what = errorName(errorCode);
  ctx.broker.logger.error(
    { ...requestFields(ctx), topic, partition, answered: what, ...(cause?.strataCode ? { strataCode: cause.strataCode } : {}), err },
    `${ctx.apiName} v${ctx.apiVersion} failed for ${topic}-${partition}: answered ${what}`,
  );
}
