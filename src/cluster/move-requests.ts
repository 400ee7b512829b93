// Thread: main. What operators and stopping brokers ask of the controller, in Redis:
//   <prefix>cluster:reassignments   hash  PartitionId → requested leader node id
//                                         (AlterPartitionReassignments, `strata cluster move`)
//   <prefix>cluster:draining        set   node ids of brokers handing their partitions over
//                                         before they stop (controlled shutdown on SIGTERM)
// Any broker writes them; only the controller acts on them (partition-assignment.ts). A
// requested leader stays as the partition's pin (balancing never moves it away) until the
// request is cancelled or the topic deleted.
import type { Redis } from 'ioredis';
import type { PartitionId } from '../ipc/partition-id.js';
import { movesChannel } from './handoff-store.js';

export function reassignmentsKey(prefix: string): string {
  return `${prefix}cluster:reassignments`;
}
export function drainingKey(prefix: string): string {
  return `${prefix}cluster:draining`;
}

export class MoveRequests {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async requestLeader(id: PartitionId, nodeId: number): Promise<void> {
    await this.redis.hset(reassignmentsKey(this.keyPrefix), id, String(nodeId));
    await this.notify();
  }

  /** True when a request existed. */
  async cancel(id: PartitionId): Promise<boolean> {
    const existed = (await this.redis.hdel(reassignmentsKey(this.keyPrefix), id)) > 0;
    await this.notify();
    return existed;
  }

  async requestedLeaders(): Promise<Map<PartitionId, number>> {
    const raw = await this.redis.hgetall(reassignmentsKey(this.keyPrefix));
    const out = new Map<PartitionId, number>();
    for (const [id, node] of Object.entries(raw)) if (Number.isInteger(Number(node))) out.set(id as PartitionId, Number(node));
    return out;
  }

  async setDraining(nodeId: number, draining: boolean): Promise<void> {
    if (draining) await this.redis.sadd(drainingKey(this.keyPrefix), String(nodeId));
    else await this.redis.srem(drainingKey(this.keyPrefix), String(nodeId));
    await this.notify();
  }

  /** Wakes the controller (every broker's placement listens on the moves channel). */
  private async notify(): Promise<void> {
    await this.redis.publish(movesChannel(this.keyPrefix), '*').catch(() => undefined);
  }

  async draining(): Promise<number[]> {
    return (await this.redis.smembers(drainingKey(this.keyPrefix))).map(Number).filter(Number.isInteger);
  }
}
