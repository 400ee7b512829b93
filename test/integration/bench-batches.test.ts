// Thread: vitest test worker. The benchmark suite's batch walker, which counts the records a
// fetch returned: bench/lib/batches.mjs imports the built record codec from dist/, so this runs
// in the integration project (its globalSetup builds dist when stale). A miscount here would
// make the published consume figures lie.
import { describe, expect, it } from 'vitest';

const load = (p: string) => import(new URL(`../../bench/${p}`, import.meta.url).href);

describe('fetched-record counting', () => {
  it('counts records at or after the fetch offset and flags gaps between batches', async () => {
    const { buildBatch, walkBatches } = await load('lib/batches.mjs');
    const a: Buffer = Buffer.from(buildBatch({ count: 10 }).batch);
    const b: Buffer = Buffer.from(buildBatch({ count: 5 }).batch);
    b.writeBigInt64BE(10n, 0); // second batch: offsets 10..14
    const dense = walkBatches(Buffer.concat([a, b]), 3);
    expect([dense.records, dense.batches, dense.nextOffset, dense.discontinuities]).toEqual([12, 2, 15, 0]);
    b.writeBigInt64BE(12n, 0); // offsets 12..16: a gap after 9
    const gap = walkBatches(Buffer.concat([a, b]), 0);
    expect(gap.discontinuities).toBe(1);
    // A trailing partial batch is ignored, as clients do.
    const partial = walkBatches(Buffer.concat([a, b.subarray(0, 30)]), 0);
    expect([partial.records, partial.nextOffset]).toEqual([10, 10]);
  });
});
