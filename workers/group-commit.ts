// Thread: worker. Group commit for one partition: acks=-1 appends wait until an fsync that
// STARTED after their write has finished. One sync pass (one fdatasync per dirty file) covers
// every write made before it started; writes made while a pass is in flight wait for the next
// pass, which starts as soon as the current one ends — so N queued appends cost ~2 passes,
// never N.

/** Durations (ms) of sync passes not yet reported to the router; bounded. */
const passDurationsMs: number[] = [];
const MAX_REPORTED_PASSES = 1024;

/** Takes the sync-pass durations recorded since the last call (for the fsync metric). */
export function drainSyncPassDurations(): number[] {
  return passDurationsMs.splice(0);
}

export class GroupCommit {
  /** Monotonic count of writes (a ticket per write). */
  private written = 0;
  /** Every ticket <= durable is on disk. */
  private durable = 0;
  private inflight: Promise<void> | null = null;
  /** Completed sync passes (for tests and metrics). */
  syncCount = 0;
  /** Broker time of the oldest write not yet durable (flush.ms), null when clean. */
  oldestUnflushedMs: number | null = null;
  /** Records written since the last sync pass started (flush.messages). */
  unflushedMessages = 0;

  constructor(private readonly syncPass: () => Promise<void>) {}

  /** Registers a write; returns its ticket for waitDurable. */
  markWritten(records: number, nowMs: number): number {
    this.written++;
    this.unflushedMessages += records;
    if (this.oldestUnflushedMs === null) this.oldestUnflushedMs = nowMs;
    return this.written;
  }

  get hasUnflushed(): boolean {
    return this.durable < this.written;
  }

  get inFlight(): Promise<void> | null {
    return this.inflight;
  }

  /** Resolves once everything written up to `ticket` (default: now) is durable. */
  async waitDurable(ticket: number = this.written): Promise<void> {
    while (this.durable < ticket) {
      if (this.inflight === null) this.inflight = this.runPass();
      await this.inflight;
    }
  }

  /** Waits for an in-flight pass without starting one (before closing fds). */
  async idle(): Promise<void> {
    while (this.inflight !== null) {
      try {
        await this.inflight;
      } catch {
        // the waiters of that pass report it
      }
    }
  }

  private async runPass(): Promise<void> {
    const target = this.written;
    this.unflushedMessages = 0;
    const oldest = this.oldestUnflushedMs;
    this.oldestUnflushedMs = null;
    const started = performance.now();
    try {
      await this.syncPass();
      this.syncCount++;
      if (passDurationsMs.length < MAX_REPORTED_PASSES) passDurationsMs.push(performance.now() - started);
      if (target > this.durable) this.durable = target;
    } catch (err) {
      if (this.oldestUnflushedMs === null) this.oldestUnflushedMs = oldest;
      throw err;
    } finally {
      this.inflight = null;
    }
  }
}
