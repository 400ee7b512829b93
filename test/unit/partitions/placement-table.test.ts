import { describe, expect, it } from 'vitest';
import { partitionId } from '../../../src/ipc/partition-id.js';
import { PlacementTable } from '../../../src/partitions/placement-table.js';
import { Balancer } from '../../../src/partitions/balancer.js';

const p = (n: number) => partitionId('ab'.repeat(16), n);

describe('PlacementTable', () => {
  it('answers the owner of each placed partition and counts partitions per slot', () => {
    const table = new PlacementTable(3);
    table.assign(p(0), 0);
    table.assign(p(1), 2);
    table.assign(p(2), 2);
    expect(table.lookup(p(1))).toBe(2);
    expect(table.lookup(p(9))).toBeUndefined();
    expect(table.partitionsPerSlot()).toEqual([1, 0, 2]);
  });

  it('moves a partition on reassignment and forgets it on removal', () => {
    const table = new PlacementTable(2);
    table.assign(p(0), 0);
    table.assign(p(0), 1);
    expect(table.partitionsPerSlot()).toEqual([0, 1]);
    table.assign(p(0), 1);
    expect(table.partitionsPerSlot()).toEqual([0, 1]);
    table.remove(p(0));
    table.remove(p(0));
    expect(table.lookup(p(0))).toBeUndefined();
    expect(table.partitionsPerSlot()).toEqual([0, 0]);
  });

  it('refuses a slot that does not exist', () => {
    const table = new PlacementTable(2);
    expect(() => table.assign(p(0), 2)).toThrow(RangeError);
    expect(() => table.assign(p(0), -1)).toThrow(RangeError);
    expect(table.lookup(p(0))).toBeUndefined();
  });
});

describe('Balancer', () => {
  it('places new partitions on the least loaded slot, lowest index on ties', () => {
    const table = new PlacementTable(3);
    const balancer = new Balancer(table);
    const placed = Array.from({ length: 7 }, (_, i) => {
      const slot = balancer.slotForNewPartition();
      table.assign(p(i), slot);
      return slot;
    });
    expect(placed).toEqual([0, 1, 2, 0, 1, 2, 0]);
    table.remove(p(1));
    table.remove(p(4));
    expect(balancer.slotForNewPartition()).toBe(1);
  });
});
