// Thread: main. The one place where placement decisions are made: which slot a new
// partition goes to. Today a partition is placed once, on the slot that owns the fewest
// partitions, and stays there for the life of the process; moving partitions between slots by
// measured load (elastic slots) and between brokers (the cluster) are decided here next.
import type { PlacementTable } from './placement-table.js';

export class Balancer {
  constructor(private readonly table: PlacementTable) {}

  /** Slot for a partition that is not placed yet: the least loaded, lowest index on ties. */
  slotForNewPartition(): number {
    const counts = this.table.partitionsPerSlot();
    let best = 0;
    for (let slot = 1; slot < counts.length; slot++) if (counts[slot]! < counts[best]!) best = slot;
    return best;
  }
}
