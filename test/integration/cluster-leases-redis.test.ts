// Integration (real Redis at REDIS_URL or 127.0.0.1:6379, a unique key prefix per test): the
// compare-and-set logic of cluster membership (src/cluster) without broker processes.
// - BrokerRegistry: SET NX refuses a live node id; the Lua heartbeat refreshes only its own
//   incarnation's key, re-registers a lost key when the id is free, never touches another's;
//   deregister deletes only its own; the SCAN view lists live brokers, skips malformed values,
//   drops expired ones, fires onChange; a prefix with glob characters matches only itself.
// - ControllerLease: one holder; compare-and-renew; a free lease is taken with the next epoch;
//   a lapsed lease passes to another broker with a higher epoch; the epoch never goes back
//   even when Redis loses the counter; release hands over at once.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BrokerRegistry } from '../../src/cluster/broker-registry.js';
import { brokerKey, controllerEpochKey, controllerKey } from '../../src/cluster/cluster-keys.js';
import { ControllerLease } from '../../src/cluster/controller-lease.js';
import { waitFor } from '../helpers/broker.js';
import { redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';

const logger = pino({ level: 'silent' });
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(() => redis.disconnect());

function registry(prefix: string, nodeId: number, sessionTimeoutMs = 5_000, port = 9000 + nodeId, heartbeatIntervalMs = 100): BrokerRegistry {
  return new BrokerRegistry({ redis, keyPrefix: prefix, self: { nodeId, host: '127.0.0.1', port, rack: 'r1' }, sessionTimeoutMs, heartbeatIntervalMs, logger });
}

function lease(prefix: string, nodeId: number, incarnation: string, leaseMs = 5_000): ControllerLease {
  return new ControllerLease({ redis, keyPrefix: prefix, nodeId, incarnation, leaseMs, logger });
}

describe('BrokerRegistry against Redis', () => {
  it('registers with a TTL and refuses a second live broker with the same node id, naming the holder', async () => {
    const prefix = uniqueRedisPrefix();
    const a = registry(prefix, 1);
    await a.register();
    // a is alive: it heartbeats (every 100 ms) while b watches the id.
    const beating = setInterval(() => void a.heartbeat(), 100);
    onTestFinished(() => clearInterval(beating));
    const stored = JSON.parse((await redis.get(brokerKey(prefix, 1)))!) as Record<string, unknown>;
    expect(stored).toMatchObject({ nodeId: 1, host: '127.0.0.1', port: 9001, rack: 'r1', incarnation: a.incarnation });
    const ttl = await redis.pttl(brokerKey(prefix, 1));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);

    const b = registry(prefix, 1, 5_000, 9999);
    const err = await b.register().then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('STRATA_ERR_NODE_ID_IN_USE');
    expect(err?.message).toContain('node.id 1 is already registered');
    expect(err?.message).toContain('127.0.0.1:9001');
    expect(err?.message).toContain(a.incarnation);
    // The refused broker changed nothing.
    expect(JSON.parse((await redis.get(brokerKey(prefix, 1)))!)).toMatchObject({ incarnation: a.incarnation, port: 9001 });
  });

  it('takes over the node id of a dead registration (a broker killed and restarted at once) once it expires', async () => {
    const prefix = uniqueRedisPrefix();
    const dead = registry(prefix, 5, 600);
    await dead.register(); // and never heartbeats again
    const restarted = registry(prefix, 5, 600, 9555);
    await restarted.register();
    expect(JSON.parse((await redis.get(brokerKey(prefix, 5)))!)).toMatchObject({ incarnation: restarted.incarnation, port: 9555 });
    expect(restarted.registered).toBe(true);
  });

  it('refuses a key without expiry (never a broker registration) rather than wait for ever', async () => {
    const prefix = uniqueRedisPrefix();
    await redis.set(brokerKey(prefix, 6), JSON.stringify({ nodeId: 6, host: 'h', port: 1, startedAtMs: 0, incarnation: 'x' }));
    await expect(registry(prefix, 6).register()).rejects.toMatchObject({ code: 'STRATA_ERR_NODE_ID_IN_USE' });
  });

  it('heartbeat refreshes only its own registration and never takes over a live id', async () => {
    const prefix = uniqueRedisPrefix();
    const a = registry(prefix, 1);
    await a.register();
    await redis.pexpire(brokerKey(prefix, 1), 1_000);
    expect(await a.heartbeat()).toBe('registered');
    expect(await redis.pttl(brokerKey(prefix, 1))).toBeGreaterThan(1_000);

    // Another process with the same node id (its own registration lost while a registered).
    const zombie = registry(prefix, 1, 5_000, 9999);
    await redis.pexpire(brokerKey(prefix, 1), 3_000);
    expect(await zombie.heartbeat()).toBe('id-taken');
    expect(zombie.registered).toBe(false);
    const after = await redis.get(brokerKey(prefix, 1));
    expect(JSON.parse(after!)).toMatchObject({ incarnation: a.incarnation, port: 9001 });
    expect(await redis.pttl(brokerKey(prefix, 1))).toBeLessThanOrEqual(3_000); // not refreshed by the zombie
    expect(await zombie.deregister()).toBe(false);
    expect(await redis.exists(brokerKey(prefix, 1))).toBe(1);
  });

  it('re-registers a lost registration (Redis flushed) when the id is free', async () => {
    const prefix = uniqueRedisPrefix();
    const a = registry(prefix, 4);
    await a.register();
    await redis.del(brokerKey(prefix, 4));
    expect(await a.heartbeat()).toBe('re-registered');
    expect(a.registered).toBe(true);
    expect(JSON.parse((await redis.get(brokerKey(prefix, 4)))!)).toMatchObject({ incarnation: a.incarnation });
    expect(await redis.pttl(brokerKey(prefix, 4))).toBeGreaterThan(0);
    expect(await a.heartbeat()).toBe('registered');
  });

  it('deregister deletes its own registration', async () => {
    const prefix = uniqueRedisPrefix();
    const a = registry(prefix, 2);
    await a.register();
    expect(await a.deregister()).toBe(true);
    expect(await redis.exists(brokerKey(prefix, 2))).toBe(0);
  });

  it('lists live brokers by node id, skips malformed values, drops expired ones and reports changes', async () => {
    const prefix = uniqueRedisPrefix();
    const [a, b, c] = [registry(prefix, 3), registry(prefix, 1), registry(prefix, 2, 400)];
    const changes: number[][] = [];
    a.onChange((brokers) => changes.push(brokers.map((x) => x.nodeId)));
    await a.register();
    await b.register();
    await c.register();
    await redis.set(brokerKey(prefix, 77), 'not json');
    await redis.set(`${prefix}cluster:broker:78`, JSON.stringify({ nodeId: 78 }));
    expect((await a.refreshView()).map((x) => x.nodeId)).toEqual([1, 2, 3]);
    expect(a.liveBrokers().map((x) => `${x.nodeId}:${x.port}`)).toEqual(['1:9001', '2:9002', '3:9003']);
    // c stops heartbeating: its key expires after its 400 ms session, and a's view drops it.
    await waitFor(async () => (await a.heartbeat()) === 'registered' && a.liveBrokers().length === 2, { timeoutMs: 5_000, what: 'broker 2 to expire' });
    expect(a.liveBrokers().map((x) => x.nodeId)).toEqual([1, 3]);
    await b.deregister();
    await a.heartbeat();
    expect(a.liveBrokers().map((x) => x.nodeId)).toEqual([3]);
    expect(changes).toEqual([[3], [1, 2, 3], [1, 3], [3]]);
  });

  it('a prefix with glob characters sees only its own brokers', async () => {
    const base = uniqueRedisPrefix();
    const globby = `${base}a*[b]?:`;
    const other = `${base}aXbY:`;
    const mine = registry(globby, 1);
    const theirs = registry(other, 2);
    await mine.register();
    await theirs.register();
    expect((await mine.refreshView()).map((x) => x.nodeId)).toEqual([1]);
    expect((await theirs.refreshView()).map((x) => x.nodeId)).toEqual([2]);
  });
});

describe('ControllerLease against Redis', () => {
  it('one broker takes the lease; the others see it; renew keeps it; release hands it over with a higher epoch', async () => {
    const prefix = uniqueRedisPrefix();
    const a = lease(prefix, 1, 'inc-a');
    const b = lease(prefix, 2, 'inc-b');
    const seen: string[] = [];
    b.onChange((s) => seen.push(`${s.controllerId}/${s.epoch}/${s.isController}`));
    const first = await a.tick(true);
    expect(first).toEqual({ controllerId: 1, epoch: 1, isController: true });
    expect(await b.tick(true)).toEqual({ controllerId: 1, epoch: 1, isController: false });
    expect(JSON.parse((await redis.get(controllerKey(prefix)))!)).toEqual({ nodeId: 1, incarnation: 'inc-a', epoch: 1 });

    await redis.pexpire(controllerKey(prefix), 1_000);
    expect(await a.tick(true)).toEqual({ controllerId: 1, epoch: 1, isController: true });
    expect(await redis.pttl(controllerKey(prefix))).toBeGreaterThan(1_000); // renewed
    await redis.pexpire(controllerKey(prefix), 1_000);
    await b.tick(true); // b's round must not renew a's lease
    expect(await redis.pttl(controllerKey(prefix))).toBeLessThanOrEqual(1_000);

    expect(await a.release()).toBe(true);
    expect(await redis.exists(controllerKey(prefix))).toBe(0);
    expect(a.state()).toEqual({ controllerId: -1, epoch: 1, isController: false });
    expect(await b.release()).toBe(false); // not b's to give up
    expect(await b.tick(true)).toEqual({ controllerId: 2, epoch: 2, isController: true });
    expect(await a.tick(true)).toEqual({ controllerId: 2, epoch: 2, isController: false });
    expect(seen).toEqual(['1/1/false', '2/2/true']);
  });

  it('a broker that may not lead (not registered) never takes a free lease', async () => {
    const prefix = uniqueRedisPrefix();
    const a = lease(prefix, 1, 'inc-a');
    expect(await a.tick(false)).toEqual({ controllerId: -1, epoch: 0, isController: false });
    expect(await redis.exists(controllerKey(prefix))).toBe(0);
  });

  it('a lapsed lease passes to another broker; the old holder stops counting itself controller', async () => {
    const prefix = uniqueRedisPrefix();
    const a = lease(prefix, 1, 'inc-a', 300);
    const b = lease(prefix, 2, 'inc-b', 300);
    expect((await a.tick(true)).isController).toBe(true);
    // a stops renewing (paused or dead); b keeps ticking until it holds the lease.
    await waitFor(async () => (await b.tick(true)).isController, { timeoutMs: 5_000, intervalMs: 50, what: 'b to take the lapsed lease' });
    expect(b.state()).toEqual({ controllerId: 2, epoch: 2, isController: true });
    expect(a.isController).toBe(false); // its own lease clock ran out
    expect(await a.tick(true)).toEqual({ controllerId: 2, epoch: 2, isController: false });
  });

  it('the epoch never goes back, even when Redis loses the counter', async () => {
    const prefix = uniqueRedisPrefix();
    const a = lease(prefix, 1, 'inc-a');
    await redis.set(controllerEpochKey(prefix), 41);
    expect((await a.tick(true)).epoch).toBe(42);
    // Redis loses everything; a, which remembers epoch 42, takes the lease again above it.
    await redis.del(controllerKey(prefix), controllerEpochKey(prefix));
    expect(await a.tick(true)).toEqual({ controllerId: 1, epoch: 43, isController: true });
    expect(await redis.get(controllerEpochKey(prefix))).toBe('43');
  });
});
