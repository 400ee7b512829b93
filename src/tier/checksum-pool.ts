// Thread: main. The tier's own one-thread Piscina pool running checksum-worker.ts, so the router
// thread never reads a whole segment nor hashes one. Separate from the partition worker slots:
// a checksum pass over a 1 GiB segment must not stall the appends of the slot owning it.
import { Piscina } from 'piscina';
import type { ChecksumResult, ChecksumTask } from './checksum-worker.js';
import type { SegmentChecksums } from './segment-checksums.js';
import { TierError, TierErrorCode } from './object-store.js';

/** Computes a sealed segment's checksums somewhere other than the calling thread. */
export interface SegmentChecksummer {
  checksum(task: ChecksumTask): Promise<SegmentChecksums>;
  destroy(): Promise<void>;
}

/** Next to this module in dist/ (dist/src/tier/checksum-worker.js). */
export const DEFAULT_CHECKSUM_WORKER = new URL('./checksum-worker.js', import.meta.url);

export class ChecksumPool implements SegmentChecksummer {
  private readonly pool: Piscina;
  /** Tasks completed (tests: proves the work ran in the pool). */
  completed = 0;

  constructor(workerFile: URL = DEFAULT_CHECKSUM_WORKER) {
    this.pool = new Piscina({
      filename: workerFile.href,
      minThreads: 1,
      maxThreads: 1,
      // CPU-bound: one segment at a time; uploads queue here (at most a few in flight).
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      idleTimeout: 60_000,
    });
  }

  async checksum(task: ChecksumTask): Promise<SegmentChecksums> {
    const result = (await this.pool.run(task)) as ChecksumResult;
    this.completed++;
    if (!result.ok) throw new TierError(TierErrorCode.SEGMENT_FILE, result.error.message);
    return result.value;
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
