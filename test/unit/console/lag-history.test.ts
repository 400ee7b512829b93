// Thread: vitest test worker. src/console/lag-history.ts: only viewed groups are sampled, bounded.
import { describe, expect, it } from 'vitest';
import { LAG_POINTS, LagHistory, type LagPoint } from '../../../src/console/lag-history.js';

const point = (t: number, lag: number): LagPoint => ({ t, lag, topics: { a: lag } });

describe('LagHistory', () => {
  it('samples the groups viewed, forgets those not viewed for watchMs, and keeps at most maxGroups', async () => {
    let now = 0;
    const measured: string[] = [];
    const h = new LagHistory(
      async (g) => {
        measured.push(g);
        return point(now, g.length);
      },
      { watchMs: 1000, maxGroups: 2, now: () => now },
    );
    expect(h.viewed('g1', point(0, 5))).toEqual([point(0, 5)]);
    now = 10;
    h.viewed('g22', undefined);
    await h.sampleAll();
    expect(measured.sort()).toEqual(['g1', 'g22']);
    expect(h.history('g1').map((p) => p.lag)).toEqual([5, 2]);
    expect(h.history('g22').map((p) => p.lag)).toEqual([3]);

    // A third group evicts the least recently viewed one.
    now = 20;
    h.viewed('g22', undefined);
    h.viewed('g333', undefined);
    expect(h.watchedCount).toBe(2);
    expect(h.history('g1')).toEqual([]);

    // Not viewed for more than watchMs: no longer sampled.
    now = 1_500;
    h.viewed('g333', undefined);
    measured.length = 0;
    await h.sampleAll();
    expect(measured).toEqual(['g333']);
    expect(h.history('g22')).toEqual([]);
  });

  it('keeps LAG_POINTS samples per group; a failing measurement records nothing', async () => {
    let fail = false;
    const h = new LagHistory(async () => {
      if (fail) throw new Error('coordinator moved');
      return point(1, 1);
    });
    h.viewed('g', undefined);
    for (let i = 0; i < LAG_POINTS + 5; i++) await h.sampleAll();
    expect(h.history('g')).toHaveLength(LAG_POINTS);
    fail = true;
    await h.sampleAll();
    expect(h.history('g')).toHaveLength(LAG_POINTS);
  });
});
