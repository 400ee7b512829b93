// Thread: main (the controller). Which broker leads each partition: the controller's pure
// decision, from the live brokers, those draining (stopping with SIGTERM), the current
// leadership (leader + leader epoch per partition), which partitions may change broker, and the
// moves asked for by hand (AlterPartitionReassignments, `strata cluster move`). Deterministic
// (ties break on the lower node id and the partition id), so unit tests state exact outcomes.
// Targets are the live brokers that are not draining. Rules, in order:
//
//   1. new       a partition with no leader yet goes to its requested broker when that is a
//                target, else to the target leading the fewest partitions (measured load first);
//   2. failover  a partition whose leader is not live goes to the least-loaded target — only
//                when its data survives its leader's death (`failover`; none does before issue
//                16's write-ahead objects). Any other keeps its leader and is unavailable until
//                that broker is back (Kafka's offline partition); the README says so;
//   3. drain     a movable partition led by a draining broker goes to its requested broker when
//                that is a target, else to the least-loaded target (Kafka's controlled shutdown);
//   4. reassign  a movable partition whose requested broker is a target other than its leader
//                goes there;
//   5. balance   while some target leads more than ceil(total / targets) partitions and another
//                fewer than floor(total / targets), the most loaded target's busiest movable
//                partition not pinned by a request moves to the least loaded — at most maxMoves
//                per round, so a broker joining pulls its fair share over a few rounds.
//
// Movable means the partition's data can reach another broker through object storage (a
// remote-storage topic) and it is settled: its previous handoff, if any, is complete (rules 3–5
// never move a partition twice at once). Every change of leader gets the previous leader epoch +
// 1 (0 for a new one): the epoch only grows, which is what lets clients and brokers fence a
// stale leader. A change by rules 3–5 names the broker that must hand the partition over
// (`handoffFrom`): the new leader serves only once that broker released it (partition-handoff.ts).
import type { PartitionId } from '../ipc/partition-id.js';

export interface Leadership {
  leader: number;
  epoch: number;
  /** The broker that must hand this partition over before the leader serves it (a graceful move). */
  from?: number;
  /** The dead broker whose write-ahead objects the leader rebuilds this partition from (a failover). */
  lost?: number;
}

export interface AssignablePartition {
  id: PartitionId;
  /** Its data can move to another broker through object storage, and no handoff of it is under way. */
  movable: boolean;
  /** Its data survives its leader's death (failover allowed). Default false. */
  failover?: boolean;
  /** Measured bytes/s (optional): breaks count ties and orders what moves first. */
  load?: number;
}

export interface AssignmentInput {
  liveBrokers: readonly number[];
  /** Live brokers handing their partitions over before they stop: never targets. */
  draining?: readonly number[];
  partitions: readonly AssignablePartition[];
  current: ReadonlyMap<PartitionId, Leadership>;
  /** Requested leaders (reassignments): partition → node id. */
  requested?: ReadonlyMap<PartitionId, number>;
  /** Balance moves per round (default 16). Other rules are never capped. */
  maxMoves?: number;
}

export type ChangeReason = 'new' | 'failover' | 'drain' | 'reassign' | 'balance';

/** Reasons whose change needs the previous leader to hand the partition over. */
export const HANDOFF_REASONS: ReadonlySet<ChangeReason> = new Set(['drain', 'reassign', 'balance']);

export interface LeadershipChange {
  id: PartitionId;
  from: number | undefined;
  to: number;
  epoch: number;
  reason: ChangeReason;
  /**
   * Failover only, set by the controller (cluster-placement.ts): where the new leader finds the
   * data — the dead leader's write-ahead objects (`lost`), or, when the dead leader had not yet
   * taken the partition over itself, the source it was taking it from.
   */
  source?: { lost: number } | { handoffFrom: number };
}

export const DEFAULT_MAX_BALANCE_MOVES = 16;

interface BrokerLoad {
  nodeId: number;
  count: number;
  movable: number;
  load: number;
}

/** The changes that bring the leadership to the rules above; empty when nothing changes. */
export function planAssignment(input: AssignmentInput): LeadershipChange[] {
  const live = new Set(input.liveBrokers);
  const draining = new Set((input.draining ?? []).filter((b) => live.has(b)));
  const targets = [...live].filter((b) => !draining.has(b)).sort((a, b) => a - b);
  if (targets.length === 0) return [];
  const brokers = new Map<number, BrokerLoad>(targets.map((nodeId) => [nodeId, { nodeId, count: 0, movable: 0, load: 0 }]));
  const partitions = [...input.partitions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const requested = input.requested ?? new Map<PartitionId, number>();
  const requestedTarget = (p: AssignablePartition): number | undefined => {
    const r = requested.get(p.id);
    return r !== undefined && brokers.has(r) ? r : undefined;
  };
  const leaderOf = new Map<PartitionId, number>();
  const changes: LeadershipChange[] = [];
  const assign = (p: AssignablePartition, to: number, reason: ChangeReason) => {
    const was = input.current.get(p.id);
    const previousLeader = leaderOf.get(p.id) ?? was?.leader;
    const epoch = (was?.epoch ?? -1) + 1;
    const prevOwner = leaderOf.has(p.id) ? brokers.get(leaderOf.get(p.id)!) : undefined;
    if (prevOwner) {
      prevOwner.count--;
      prevOwner.load -= p.load ?? 0;
      if (p.movable) prevOwner.movable--;
    }
    const owner = brokers.get(to)!;
    owner.count++;
    owner.load += p.load ?? 0;
    if (p.movable) owner.movable++;
    leaderOf.set(p.id, to);
    changes.push({ id: p.id, from: previousLeader, to, epoch, reason });
  };
  const leastLoaded = (): BrokerLoad => {
    let best: BrokerLoad | undefined;
    for (const b of brokers.values()) if (best === undefined || b.count < best.count || (b.count === best.count && b.load < best.load)) best = b;
    return best!;
  };

  // Count what the targets lead today.
  const unplaced: AssignablePartition[] = [];
  const orphaned: AssignablePartition[] = [];
  const drained: AssignablePartition[] = [];
  for (const p of partitions) {
    const cur = input.current.get(p.id);
    if (cur === undefined) unplaced.push(p);
    else if (brokers.has(cur.leader)) {
      const b = brokers.get(cur.leader)!;
      b.count++;
      b.load += p.load ?? 0;
      if (p.movable) b.movable++;
      leaderOf.set(p.id, cur.leader);
    } else if (draining.has(cur.leader)) {
      if (p.movable) drained.push(p);
      // else: stays on the draining broker, offline once it stops.
    } else if (p.failover === true) orphaned.push(p);
    // else: on a dead broker and its data did not survive it — stays, offline until it returns.
  }
  for (const p of unplaced) assign(p, requestedTarget(p) ?? leastLoaded().nodeId, 'new');
  for (const p of orphaned) assign(p, requestedTarget(p) ?? leastLoaded().nodeId, 'failover');
  for (const p of drained) assign(p, requestedTarget(p) ?? leastLoaded().nodeId, 'drain');
  for (const p of partitions) {
    const to = requestedTarget(p);
    const at = leaderOf.get(p.id);
    if (to !== undefined && at !== undefined && at !== to && p.movable && !changes.some((c) => c.id === p.id)) assign(p, to, 'reassign');
  }

  // Balance movable, unpinned partitions by count (load orders which one moves).
  const pinned = (p: AssignablePartition) => requestedTarget(p) !== undefined && requestedTarget(p) === leaderOf.get(p.id);
  const maxMoves = input.maxMoves ?? DEFAULT_MAX_BALANCE_MOVES;
  const total = [...brokers.values()].reduce((s, b) => s + b.count, 0);
  const ceil = Math.ceil(total / targets.length);
  const floor = Math.floor(total / targets.length);
  const moved = new Set(changes.filter((c) => c.reason !== 'new').map((c) => c.id));
  for (let moves = 0; moves < maxMoves; moves++) {
    let most: BrokerLoad | undefined;
    let least: BrokerLoad | undefined;
    for (const b of brokers.values()) {
      if (b.movable > 0 && (most === undefined || b.count > most.count || (b.count === most.count && b.load > most.load))) most = b;
      if (least === undefined || b.count < least.count || (b.count === least.count && b.load < least.load)) least = b;
    }
    if (most === undefined || least === undefined || most === least) break;
    if (!(most.count > ceil || (most.count > floor && least.count < floor)) || most.count - least.count < 2) break;
    let pick: AssignablePartition | undefined;
    for (const p of partitions) {
      if (!p.movable || moved.has(p.id) || pinned(p) || leaderOf.get(p.id) !== most.nodeId) continue;
      if (pick === undefined || (p.load ?? 0) > (pick.load ?? 0)) pick = p;
    }
    if (pick === undefined) break;
    moved.add(pick.id);
    assign(pick, least.nodeId, 'balance');
  }
  // One change per partition: a partition placed then balanced in the same round keeps the first reason and epoch.
  const last = new Map<PartitionId, LeadershipChange>();
  for (const c of changes) {
    const prev = last.get(c.id);
    last.set(c.id, prev === undefined ? c : { ...c, from: prev.from, epoch: prev.epoch, reason: prev.reason });
  }
  return [...last.values()];
}
