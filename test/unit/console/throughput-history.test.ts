// Thread: vitest test worker. src/console/throughput-history.ts: rates from counter samples.
import { describe, expect, it } from 'vitest';
import { THROUGHPUT_POINTS, ThroughputHistory } from '../../../src/console/throughput-history.js';

describe('ThroughputHistory', () => {
  it('turns counter totals into per-second rates, never negative, at most THROUGHPUT_POINTS', () => {
    let now = 1_000_000;
    const totals = { bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 };
    const h = new ThroughputHistory(() => totals, 1000, () => now);
    h.sample(); // the first sample only sets the baseline
    expect(h.points()).toEqual([]);
    now += 2000;
    Object.assign(totals, { bytesIn: 4000, recordsIn: 40, bytesOut: 1000, recordsOut: 10 });
    h.sample();
    expect(h.points()).toEqual([{ t: now, bytesInPerSec: 2000, recordsInPerSec: 20, bytesOutPerSec: 500, recordsOutPerSec: 5 }]);
    // A deleted topic takes its totals with it: the drop is charted as 0, not negative.
    now += 1000;
    Object.assign(totals, { bytesIn: 100, recordsIn: 1, bytesOut: 1000, recordsOut: 10 });
    h.sample();
    expect(h.points().at(-1)).toMatchObject({ bytesInPerSec: 0, recordsInPerSec: 0, bytesOutPerSec: 0 });
    for (let i = 0; i < THROUGHPUT_POINTS + 20; i++) {
      now += 1000;
      h.sample();
    }
    expect(h.points()).toHaveLength(THROUGHPUT_POINTS);
    expect(h.current()).toEqual(totals);
  });
});
