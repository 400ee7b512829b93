// Thread: main (the controller). Which broker leads each partition: the controller's pure
// decision, from the live brokers, the current leadership (leader + leader epoch per partition)
// and which partitions may change broker. Deterministic (ties break on the lower node id and
// the partition id), so unit tests state exact outcomes. Rules, in order:
//
//   1. new       a partition with no leader yet goes to the live broker leading the fewest
//                partitions (measured load first, when given);
//   2. failover  a partition whose leader is not live goes to the least-loaded live broker — only
//                when it is movable (its data outlives a broker: remote storage). An unmovable one
//                keeps its leader and is unavailable until that broker is back (Kafka's offline
//                partition); the README says so;
//   3. balance   while some broker leads more than ceil(total / brokers) movable partitions and
//                another fewer than floor(total / brokers), the most loaded broker's busiest
//                movable partition moves to the least loaded broker — at most maxMoves per round,
//                so a broker joining pulls its fair share over a few rounds, not all at once.
//
// Every change of leader gets the partition's previous leader epoch + 1 (0 for a new one): the
// epoch only grows, which is what lets clients and brokers fence a stale leader.
import type { PartitionId } from '../ipc/partition-id.js';

export interface Leadership {
  leader: number;
  epoch: number;
}

export interface AssignablePartition {
  id: PartitionId;
  /** Its data outlives its broker (remote storage): it may change broker. */
  movable: boolean;
  /** Measured bytes/s (optional): breaks count ties and orders what moves first. */
  load?: number;
}

export interface AssignmentInput {
  liveBrokers: readonly number[];
  partitions: readonly AssignablePartition[];
  current: ReadonlyMap<PartitionId, Leadership>;
  /** Balance moves per round (default 16). New and failover assignments are never capped. */
  maxMoves?: number;
}

export type ChangeReason = 'new' | 'failover' | 'balance';

export interface LeadershipChange {
  id: PartitionId;
  from: number | undefined;
  to: number;
  epoch: number;
  reason: ChangeReason;
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
  const live = [...new Set(input.liveBrokers)].sort((a, b) => a - b);
  if (live.length === 0) return [];
  const brokers = new Map<number, BrokerLoad>(live.map((nodeId) => [nodeId, { nodeId, count: 0, movable: 0, load: 0 }]));
  const partitions = [...input.partitions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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

  // Count what live brokers lead today.
  const unplaced: AssignablePartition[] = [];
  const orphaned: AssignablePartition[] = [];
  for (const p of partitions) {
    const cur = input.current.get(p.id);
    if (cur === undefined) unplaced.push(p);
    else if (brokers.has(cur.leader)) {
      const b = brokers.get(cur.leader)!;
      b.count++;
      b.load += p.load ?? 0;
      if (p.movable) b.movable++;
      leaderOf.set(p.id, cur.leader);
    } else if (p.movable) orphaned.push(p);
    // else: unmovable on a dead broker — stays, offline until it returns.
  }
  for (const p of unplaced) assign(p, leastLoaded().nodeId, 'new');
  for (const p of orphaned) assign(p, leastLoaded().nodeId, 'failover');

  // Balance movable partitions by count (load orders which one moves).
  const maxMoves = input.maxMoves ?? DEFAULT_MAX_BALANCE_MOVES;
  const total = [...brokers.values()].reduce((s, b) => s + b.count, 0);
  const ceil = Math.ceil(total / live.length);
  const floor = Math.floor(total / live.length);
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
      if (!p.movable || leaderOf.get(p.id) !== most.nodeId) continue;
      if (pick === undefined || (p.load ?? 0) > (pick.load ?? 0)) pick = p;
    }
    if (pick === undefined) break;
    assign(pick, least.nodeId, 'balance');
  }
  // One change per partition: a partition placed then balanced in the same round keeps the last.
  const last = new Map<PartitionId, LeadershipChange>();
  for (const c of changes) {
    const prev = last.get(c.id);
    last.set(c.id, prev === undefined ? c : { ...c, from: prev.from, epoch: prev.epoch, reason: prev.reason });
  }
  return [...last.values()];
}
