// The controller's leadership decisions on synthetic clusters: exact outcomes (the planner is
// deterministic), epochs that only grow, unmovable partitions that never change broker.
import { describe, expect, it } from 'vitest';
import { partitionId, type PartitionId } from '../../../src/ipc/partition-id.js';
import { planAssignment, type AssignablePartition, type Leadership, type LeadershipChange } from '../../../src/cluster/partition-assignment.js';

const T = 'ab'.repeat(16);
const p = (n: number) => partitionId(T, n);
const parts = (n: number, movable = true): AssignablePartition[] => Array.from({ length: n }, (_, i) => ({ id: p(i), movable }));
/** Applies changes to a leadership map (what the controller then writes). */
function apply(current: Map<PartitionId, Leadership>, changes: LeadershipChange[]): Map<PartitionId, Leadership> {
  const next = new Map(current);
  for (const c of changes) next.set(c.id, { leader: c.to, epoch: c.epoch });
  return next;
}
const counts = (m: Map<PartitionId, Leadership>) => {
  const out: Record<number, number> = {};
  for (const l of m.values()) out[l.leader] = (out[l.leader] ?? 0) + 1;
  return out;
};

describe('planAssignment', () => {
  it('places new partitions round the live brokers, fewest first, epoch 0', () => {
    const changes = planAssignment({ liveBrokers: [3, 1, 2], partitions: parts(6), current: new Map() });
    expect(changes.map((c) => [c.id, c.to, c.epoch, c.reason])).toEqual([
      [p(0), 1, 0, 'new'], [p(1), 2, 0, 'new'], [p(2), 3, 0, 'new'], [p(3), 1, 0, 'new'], [p(4), 2, 0, 'new'], [p(5), 3, 0, 'new'],
    ]);
  });

  it('changes nothing when every partition has a live leader and the spread is fair', () => {
    const current = apply(new Map(), planAssignment({ liveBrokers: [1, 2], partitions: parts(5), current: new Map() }));
    expect(planAssignment({ liveBrokers: [1, 2], partitions: parts(5), current })).toEqual([]);
  });

  it('a broker joining pulls a fair share of movable partitions, capped per round, epochs + 1', () => {
    let current = apply(new Map(), planAssignment({ liveBrokers: [1], partitions: parts(12), current: new Map() }));
    const round1 = planAssignment({ liveBrokers: [1, 2, 3], partitions: parts(12), current, maxMoves: 5 });
    expect(round1).toHaveLength(5);
    expect(round1.every((c) => c.reason === 'balance' && c.from === 1 && c.epoch === 1)).toBe(true);
    current = apply(current, round1);
    const round2 = planAssignment({ liveBrokers: [1, 2, 3], partitions: parts(12), current, maxMoves: 5 });
    current = apply(current, round2);
    expect(counts(current)).toEqual({ 1: 4, 2: 4, 3: 4 });
    expect(planAssignment({ liveBrokers: [1, 2, 3], partitions: parts(12), current })).toEqual([]);
  });

  it('fails the partitions whose data survives their leader over to the least-loaded live brokers with a higher epoch', () => {
    const current = new Map<PartitionId, Leadership>([
      [p(0), { leader: 1, epoch: 4 }], [p(1), { leader: 2, epoch: 0 }], [p(2), { leader: 1, epoch: 7 }], [p(3), { leader: 3, epoch: 2 }],
    ]);
    const partitions = parts(4).map((x) => ({ ...x, failover: true }));
    const changes = planAssignment({ liveBrokers: [2, 3], partitions, current });
    expect(changes.map((c) => [c.id, c.from, c.to, c.epoch, c.reason])).toEqual([
      [p(0), 1, 2, 5, 'failover'],
      [p(2), 1, 3, 8, 'failover'],
    ]);
    // Movable through the bucket is not enough: without failover they wait for their broker.
    expect(planAssignment({ liveBrokers: [2, 3], partitions: parts(4), current })).toEqual([]);
  });

  it('never moves an unmovable partition (local-only data): it stays on its dead broker and is not balanced away', () => {
    const current = new Map<PartitionId, Leadership>([[p(0), { leader: 1, epoch: 0 }], [p(1), { leader: 1, epoch: 0 }], [p(2), { leader: 1, epoch: 0 }]]);
    expect(planAssignment({ liveBrokers: [2], partitions: parts(3, false), current })).toEqual([]);
    expect(planAssignment({ liveBrokers: [1, 2, 3], partitions: parts(3, false), current })).toEqual([]);
    // A new unmovable partition still goes to the least-loaded live broker.
    const added = planAssignment({ liveBrokers: [1, 2], partitions: [...parts(3, false), { id: p(3), movable: false }], current });
    expect(added.map((c) => [c.id, c.to, c.reason])).toEqual([[p(3), 2, 'new']]);
  });

  it('moves the busiest movable partition first when loads are known', () => {
    const current = new Map<PartitionId, Leadership>([0, 1, 2, 3].map((i) => [p(i), { leader: 1, epoch: 0 }]));
    const partitions = [5, 90, 10, 40].map((load, i) => ({ id: p(i), movable: true, load }));
    const changes = planAssignment({ liveBrokers: [1, 2], partitions, current, maxMoves: 1 });
    expect(changes.map((c) => [c.id, c.to])).toEqual([[p(1), 2]]);
  });

  it('drains a stopping broker: its movable partitions go to the least-loaded targets, its unmovable ones stay', () => {
    const current = new Map<PartitionId, Leadership>([
      [p(0), { leader: 1, epoch: 2 }], [p(1), { leader: 2, epoch: 0 }], [p(2), { leader: 1, epoch: 0 }], [p(3), { leader: 3, epoch: 1 }], [p(4), { leader: 1, epoch: 0 }],
    ]);
    const partitions = [...parts(4), { id: p(4), movable: false }];
    const changes = planAssignment({ liveBrokers: [1, 2, 3], draining: [1], partitions, current });
    expect(changes.map((c) => [c.id, c.from, c.to, c.epoch, c.reason])).toEqual([
      [p(0), 1, 2, 3, 'drain'],
      [p(2), 1, 3, 1, 'drain'],
    ]);
    // Nothing is placed on a draining broker, even a new partition.
    const added = planAssignment({ liveBrokers: [1, 2], draining: [1], partitions: [{ id: p(9), movable: true }], current: new Map() });
    expect(added.map((c) => [c.id, c.to])).toEqual([[p(9), 2]]);
    // Every broker draining (the whole cluster stopping): nothing moves.
    expect(planAssignment({ liveBrokers: [1, 2, 3], draining: [1, 2, 3], partitions, current })).toEqual([]);
  });

  it('a partition with a handoff under way (not movable now) is neither drained nor balanced', () => {
    const current = new Map<PartitionId, Leadership>([0, 1, 2, 3].map((i) => [p(i), { leader: 1, epoch: 1 }]));
    const partitions = parts(4).map((x) => ({ ...x, movable: false }));
    expect(planAssignment({ liveBrokers: [1, 2], draining: [1], partitions, current })).toEqual([]);
    expect(planAssignment({ liveBrokers: [1, 2], partitions, current })).toEqual([]);
  });

  it('follows reassignment requests to live targets and never balances a pinned partition away', () => {
    const current = new Map<PartitionId, Leadership>([[p(0), { leader: 1, epoch: 0 }], [p(1), { leader: 1, epoch: 0 }], [p(2), { leader: 2, epoch: 4 }]]);
    const requested = new Map<PartitionId, number>([[p(0), 3], [p(2), 2], [p(1), 9]]);
    const changes = planAssignment({ liveBrokers: [1, 2, 3], partitions: parts(3), current, requested });
    // p(1)'s target 9 is not live: ignored. p(2) is already where asked.
    expect(changes.map((c) => [c.id, c.from, c.to, c.epoch, c.reason])).toEqual([[p(0), 1, 3, 1, 'reassign']]);
    // All on broker 1 and pinned there: balancing leaves them.
    const pinnedAll = new Map<PartitionId, number>([0, 1, 2, 3].map((i) => [p(i), 1]));
    const onOne = new Map<PartitionId, Leadership>([0, 1, 2, 3].map((i) => [p(i), { leader: 1, epoch: 0 }]));
    expect(planAssignment({ liveBrokers: [1, 2], partitions: parts(4), current: onOne, requested: pinnedAll })).toEqual([]);
    // A requested leader of a brand-new partition is honoured when it is a target.
    expect(planAssignment({ liveBrokers: [1, 2], partitions: [{ id: p(7), movable: true }], current: new Map(), requested: new Map([[p(7), 2]])})[0]).toMatchObject({ to: 2, reason: 'new' });
  });

  it('answers nothing without live brokers', () => {
    expect(planAssignment({ liveBrokers: [], partitions: parts(2), current: new Map() })).toEqual([]);
  });
});
