// Thread: main. Consumer-group lag over time for the console. Choice (README, "Web console"):
// only groups being viewed are sampled — a group enters when its page asks for it and leaves
// LAG_WATCH_MS after the last ask — at most LAG_MAX_GROUPS at once (the least recently viewed
// is dropped first), every LAG_SAMPLE_MS, LAG_POINTS samples each (30 minutes). Sampling every
// group of a big cluster would cost one OffsetFetch + ListOffsets per group every few seconds
// for charts no one looks at; the bound keeps memory at groups × points × topics.
import { RingBuffer } from './ring-buffer.js';

export const LAG_SAMPLE_MS = 5_000;
export const LAG_POINTS = 360;
export const LAG_WATCH_MS = 10 * 60_000;
export const LAG_MAX_GROUPS = 50;

export interface LagPoint {
  t: number;
  /** Sum of the partitions' lag. */
  lag: number;
  /** Lag per topic. */
  topics: Record<string, number>;
}

interface Watched {
  lastViewed: number;
  ring: RingBuffer<LagPoint>;
}

export class LagHistory {
  private readonly groups = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(
    /** Computes a group's lag now (OffsetFetch + ListOffsets through the KafkaBridge). */
    private readonly measure: (group: string) => Promise<LagPoint | undefined>,
    private readonly opts: { intervalMs?: number; watchMs?: number; maxGroups?: number; now?: () => number } = {},
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sampleAll(), this.opts.intervalMs ?? LAG_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** The group was viewed: keep sampling it; `point` (just measured by the view) is recorded. */
  viewed(group: string, point: LagPoint | undefined): LagPoint[] {
    let w = this.groups.get(group);
    if (w === undefined) {
      const max = this.opts.maxGroups ?? LAG_MAX_GROUPS;
      while (this.groups.size >= max) this.dropLeastRecentlyViewed();
      w = { lastViewed: 0, ring: new RingBuffer<LagPoint>(LAG_POINTS) };
      this.groups.set(group, w);
    }
    w.lastViewed = this.now();
    if (point !== undefined) w.ring.push(point);
    return w.ring.toArray();
  }

  history(group: string): LagPoint[] {
    return this.groups.get(group)?.ring.toArray() ?? [];
  }

  get watchedCount(): number {
    return this.groups.size;
  }

  private dropLeastRecentlyViewed(): void {
    let oldest: string | undefined;
    let oldestAt = Infinity;
    for (const [g, w] of this.groups) {
      if (w.lastViewed < oldestAt) {
        oldest = g;
        oldestAt = w.lastViewed;
      }
    }
    if (oldest !== undefined) this.groups.delete(oldest);
  }

  /** One sampling pass over the watched groups (skipped while the previous one runs). */
  async sampleAll(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const cutoff = this.now() - (this.opts.watchMs ?? LAG_WATCH_MS);
      for (const [group, w] of [...this.groups]) {
        if (w.lastViewed < cutoff) {
          this.groups.delete(group);
          continue;
        }
        const point = await this.measure(group).catch(() => undefined);
        if (point !== undefined) this.groups.get(group)?.ring.push(point);
      }
    } finally {
      this.sampling = false;
    }
  }
}
