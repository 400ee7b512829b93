// Thread: main. A task-level failure of the partition engine (a worker thread that died
// mid-task, an I/O error, a partition that is not open), carrying the Kafka error code the
// handlers answer with.
export class EngineError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
