import { describe, expect, it } from 'vitest';
import { coordinatorFor, fnv1a } from '../../../src/cluster/group-placement.js';

describe('coordinatorFor', () => {
  it('is the same for any order of the same live brokers, and undefined without brokers', () => {
    for (const g of ['orders', 'billing', 'g-1', '']) expect(coordinatorFor(g, [3, 1, 2])).toBe(coordinatorFor(g, [1, 2, 3]));
    expect(coordinatorFor('x', [])).toBeUndefined();
  });

  it('spreads many groups over every broker, roughly evenly', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const id = coordinatorFor(`group-${i}`, [1, 2, 3])!;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3]);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });

  it('uses 32-bit FNV-1a (fixed values, so every broker version agrees)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });
});
