// Thread: main. A task-level failure of the partition engine (a worker thread that died
// mid-task, an I/O error, a partition that is not open), carrying the Kafka error code the
// handlers answer with, the catalogue code (src/errors.ts) when there is one, and for a
// worker-side failure the worker's stack, so the router logs the real cause (bug 2).
import type { StrataErrorCode } from '../errors.js';
import type { TaskError } from '../ipc/tasks.js';

export class EngineError extends Error {
  readonly strataCode: StrataErrorCode | undefined;
  constructor(
    readonly errorCode: number,
    message: string,
    detail: { strataCode?: StrataErrorCode; stack?: string } = {},
  ) {
    super(message);
    this.name = 'EngineError';
    this.strataCode = detail.strataCode;
    if (detail.stack !== undefined) this.stack = `${this.name}: ${message}\n  (in a worker thread)\n${detail.stack}`;
  }

  /** A worker's `{ ok: false, error }` answer. */
  static fromTask(error: TaskError): EngineError {
    return new EngineError(error.code, error.message, error);
  }
}
