// Thread: main. Measured load of every partition, shared through Redis so the controller can
// balance by bytes as well as by count (partition-assignment.ts orders what moves by it and
// breaks count ties with it):
//   <prefix>cluster:partition-load   hash  PartitionId → bytes/s appended over the last sample
// Every broker writes, once per heartbeat, the partitions it serves (the engine samples them
// each second for its own slot balancing: PartitionEngine.sampleLoad); a partition that moved
// is overwritten by its new leader at its next report.
import type { Redis } from 'ioredis';
import type { PartitionId } from '../ipc/partition-id.js';

export function partitionLoadKey(prefix: string): string {
  return `${prefix}cluster:partition-load`;
}

export class PartitionLoads {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  /** Writes the loads of the partitions this broker serves. */
  async report(loads: ReadonlyArray<{ id: PartitionId; bytesPerSec: number }>): Promise<void> {
    if (loads.length === 0) return;
    const fields: string[] = [];
    for (const l of loads) fields.push(l.id, String(Math.round(l.bytesPerSec)));
    await this.redis.hset(partitionLoadKey(this.keyPrefix), ...fields);
  }

  async loads(): Promise<Map<PartitionId, number>> {
    const raw = await this.redis.hgetall(partitionLoadKey(this.keyPrefix));
    const out = new Map<PartitionId, number>();
    for (const [id, v] of Object.entries(raw)) if (Number.isFinite(Number(v))) out.set(id as PartitionId, Number(v));
    return out;
  }
}
