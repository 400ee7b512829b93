// Thread: main. Which worker slot owns each open partition: a lookup table and nothing more
// (as Redpanda's shard_table). Decisions about where a partition goes are made by the
// balancer (balancer.ts); this table only records them and answers "who owns X" in O(1).
import type { PartitionId } from '../ipc/partition-id.js';

export class PlacementTable {
  private readonly slotOf = new Map<PartitionId, number>();
  private readonly counts: number[];

  constructor(slotCount: number) {
    this.counts = new Array<number>(slotCount).fill(0);
  }

  get slotCount(): number {
    return this.counts.length;
  }

  /** The owning slot, or undefined when the partition is not placed. */
  lookup(id: PartitionId): number | undefined {
    return this.slotOf.get(id);
  }

  /** A new slot, numbered slotCount, owning nothing yet. */
  addSlot(): number {
    this.counts.push(0);
    return this.counts.length - 1;
  }

  /** Drops the last slot; it must own no partition (the engine moved them first). */
  removeLastSlot(): void {
    const last = this.counts.length - 1;
    if (last === 0) throw new RangeError('the last slot cannot be removed');
    if (this.counts[last] !== 0) throw new Error(`slot ${last} still owns ${this.counts[last]} partitions`);
    this.counts.pop();
  }

  /** Partitions the slot owns. */
  partitionsOf(slot: number): PartitionId[] {
    const out: PartitionId[] = [];
    for (const [id, s] of this.slotOf) if (s === slot) out.push(id);
    return out;
  }

  /** Records that `slot` owns the partition (replacing any earlier owner). */
  assign(id: PartitionId, slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.counts.length) throw new RangeError(`slot ${slot} outside [0, ${this.counts.length})`);
    const previous = this.slotOf.get(id);
    if (previous === slot) return;
    if (previous !== undefined) this.counts[previous]!--;
    this.slotOf.set(id, slot);
    this.counts[slot]!++;
  }

  /** Forgets the partition (deleted topic); unknown ids are ignored. */
  remove(id: PartitionId): void {
    const previous = this.slotOf.get(id);
    if (previous === undefined) return;
    this.counts[previous]!--;
    this.slotOf.delete(id);
  }

  /** Number of partitions each slot owns, indexed by slot. */
  partitionsPerSlot(): number[] {
    return [...this.counts];
  }

  entries(): IterableIterator<[PartitionId, number]> {
    return this.slotOf.entries();
  }
}
