import { describe, expect, it } from 'vitest';
import { partitionId, type PartitionId } from '../../../src/ipc/partition-id.js';
import {
  MAX_MOVES_PER_DECISION,
  ScalingPolicy,
  type LoadSample,
  type ScalingDecision,
  type ScalingSettings,
} from '../../../src/partitions/scaling-policy.js';

const p = (n: number): PartitionId => partitionId('ab'.repeat(16), n);
const MB = 1e6;

const SETTINGS: ScalingSettings = {
  minSlots: 1,
  maxSlots: 4,
  scaleUpUtilization: 0.75,
  scaleDownUtilization: 0.25,
  windowMs: 10_000,
  maxSampleGapMs: 2_000,
};

/** Partitions as [partition number, slot, bytes/s]. */
type Placement = Array<[number, number, number]>;

function sample(nowMs: number, slotUtilization: number[], placement: Placement): LoadSample {
  return { nowMs, slotUtilization, partitions: placement.map(([n, slot, bytesPerSec]) => ({ id: p(n), slot, bytesPerSec })) };
}

/** Feeds one sample per second from fromMs to toMs inclusive; returns the decisions by time. */
function feed(policy: ScalingPolicy, fromMs: number, toMs: number, at: (nowMs: number) => LoadSample): Map<number, ScalingDecision> {
  const out = new Map<number, ScalingDecision>();
  for (let t = fromMs; t <= toMs; t += 1000) out.set(t, policy.observe(at(t)));
  return out;
}

/** Times at which the decision was not 'none'. */
function decidedAt(decisions: Map<number, ScalingDecision>): number[] {
  return [...decisions].filter(([, d]) => d.kind !== 'none').map(([t]) => t);
}

function movesOf(d: ScalingDecision | undefined): Array<[number, number, number]> {
  if (d === undefined || d.kind === 'none') return [];
  return d.moves.map((m) => [Number(m.partition.split(':')[1]), m.from, m.to]);
}

// One hot slot (0) with partitions of 40, 30, 20, 5 and 5 MB/s; slot 1 busy but not cool.
const TWO_SLOTS_ONE_HOT: Placement = [
  [0, 0, 40 * MB],
  [1, 0, 30 * MB],
  [2, 0, 20 * MB],
  [3, 0, 5 * MB],
  [4, 0, 5 * MB],
  [5, 1, 50 * MB],
];

describe('ScalingPolicy: the window', () => {
  it('grows only once the hot condition has held for the whole window', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.9, 0.5], TWO_SLOTS_ONE_HOT));
    expect(decidedAt(d)).toEqual([10_000]);
    const grow = d.get(10_000)!;
    expect(grow.kind).toBe('grow');
    if (grow.kind !== 'grow') return;
    expect(grow.newSlot).toBe(2);
    expect(grow.reason).toBe('slot 0 at 0.90 utilisation for 10 s; 2 of 4 slots; moving 3 partitions (50.0 MB/s) to new slot 2');
  });

  it('a sample below the threshold restarts the window', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 20_000, (t) => sample(t, [t === 5000 ? 0.74 : 0.9, 0.5], TWO_SLOTS_ONE_HOT));
    // The first window that does not contain the dip starts at 6 s.
    expect(decidedAt(d)[0]).toBe(16_000);
  });

  it('a gap in sampling restarts the window', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const at = (t: number) => sample(t, [0.9, 0.5], TWO_SLOTS_ONE_HOT);
    const before = feed(policy, 0, 5_000, at);
    // 5 s → 8 s is more than maxSampleGapMs (2 s): tracking restarts at 8 s.
    const after = feed(policy, 8_000, 20_000, at);
    expect(decidedAt(before)).toEqual([]);
    expect(decidedAt(after)[0]).toBe(18_000);
  });

  it('a change in slot count restarts the window', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 20_000, (t) =>
      t < 4_000 ? sample(t, [0.9, 0.5, 0.5], [...TWO_SLOTS_ONE_HOT, [9, 2, MB]]) : sample(t, [0.9, 0.5], TWO_SLOTS_ONE_HOT),
    );
    expect(decidedAt(d)[0]).toBe(14_000);
  });

  it('time going backwards restarts the window', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const at = (t: number) => sample(t, [0.9, 0.5], TWO_SLOTS_ONE_HOT);
    feed(policy, 100_000, 109_000, at);
    expect(decidedAt(feed(policy, 0, 10_000, at))).toEqual([10_000]);
  });

  it('needs a whole new window of samples after any decision (cool-down)', () => {
    const policy = new ScalingPolicy(SETTINGS);
    // A rebalance keeps the slot count, so only the cool-down holds the next decision back:
    // the placement is left as it was, as if the engine had not moved anything yet.
    const d = feed(policy, 0, 32_000, (t) => sample(t, [0.9, 0.1], [[0, 0, 10 * MB], [1, 0, 10 * MB], [2, 1, MB]]));
    // Decided at 10 s; the next window starts with the sample at 11 s, so it is covered at 21 s.
    expect(decidedAt(d)).toEqual([10_000, 21_000, 32_000]);
    expect(d.get(21_000)!.kind).toBe('rebalance');
  });

  it('decides on every sample with a zero window, still one decision per sample', () => {
    const policy = new ScalingPolicy({ ...SETTINGS, windowMs: 0, maxSampleGapMs: 1_000 });
    const d = feed(policy, 0, 2_000, (t) => sample(t, [0.9, 0.1], [[0, 0, 10 * MB], [1, 0, 10 * MB]]));
    expect([...d.values()].map((x) => x.kind)).toEqual(['rebalance', 'rebalance', 'rebalance']);
  });
});

describe('ScalingPolicy: hot slots', () => {
  it('moves by measured bytes, not by count: 40+5+5 of 40/30/20/5/5 MB/s balances the slots at 50/50', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const grow = feed(policy, 0, 10_000, (t) => sample(t, [0.9, 0.5], TWO_SLOTS_ONE_HOT)).get(10_000);
    expect(movesOf(grow)).toEqual([
      [0, 0, 2],
      [3, 0, 2],
      [4, 0, 2],
    ]);
  });

  it('one hot partition among nine cold ones: moves just the hot one (a count-based split would move five)', () => {
    const policy = new ScalingPolicy({ ...SETTINGS, maxSlots: 2 });
    const placement: Placement = [[0, 0, 90 * MB], ...Array.from({ length: 9 }, (_, i): [number, number, number] => [i + 1, 0, MB])];
    const grow = feed(policy, 0, 10_000, (t) => sample(t, [0.95], placement)).get(10_000);
    expect(grow?.kind).toBe('grow');
    // Moving the hot one leaves 9 vs 90 MB/s; moving the nine cold ones instead would balance
    // no better (90 vs 9) and pause nine partitions instead of one. The hot partition gets a
    // thread of its own either way; it cannot be split.
    expect(movesOf(grow)).toEqual([[0, 0, 1]]);
  });

  it('does nothing for a hot slot with a single partition', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 30_000, (t) => sample(t, [0.99, 0.5], [[0, 0, 100 * MB], [1, 1, 10 * MB], [2, 1, 10 * MB]]));
    expect(decidedAt(d)).toEqual([]);
  });

  it('does nothing when only one partition of the hot slot carries load (moving it would move the hot spot)', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 30_000, (t) => sample(t, [0.99, 0.5], [[0, 0, 100 * MB], [1, 0, 0], [2, 0, 0], [3, 1, MB], [4, 1, MB]]));
    expect(decidedAt(d)).toEqual([]);
  });

  it('does not grow at maxSlots', () => {
    const policy = new ScalingPolicy({ ...SETTINGS, maxSlots: 2 });
    const d = feed(policy, 0, 30_000, (t) => sample(t, [0.9, 0.9], [[0, 0, 10 * MB], [1, 0, 10 * MB], [2, 1, 10 * MB], [3, 1, 10 * MB]]));
    expect(decidedAt(d)).toEqual([]);
  });

  it('prefers moving to a cool slot over adding one', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const placement: Placement = [[0, 0, 30 * MB], [1, 0, 20 * MB], [2, 0, 10 * MB], [3, 1, 20 * MB], [4, 2, 5 * MB]];
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.9, 0.5, 0.1], placement)).get(10_000)!;
    expect(d.kind).toBe('rebalance');
    // 60 vs 5 MB/s: the 30 MB/s partition narrows it to 30 vs 35; nothing after it would.
    expect(movesOf(d)).toEqual([[0, 0, 2]]);
    if (d.kind === 'rebalance') {
      expect(d.reason).toBe('slot 0 at 0.90 utilisation for 10 s; cool: slot 2 at 0.10; moving 1 partition (30.0 MB/s) to slot 2');
    }
  });

  it('spreads over several cool slots, each move to the least loaded one', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const placement: Placement = [[0, 0, 30 * MB], [1, 0, 30 * MB], [2, 0, 30 * MB], [3, 1, 2 * MB], [4, 2, MB]];
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.9, 0.1, 0.1], placement)).get(10_000)!;
    expect(d.kind).toBe('rebalance');
    expect(movesOf(d)).toEqual([
      [0, 0, 2],
      [1, 0, 1],
    ]);
  });

  it('grows when no move to the cool slot would help (it already carries more bytes)', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const placement: Placement = [[0, 0, 10 * MB], [1, 0, 10 * MB], [2, 1, 100 * MB]];
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.9, 0.2], placement)).get(10_000)!;
    expect(d.kind).toBe('grow');
    expect(movesOf(d)).toEqual([[0, 0, 2]]);
  });

  it('with two hot slots, serves the hotter one first', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const placement: Placement = [[0, 0, 10 * MB], [1, 0, 10 * MB], [2, 1, 30 * MB], [3, 1, 30 * MB]];
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.8, 0.95], placement)).get(10_000)!;
    expect(d.kind).toBe('grow');
    // Slot 1 (0.95) gives 30 to the new slot; then slot 0's 20 vs 30 gains nothing.
    expect(movesOf(d)).toEqual([[2, 1, 2]]);
    if (d.kind === 'grow') expect(d.reason).toMatch(/^slot 1 at 0\.95, slot 0 at 0\.80 utilisation for 10 s; 2 of 4 slots;/);
  });

  it('uses each partition\'s mean load over the window, not its last sample', () => {
    const policy = new ScalingPolicy(SETTINGS);
    // Partition 1 carried 50 MB/s for the whole window except in the latest sample.
    const d = feed(policy, 0, 10_000, (t) =>
      sample(t, [0.9], [[0, 0, 10 * MB], [1, 0, t === 10_000 ? 0 : 50 * MB], [2, 0, 10 * MB]]),
    ).get(10_000)!;
    expect(movesOf(d)).toEqual([[1, 0, 1]]);
  });

  it(`caps one decision at ${MAX_MOVES_PER_DECISION} moves`, () => {
    const policy = new ScalingPolicy(SETTINGS);
    const placement: Placement = Array.from({ length: 40 }, (_, i): [number, number, number] => [i, 0, MB]);
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.9], placement)).get(10_000)!;
    expect(d.kind).toBe('grow');
    // Balance alone would move 19 (until 21 vs 19 MB/s): the cap stops it at 16.
    expect(movesOf(d)).toHaveLength(MAX_MOVES_PER_DECISION);
  });
});

describe('ScalingPolicy: idle slots', () => {
  // Slot 2 holds partitions of 5, 3 and 1 MB/s; slots 0 and 1 carry 4 MB/s each.
  const placement: Placement = [[0, 0, 4 * MB], [1, 1, 2 * MB], [2, 1, 2 * MB], [3, 2, 5 * MB], [4, 2, 3 * MB], [5, 2, MB]];

  it('shrinks after an idle window, retiring the highest slot and moving its partitions to the least loaded', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.1, 0.2, 0.15], placement));
    expect(decidedAt(d)).toEqual([10_000]);
    const shrink = d.get(10_000)!;
    expect(shrink.kind).toBe('shrink');
    if (shrink.kind !== 'shrink') return;
    expect(shrink.retiredSlot).toBe(2);
    // 5 → slot 0 (4 MB/s like slot 1, but one partition fewer); 3 → slot 1 (4 < 9); 1 → slot 1 (7 < 9).
    expect(movesOf(shrink)).toEqual([
      [3, 2, 0],
      [4, 2, 1],
      [5, 2, 1],
    ]);
    expect(shrink.reason).toBe(
      '3 slots at most 0.45 total utilisation for 10 s (bound 0.25 × 2); retiring slot 2; moving 3 partitions (9.0 MB/s) to slots 0, 1',
    );
  });

  it('ties go to the lower slot index', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0, 0, 0], [[0, 2, MB]])).get(10_000)!;
    expect(movesOf(d)).toEqual([[0, 2, 0]]);
  });

  it('does not shrink while the summed utilisation is above the bound at any point of the window', () => {
    const policy = new ScalingPolicy(SETTINGS);
    // 3 slots: the bound is 0.25 × 2 = 0.5; one sample sums to 0.55.
    const d = feed(policy, 0, 10_000, (t) => sample(t, t === 3_000 ? [0.3, 0.2, 0.05] : [0.1, 0.1, 0.1], placement));
    expect(decidedAt(d)).toEqual([]);
  });

  it('does not shrink below minSlots', () => {
    const policy = new ScalingPolicy({ ...SETTINGS, minSlots: 3 });
    const d = feed(policy, 0, 30_000, (t) => sample(t, [0, 0, 0], placement));
    expect(decidedAt(d)).toEqual([]);
  });

  it('drains a slot with more partitions than one decision may move, then retires it', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const crowded: Placement = Array.from({ length: 20 }, (_, i): [number, number, number] => [i, 1, 1000 + i]);
    const first = feed(policy, 0, 10_000, (t) => sample(t, [0, 0], crowded)).get(10_000)!;
    expect(first.kind).toBe('rebalance');
    expect(movesOf(first)).toHaveLength(MAX_MOVES_PER_DECISION);
    // Largest first: partitions 19 down to 4 leave; 3..0 stay for the next window.
    expect(movesOf(first).map(([n]) => n)).toEqual(Array.from({ length: 16 }, (_, i) => 19 - i));
    if (first.kind === 'rebalance') expect(first.reason).toContain('draining slot 1 before retiring it');

    const movedAway = new Set(movesOf(first).map(([n]) => n));
    const after: Placement = crowded.map(([n, slot, bytes]) => [n, movedAway.has(n) ? 0 : slot, bytes]);
    const d = feed(policy, 11_000, 21_000, (t) => sample(t, [0, 0], after));
    expect(decidedAt(d)).toEqual([21_000]);
    const second = d.get(21_000)!;
    expect(second.kind).toBe('shrink');
    expect(movesOf(second)).toEqual([3, 2, 1, 0].map((n) => [n, 1, 0]));
  });

  it('after a hot slot that no move can help, an otherwise idle broker still shrinks', () => {
    const policy = new ScalingPolicy(SETTINGS);
    // 4 slots, bound 0.75: slot 0 is hot with one partition, the rest idle.
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0.75, 0, 0, 0], [[0, 0, 100 * MB], [1, 3, MB]])).get(10_000)!;
    expect(d.kind).toBe('shrink');
    expect(movesOf(d)).toEqual([[1, 3, 1]]);
  });
});

describe('ScalingPolicy: guards and settings', () => {
  it('grows at once, without moves, below minSlots', () => {
    const policy = new ScalingPolicy({ ...SETTINGS, minSlots: 2 });
    expect(policy.observe(sample(0, [0], [[0, 0, MB]]))).toEqual({ kind: 'grow', newSlot: 1, moves: [], reason: '1 slot, below worker.threads.min 2: adding slot 1' });
  });

  it('retires at once above maxSlots', () => {
    const policy = new ScalingPolicy({ ...SETTINGS, maxSlots: 2 });
    const d = policy.observe(sample(0, [0.9, 0.9, 0.9], [[0, 0, MB], [1, 1, 2 * MB], [2, 2, MB]]));
    expect(d.kind).toBe('shrink');
    expect(movesOf(d)).toEqual([[2, 2, 0]]);
  });

  it('ignores partitions placed on a slot the sample does not have', () => {
    const policy = new ScalingPolicy(SETTINGS);
    const d = feed(policy, 0, 10_000, (t) => sample(t, [0, 0], [[0, 1, MB], [1, 7, MB], [2, -1, MB]])).get(10_000)!;
    expect(movesOf(d)).toEqual([[0, 1, 0]]);
  });

  it('rejects settings that make no sense', () => {
    expect(() => new ScalingPolicy({ ...SETTINGS, minSlots: 0 })).toThrow(/minSlots/);
    expect(() => new ScalingPolicy({ ...SETTINGS, minSlots: 3, maxSlots: 2 })).toThrow(/maxSlots/);
    expect(() => new ScalingPolicy({ ...SETTINGS, scaleDownUtilization: 0.8 })).toThrow(/scaleDownUtilization/);
    expect(() => new ScalingPolicy({ ...SETTINGS, windowMs: -1 })).toThrow(/windowMs/);
  });
});
