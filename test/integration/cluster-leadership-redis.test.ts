// Integration (real Redis at REDIS_URL or 127.0.0.1:6379, a unique key prefix per test): the
// partition-leadership store. Only the holder of the controller lease writes; a write whose
// epoch does not grow changes nothing; every broker's snapshot follows the writes.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { controllerKey } from '../../src/cluster/cluster-keys.js';
import { LeadershipStore, leadershipKey } from '../../src/cluster/leadership-store.js';
import { planAssignment } from '../../src/cluster/partition-assignment.js';
import { partitionId } from '../../src/ipc/partition-id.js';
import { waitFor } from '../helpers/broker.js';
import { redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';

const logger = pino({ level: 'silent' });
const T = 'cd'.repeat(16);
const p = (n: number) => partitionId(T, n);
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(() => redis.disconnect());

async function store(prefix: string): Promise<LeadershipStore> {
  const s = new LeadershipStore({ redis, keyPrefix: prefix, logger, pollMs: 100 });
  await s.start();
  onTestFinished(() => s.stop());
  return s;
}

/** Makes `incarnation` the controller (as ControllerLease would). */
const holdLease = (prefix: string, incarnation: string) => redis.set(controllerKey(prefix), JSON.stringify({ nodeId: 1, incarnation, epoch: 1 }), 'PX', 10_000);

describe('LeadershipStore against Redis', () => {
  it('the controller writes a plan and every broker sees it', async () => {
    const prefix = uniqueRedisPrefix();
    await holdLease(prefix, 'ctl-a');
    const writer = await store(prefix);
    const reader = await store(prefix);
    const plan = planAssignment({ liveBrokers: [1, 2], partitions: [0, 1, 2].map((i) => ({ id: p(i), movable: true })), current: writer.all() });
    await writer.write('ctl-a', plan);
    expect(writer.get(p(1))).toEqual({ leader: 2, epoch: 0 });
    await waitFor(() => reader.get(p(2))?.leader === 1, { timeoutMs: 5_000, what: 'the reader to see the plan' });
    expect([...reader.all()].sort()).toEqual([...writer.all()].sort());
  });

  it('refuses a writer that does not hold the controller lease, writing nothing', async () => {
    const prefix = uniqueRedisPrefix();
    await holdLease(prefix, 'ctl-a');
    const s = await store(prefix);
    const plan = planAssignment({ liveBrokers: [1], partitions: [{ id: p(0), movable: true }], current: new Map() });
    await expect(s.write('deposed', plan)).rejects.toMatchObject({ code: 'STRATA_ERR_NOT_CONTROLLER' });
    await redis.del(controllerKey(prefix));
    await expect(s.write('ctl-a', plan)).rejects.toMatchObject({ code: 'STRATA_ERR_NOT_CONTROLLER' });
    expect(await redis.hlen(leadershipKey(prefix))).toBe(0);
  });

  it('refuses a write whose leader epoch does not grow (a stale plan), writing none of it', async () => {
    const prefix = uniqueRedisPrefix();
    await holdLease(prefix, 'ctl-a');
    const s = await store(prefix);
    const first = planAssignment({ liveBrokers: [1, 2], partitions: [0, 1].map((i) => ({ id: p(i), movable: true })), current: new Map() });
    await s.write('ctl-a', first);
    // A plan made from an old view (no leadership yet) gives epoch 0 again: refused.
    const stale = planAssignment({ liveBrokers: [2, 1], partitions: [0, 1, 2].map((i) => ({ id: p(i), movable: true })), current: new Map() });
    await expect(s.write('ctl-a', stale)).rejects.toMatchObject({ code: 'STRATA_ERR_STALE_LEADER_EPOCH' });
    expect(await redis.hlen(leadershipKey(prefix))).toBe(2);
    // The plan from the current view (failover of broker 1's partition to 2) writes epoch 1.
    const failover = planAssignment({ liveBrokers: [2], partitions: [0, 1].map((i) => ({ id: p(i), movable: true, failover: true })), current: s.all() });
    await s.write('ctl-a', failover);
    expect(s.get(p(0))).toEqual({ leader: 2, epoch: 1 });
  });
});

describe('LeadershipStore: Redis losing its data', () => {
  it('every broker notices the loss once, even after another broker already wrote the leadership and its version back', async () => {
    const prefix = uniqueRedisPrefix();
    await holdLease(prefix, 'ctl-a');
    const first = await store(prefix);
    const second = await store(prefix);
    const plan = planAssignment({ liveBrokers: [1, 2], partitions: [0, 1].map((i) => ({ id: p(i), movable: true })), current: first.all() });
    await first.write('ctl-a', plan);
    await waitFor(() => second.get(p(1)) !== undefined || undefined, { timeoutMs: 5_000, what: 'the second store to see the plan' });
    const losses = { first: 0, second: 0 };
    first.onDataLoss(() => losses.first++);
    second.onDataLoss(() => losses.second++);
    // Redis loses every key of this prefix; the first broker writes its view back before the
    // second looks (so the second finds the version where it left it).
    stopPolling(second);
    const keys = await redis.keys(`${prefix}*`);
    await redis.del(...keys);
    await first.refresh();
    expect(losses.first).toBe(1);
    await first.refresh();
    expect(Number(await redis.get(`${prefix}cluster:leadership-version`))).toBeGreaterThan(0);
    await second.refresh();
    expect(losses).toEqual({ first: 1, second: 1 });
    // Once each: later refreshes find the incarnation each one now knows.
    await first.refresh();
    await second.refresh();
    expect(losses).toEqual({ first: 1, second: 1 });
    expect(second.get(p(1))?.epoch).toBe(0);
  });
});

/** Stops a store's own timer-driven polling, so the test decides when it refreshes. */
function stopPolling(s: LeadershipStore): void {
  clearInterval((s as unknown as { timer: NodeJS.Timeout }).timer);
}
