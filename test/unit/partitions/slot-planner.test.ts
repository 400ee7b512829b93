import { describe, expect, it } from 'vitest';
import { partitionId, type PartitionId } from '../../../src/ipc/partition-id.js';
import { planBySlot, runPlanned } from '../../../src/partitions/slot-planner.js';

const p = (n: number) => partitionId('cd'.repeat(16), n);
const owner = (id: PartitionId) => Number(id.split(':')[1]) % 2;

describe('slot planner', () => {
  it('groups item indexes by owning slot, each group in request order', () => {
    const items = [p(0), p(1), p(2), p(3), p(4)].map((key) => ({ key }));
    expect([...planBySlot(items, owner)]).toEqual([
      [0, [0, 2, 4]],
      [1, [1, 3]],
    ]);
  });

  it('restores request order whatever order the slots answer in', async () => {
    const items = [p(0), p(1), p(2), p(3)].map((key, i) => ({ key, i }));
    const order: number[] = [];
    const results = await runPlanned(items, owner, async (slot, slotItems) => {
      // Slot 0 answers last.
      if (slot === 0) await new Promise((r) => setImmediate(r));
      order.push(slot);
      return slotItems.map((item) => `${slot}:${item.i}`);
    });
    expect(order).toEqual([1, 0]);
    expect(results).toEqual(['0:0', '1:1', '0:2', '1:3']);
  });

  it('fails when a slot answers a different number of results than items', async () => {
    const items = [{ key: p(0) }];
    await expect(runPlanned(items, owner, async () => [])).rejects.toThrow(/0 results for 1 items/);
  });

  it('propagates the owner lookup failure for an unplaced partition', async () => {
    await expect(runPlanned([{ key: p(0) }], () => { throw new Error('not open'); }, async () => [])).rejects.toThrow('not open');
  });
});
