// Thread: main. Consumer-group state survives Redis losing its data (restart without
// persistence, FLUSHDB) as the cluster's metadata does: the broker remembers what it last
// stored for the groups it coordinates — committed offsets, group metadata, the highest
// generation handed out — and, when the cluster notices the loss (leadership-store.ts
// onDataLoss), writes it back: an offset where the partition has none or one committed earlier
// (so whichever broker writes back first — one that coordinated the group before, or the one
// coordinating it now — the newest commit wins), group metadata where absent, generations only
// raised. Without it a loss sends every consumer back to auto.offset.reset.
//
// A decorator around the shared store, so the coordinator stays as it is: what passes through
// is remembered, every group committed through this broker (the live brokers seen while Redis is
// empty are not to be trusted to say who coordinates what), bounded by MAX_REMEMBERED_OFFSETS
// (the groups committed to least recently are dropped first).
import {
  partitionField,
  type OffsetStore,
  type PartitionOffset,
  type PartitionRef,
  type StoredGroup,
} from './offset-store.js';

/** What the shared store offers for writing state back (redis-offset-store.ts). */
export interface RestorableOffsetStore extends OffsetStore {
  /** Stores each offset where its partition has none now or one committed earlier; returns how many were written. */
  restoreOffsets(groupId: string, offsets: PartitionOffset[]): Promise<number>;
  /** Stores the group's metadata if it has none now; true when written. */
  restoreGroup(groupId: string, group: StoredGroup): Promise<boolean>;
}

/** Offsets remembered across all groups at most. */
const MAX_REMEMBERED_OFFSETS = 200_000;

interface Remembered {
  offsets: Map<string, PartitionOffset>;
  group?: StoredGroup;
  generation: number;
}

export class WriteBackOffsetStore implements OffsetStore {
  private readonly remembered = new Map<string, Remembered>();
  private rememberedOffsets = 0;

  constructor(private readonly inner: RestorableOffsetStore) {}

  get kind(): string {
    return this.inner.kind;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  available(): boolean {
    return this.inner.available();
  }

  onAvailabilityChange(listener: (available: boolean) => void): void {
    this.inner.onAvailabilityChange(listener);
  }

  async commitOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void> {
    await this.inner.commitOffsets(groupId, offsets);
    const r = this.of(groupId);
    for (const o of offsets) {
      const field = partitionField(o.topic, o.partition);
      if (!r.offsets.has(field)) this.rememberedOffsets++;
      r.offsets.set(field, o);
    }
    for (const [oldest, o] of this.remembered) {
      if (this.rememberedOffsets <= MAX_REMEMBERED_OFFSETS || oldest === groupId) break;
      this.forget(oldest, o);
    }
  }

  fetchOffsets(groupId: string, partitions: PartitionRef[] | null): Promise<PartitionOffset[]> {
    return this.inner.fetchOffsets(groupId, partitions);
  }

  async deleteOffsets(groupId: string, partitions: PartitionRef[]): Promise<number> {
    const n = await this.inner.deleteOffsets(groupId, partitions);
    const r = this.remembered.get(groupId);
    for (const p of partitions) if (r?.offsets.delete(partitionField(p.topic, p.partition)) === true) this.rememberedOffsets--;
    return n;
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.inner.deleteGroup(groupId);
    const r = this.remembered.get(groupId);
    if (r !== undefined) this.forget(groupId, r);
  }

  listGroups(): Promise<string[]> {
    return this.inner.listGroups();
  }

  async saveGroup(groupId: string, group: StoredGroup): Promise<void> {
    await this.inner.saveGroup(groupId, group);
    const r = this.of(groupId);
    r.group = group;
    r.generation = Math.max(r.generation, group.generationId);
  }

  loadGroup(groupId: string): Promise<StoredGroup | null> {
    return this.inner.loadGroup(groupId);
  }

  async recordGeneration(groupId: string, generationId: number): Promise<void> {
    await this.inner.recordGeneration(groupId, generationId);
    const r = this.of(groupId);
    r.generation = Math.max(r.generation, generationId);
  }

  generationFloor(groupId: string): Promise<number> {
    return this.inner.generationFloor(groupId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Redis lost its data: writes back what this broker remembers (see the header). */
  async writeBack(): Promise<{ groups: number; offsets: number }> {
    let offsets = 0;
    for (const [groupId, r] of this.remembered) {
      if (r.offsets.size > 0) offsets += await this.inner.restoreOffsets(groupId, [...r.offsets.values()]);
      if (r.group !== undefined) await this.inner.restoreGroup(groupId, r.group);
      if (r.generation > 0) await this.inner.recordGeneration(groupId, r.generation);
    }
    return { groups: this.remembered.size, offsets };
  }

  private forget(groupId: string, r: Remembered): void {
    this.rememberedOffsets -= r.offsets.size;
    this.remembered.delete(groupId);
  }

  /** The group's entry, moved to the back (most recently used). */
  private of(groupId: string): Remembered {
    let r = this.remembered.get(groupId);
    if (r === undefined) r = { offsets: new Map(), generation: 0 };
    else this.remembered.delete(groupId);
    this.remembered.set(groupId, r);
    return r;
  }
}
