// Thread: main. Cluster mode's partition leadership at run time. Every broker follows the
// leadership snapshot (leadership-store.ts) to answer "who leads this partition, with which
// epoch" for Metadata and to refuse Produce/Fetch/ListOffsets for partitions it does not lead.
// The controller (whoever holds the lease) also plans: every `intervalMs`, and at once when the
// live brokers or the topics change, it runs the planner (partition-assignment.ts) over every
// partition and writes the changes, fenced by its lease and by growing epochs.
//
// Partitions of remote-storage topics move between brokers (partition-handoff.ts does the
// moving): the controller balances them, drains a stopping broker, and follows reassignment
// requests (move-requests.ts). A partition whose data lives only on its broker's disk never
// changes broker: it is placed once, and is offline while its broker is gone.
import type { Logger } from 'pino';
import type { PartitionId } from '../ipc/partition-id.js';
import type { LeadershipStore } from './leadership-store.js';
import { planAssignment, type AssignablePartition, type Leadership } from './partition-assignment.js';

/** What the router asks about leadership in cluster mode. */
export interface LeadershipView {
  /** The partition's leader and epoch, or undefined while it has none yet. */
  leadership(id: PartitionId): Leadership | undefined;
  /** Whether this broker serves the partition now: it leads it and took it over if it was handed over. */
  serves(id: PartitionId): boolean;
}

/** A partition as the controller sees it: may its data move between brokers (remote storage)? */
export interface PlacedPartition {
  id: PartitionId;
  remote: boolean;
  /** Its acknowledged data survives its leader's death (write-ahead objects): it may fail over. */
  failover?: boolean;
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
  partitions: () => PlacedPartition[];
  /** Brokers handing their partitions over before they stop. */
  draining: () => Promise<number[]>;
  /** Requested leaders (reassignments). */
  requested: () => Promise<Map<PartitionId, number>>;
  /** Measured bytes/s per partition (optional): orders what balancing moves first. */
  loads?: () => Promise<Map<PartitionId, number>>;
  /** The leader epoch at which each partition's leader last recorded serving it (after a takeover or rebuild). */
  servingEpochs?: () => Promise<Map<PartitionId, number>>;
  /** The leader epoch of each partition's last handoff. */
  handoffEpochs: () => Promise<Map<PartitionId, number>>;
  /** This broker serves the partition (partition-handoff.ts); without it: whenever it leads it. */
  serves?: (id: PartitionId) => boolean;
  nodeId: number;
  intervalMs: number;
  /**
   * A broker must have been missing this long, as seen by this controller, before its partitions
   * fail over (its registration already lapsed a session timeout after its last heartbeat): a
   * broker that only looks dead because Redis lost the registrations, or because this controller
   * has just taken over, registers again within a heartbeat and keeps its partitions.
   */
  failoverGraceMs?: number;
  logger: Logger;
}

export class ClusterPlacement implements LeadershipView {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** When this controller first saw each leader missing from the live brokers. */
  private readonly missingSince = new Map<number, number>();

  constructor(private readonly opts: ClusterPlacementOptions) {}

  leadership(id: PartitionId): Leadership | undefined {
    return this.opts.store.get(id);
  }

  serves(id: PartitionId): boolean {
    if (this.opts.serves !== undefined) return this.opts.serves(id);
    return this.opts.store.get(id)?.leader === this.opts.nodeId;
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
    const [liveBrokers, draining, requested, handoffEpochs, loads, servingEpochs] = await Promise.all([
      this.opts.liveBrokers(),
      this.opts.draining(),
      this.opts.requested(),
      this.opts.handoffEpochs(),
      this.opts.loads?.() ?? Promise.resolve(new Map<PartitionId, number>()),
      this.opts.servingEpochs?.() ?? Promise.resolve(new Map<PartitionId, number>()),
    ]);
    const current = store.all();
    // Fail over only from brokers missing for a whole grace period, as this controller saw it.
    const now = Date.now();
    const live = new Set(liveBrokers);
    for (const id of [...this.missingSince.keys()]) if (live.has(id)) this.missingSince.delete(id);
    for (const l of current.values()) if (!live.has(l.leader) && !this.missingSince.has(l.leader)) this.missingSince.set(l.leader, now);
    const deadLongEnough = (leader: number) => (this.missingSince.get(leader) ?? now) <= now - (this.opts.failoverGraceMs ?? 0);
    // Movable: remote storage, and settled — no handoff of it under way (its last change named
    // no broker to hand over, or that handoff is published).
    const partitions: AssignablePartition[] = this.opts.partitions().map((p) => {
      const l = current.get(p.id);
      const settled = l === undefined || ((l.from === undefined || handoffEpochs.get(p.id) === l.epoch) && (l.lost === undefined || servingEpochs.get(p.id) === l.epoch));
      return { id: p.id, movable: p.remote && settled, failover: p.failover === true && l !== undefined && deadLongEnough(l.leader), load: loads.get(p.id) };
    });
    const changes = planAssignment({ liveBrokers, draining, partitions, current, requested });
    // A failover rebuilds from the dead leader's write-ahead objects — unless the dead leader
    // never took the partition over itself: then from where it was taking it.
    for (const c of changes) {
      if (c.reason !== 'failover' || c.from === undefined) continue;
      const dead = current.get(c.id);
      if (dead?.from !== undefined && handoffEpochs.get(c.id) !== dead.epoch) c.source = { handoffFrom: dead.from };
      else if (dead?.lost !== undefined && servingEpochs.get(c.id) !== dead.epoch) c.source = { lost: dead.lost };
      else c.source = { lost: c.from };
    }
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
