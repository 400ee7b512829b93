// Thread: main. Where a new partition is placed: on the slot that owns the fewest partitions,
// never on a slot being retired. Moving placed partitions by measured load (grow, shrink,
// rebalance) is decided by the scaling policy (scaling-policy.ts) and carried out by the
// elastic-slot controller (elastic-slots.ts) through the engine's moves.
import type { PlacementTable } from './placement-table.js';

export class Balancer {
  /** A slot being emptied to be retired: new partitions go elsewhere. */
  retiringSlot: number | undefined;

  constructor(private readonly table: PlacementTable) {}

  /** Slot for a partition that is not placed yet: the least loaded, lowest index on ties. */
  slotForNewPartition(): number {
    const counts = this.table.partitionsPerSlot();
    let best = -1;
    for (let slot = 0; slot < counts.length; slot++) {
      if (slot === this.retiringSlot) continue;
      if (best === -1 || counts[slot]! < counts[best]!) best = slot;
    }
    return Math.max(best, 0);
  }
}
