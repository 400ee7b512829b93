// Thread: main. Per open partition: the operations routed to its slot that have not settled yet
// (a move waits for them before it closes the partition on its old slot), and the bytes its
// slot appended and read for it (the measured load the elastic-slot balancer spreads). Reads
// answered from the router's tail cache never reach a slot and are not counted.
import type { PartitionId } from '../ipc/partition-id.js';

interface Entry {
  inflight: number;
  bytes: number;
  /** Resolvers of drained() calls waiting for inflight to reach 0. */
  drainWaiters: Array<() => void> | undefined;
}

export class PartitionTraffic {
  private readonly entries = new Map<PartitionId, Entry>();
  private lastSampleMs: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastSampleMs = now();
  }

  /** Starts counting for a partition (idempotent). */
  track(id: PartitionId): void {
    if (!this.entries.has(id)) this.entries.set(id, { inflight: 0, bytes: 0, drainWaiters: undefined });
  }

  /** The partition is gone: forget it, releasing anyone waiting for it to drain. */
  forget(id: PartitionId): void {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (entry?.drainWaiters) for (const wake of entry.drainWaiters) wake();
  }

  /** Operations on these partitions were routed to their slots. */
  enter(items: ReadonlyArray<{ key: PartitionId }>): void {
    for (let i = 0; i < items.length; i++) {
      const entry = this.entries.get(items[i]!.key);
      if (entry !== undefined) entry.inflight++;
    }
  }

  /** Appends routed to their slots: in flight, and their record bytes counted as load. */
  enterAppends(items: ReadonlyArray<{ key: PartitionId; records: { length: number } }>): void {
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const entry = this.entries.get(item.key);
      if (entry === undefined) continue;
      entry.inflight++;
      entry.bytes += item.records.length;
    }
  }

  /** Those operations settled. */
  leave(items: ReadonlyArray<{ key: PartitionId }>): void {
    for (let i = 0; i < items.length; i++) {
      const entry = this.entries.get(items[i]!.key);
      if (entry === undefined || entry.inflight === 0) continue;
      if (--entry.inflight === 0 && entry.drainWaiters !== undefined) {
        const waiters = entry.drainWaiters;
        entry.drainWaiters = undefined;
        for (const wake of waiters) wake();
      }
    }
  }

  /** Counts bytes read for the partition by its slot. */
  addBytes(id: PartitionId, bytes: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) entry.bytes += bytes;
  }

  inflight(id: PartitionId): number {
    return this.entries.get(id)?.inflight ?? 0;
  }

  /** Resolves once no operation on the partition is in flight (at once when none is). */
  drained(id: PartitionId): Promise<void> {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (entry.drainWaiters ??= []).push(resolve));
  }

  /** Bytes per second of each partition since the previous sample; starts the next interval. */
  sampleLoad(): Map<PartitionId, number> {
    const now = this.now();
    const seconds = Math.max(0.001, (now - this.lastSampleMs) / 1000);
    this.lastSampleMs = now;
    const load = new Map<PartitionId, number>();
    for (const [id, entry] of this.entries) {
      load.set(id, entry.bytes / seconds);
      entry.bytes = 0;
    }
    return load;
  }
}
