// Thread: main. The console's live throughput chart: once a second (THROUGHPUT_SAMPLE_MS) the
// broker's own traffic counters (src/http/metrics.ts, the numbers behind
// strata_topic_{bytes,records}_{in,out}_total) are summed over topics and turned into per-second
// rates, kept in a ring of THROUGHPUT_POINTS samples (5 minutes). Summing is O(topics) once a
// second, off every request path.
import type { TopicCounters } from '../http/metrics.js';
import { RingBuffer } from './ring-buffer.js';

export const THROUGHPUT_SAMPLE_MS = 1_000;
export const THROUGHPUT_POINTS = 300;

export interface ThroughputPoint {
  /** Sample time, ms since the epoch. */
  t: number;
  bytesInPerSec: number;
  bytesOutPerSec: number;
  recordsInPerSec: number;
  recordsOutPerSec: number;
}

export class ThroughputHistory {
  private readonly ring = new RingBuffer<ThroughputPoint>(THROUGHPUT_POINTS);
  private previous: { t: number; totals: TopicCounters } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly totals: () => TopicCounters,
    private readonly intervalMs = THROUGHPUT_SAMPLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample (the timer calls it; tests may too). */
  sample(): void {
    const t = this.now();
    const totals = { ...this.totals() };
    const prev = this.previous;
    this.previous = { t, totals };
    if (prev === undefined || t <= prev.t) return;
    const secs = (t - prev.t) / 1000;
    // A deleted topic drops its totals (forgetTopic): never chart a negative rate.
    const rate = (k: keyof TopicCounters) => Math.max(0, (totals[k] - prev.totals[k]) / secs);
    this.ring.push({ t, bytesInPerSec: rate('bytesIn'), bytesOutPerSec: rate('bytesOut'), recordsInPerSec: rate('recordsIn'), recordsOutPerSec: rate('recordsOut') });
  }

  points(): ThroughputPoint[] {
    return this.ring.toArray();
  }

  /** Totals since the broker started (what the rates are computed from). */
  current(): TopicCounters {
    return { ...this.totals() };
  }
}
