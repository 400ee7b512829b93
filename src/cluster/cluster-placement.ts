// Thread: main. Cluster mode's partition leadership at run time. Every broker follows the
// leadership snapshot (leadership-store.ts) to answer "who leads this partition, with which
// epoch" for Metadata and to refuse Produce/Fetch/ListOffsets for partitions it does not lead.
// The controller (whoever holds the lease) also plans: every `intervalMs`, and at once when the
// live brokers or the topics change, it runs the planner (partition-assignment.ts) over every
// partition and writes the changes, fenced by its lease and by growing epochs.
//
// Today no partition is movable between brokers: a partition's data lives on the broker that
// leads it (moving a remote-storage partition through the bucket is the next step of issue
// 15), so the controller places new partitions on the least-loaded live broker and a
// partition whose broker is gone stays offline until it returns.
import type { Logger } from 'pino';
import type { PartitionId } from '../ipc/partition-id.js';
import type { LeadershipStore } from './leadership-store.js';
import { planAssignment, type AssignablePartition, type Leadership } from './partition-assignment.js';

/** What the router asks about leadership in cluster mode. */
export interface LeadershipView {
  /** The partition's leader and epoch, or undefined while it has none yet. */
  leadership(id: PartitionId): Leadership | undefined;
}

export interface ClusterPlacementOptions {
  store: LeadershipStore;
  /** Node ids of the live brokers, read from Redis now (not a cached view: a broker that joined a
   *  moment ago must get its share of partitions placed now, which never move afterwards). */
  liveBrokers: () => Promise<number[]>;
  /** Whether this broker holds the controller lease now, and its incarnation (the lease holder id). */
  isController: () => boolean;
  incarnation: () => string | undefined;
  /** Every partition of every topic. */
  partitions: () => AssignablePartition[];
  intervalMs: number;
  logger: Logger;
}

export class ClusterPlacement implements LeadershipView {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: ClusterPlacementOptions) {}

  leadership(id: PartitionId): Leadership | undefined {
    return this.opts.store.get(id);
  }

  start(): void {
    this.timer = setInterval(() => this.poke(), this.opts.intervalMs);
    this.timer.unref();
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Plan now (or right after the round in progress): brokers or topics changed. */
  poke(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((err: unknown) => this.opts.logger.warn({ err }, 'partition leadership: controller round failed; retrying'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves once the round in progress (if any) and a following one are done (tests, topic creation). */
  async settle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async round(): Promise<void> {
    const { store, logger } = this.opts;
    if (!this.opts.isController()) return;
    const incarnation = this.opts.incarnation();
    if (incarnation === undefined) return;
    await store.refresh();
    const changes = planAssignment({ liveBrokers: await this.opts.liveBrokers(), partitions: this.opts.partitions(), current: store.all() });
    if (changes.length === 0) return;
    await store.write(incarnation, changes);
    logger.info(
      { changes: changes.length, byReason: countBy(changes.map((c) => c.reason)), leaders: countBy(changes.map((c) => String(c.to))) },
      'partition leadership changed',
    );
  }
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
