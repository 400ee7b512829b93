// Integration: cluster membership with three real broker processes on 127.0.0.1 sharing one
// Redis prefix (cluster.enable=true, heartbeat 200 ms, session 1000 ms).
// - DescribeCluster (v0 and v1, raw requests) through each broker lists all three, with their
//   advertised endpoints and racks, and the same controller.
// - A fourth broker with a node.id already live refuses to start (the holder keeps refreshing
//   its registration): exit 1, one readable line naming node.id; the live one is untouched.
// - A registration lost from Redis (deleted by hand) comes back at the next heartbeat.
// - SIGKILL of the controller: another broker takes the lease (higher epoch) and the dead broker
//   leaves every list, within a bound (polled).
// - A broker killed and restarted at once with its node.id is not refused: it waits for its dead
//   registration to expire (it is not refreshed), then registers.
// - Redis unreachable at start-up: exit 1 with one line naming Redis.
// - SIGTERM: the broker deletes its registration and gives up the lease before it exits, so the
//   keys are gone the moment the process is, and the last broker becomes controller.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerKey, controllerKey } from '../../src/cluster/cluster-keys.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { decodeDescribeClusterResponse, describeClusterApi, encodeDescribeClusterRequest, type DescribeClusterResponse } from '../../src/protocol/generated/messages/index.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';
import { withConnection } from '../helpers/raw-kafka.js';

const HEARTBEAT_MS = 200;
const SESSION_MS = 1_000;
const prefix = uniqueRedisPrefix();
const clusterId = `membership-${prefix.slice(-11, -1)}`;

function clusterArgs(nodeId: number): string[] {
  return [
    '--cluster.enable=true',
    `--redis.url=${redisUrl()}`,
    `--redis.key.prefix=${prefix}`,
    `--node.id=${nodeId}`,
    `--cluster.id=${clusterId}`,
    `--broker.rack=rack-${nodeId}`,
    `--broker.heartbeat.interval.ms=${HEARTBEAT_MS}`,
    `--broker.session.timeout.ms=${SESSION_MS}`,
  ];
}

function describeCluster(b: BrokerHandle, version = 1): Promise<DescribeClusterResponse> {
  return withConnection(b.host, b.port, (c) =>
    c.request(describeClusterApi.apiKey, version, encodeDescribeClusterRequest, decodeDescribeClusterResponse, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
  );
}

/** `nodeId@host:port/rack` of each broker DescribeCluster lists, and its controller. */
async function view(b: BrokerHandle, version = 1): Promise<{ brokers: string[]; controllerId: number }> {
  const res = await describeCluster(b, version);
  expect(res.errorCode).toBe(ErrorCode.NONE);
  return { brokers: res.brokers.map((x) => `${x.brokerId}@${x.host}:${x.port}/${x.rack}`), controllerId: res.controllerId };
}

function expected(brokers: Map<number, BrokerHandle>): string[] {
  return [...brokers].sort(([a], [b]) => a - b).map(([id, h]) => `${id}@${h.host}:${h.port}/rack-${id}`);
}

/** Polls every broker in `brokers` until each lists exactly them and all name the same controller. */
async function agreedView(brokers: Map<number, BrokerHandle>, what: string, timeoutMs = 5_000): Promise<number> {
  const want = expected(brokers);
  return waitFor(
    async () => {
      const views = await Promise.all([...brokers.values()].map((b) => view(b)));
      const controllers = new Set(views.map((v) => v.controllerId));
      const agreed = views.every((v) => JSON.stringify(v.brokers) === JSON.stringify(want)) && controllers.size === 1 && !controllers.has(-1);
      return agreed ? views[0]!.controllerId : undefined;
    },
    { timeoutMs, intervalMs: 50, what },
  );
}

let redis: Redis;
const brokers = new Map<number, BrokerHandle>();

beforeAll(async () => {
  redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const started = await Promise.all([1, 2, 3].map((id) => startBroker({ args: clusterArgs(id) })));
  started.forEach((b, i) => brokers.set(i + 1, b));
});
afterAll(() => redis.disconnect());

describe('cluster membership (three brokers, one Redis prefix)', () => {
  it('DescribeCluster through each broker lists all three and the same controller', async () => {
    const controllerId = await agreedView(brokers, 'all three brokers to list all three and agree on a controller');
    expect([1, 2, 3]).toContain(controllerId);
    for (const b of brokers.values()) {
      const v0 = await view(b, 0);
      expect(v0.brokers).toEqual(expected(brokers));
      expect(v0.controllerId).toBe(controllerId);
      expect((await describeCluster(b)).clusterId).toBe(clusterId);
    }
    const lease = JSON.parse((await redis.get(controllerKey(prefix)))!) as { nodeId: number; epoch: number };
    expect(lease.nodeId).toBe(controllerId);
    expect(lease.epoch).toBeGreaterThanOrEqual(1);
  });

  it('a broker with a node.id that is already live refuses to start with a clear message', async () => {
    const before = await redis.get(brokerKey(prefix, 2));
    const err = await startBroker({ args: clusterArgs(2) }).then(
      () => new Error('the duplicate broker started'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/exited before ready \(code=1 /);
    expect(err.message).toContain('strata: cannot start the broker: node.id 2 is already registered by a live broker');
    expect(err.message).toContain(`${brokers.get(2)!.host}:${brokers.get(2)!.port}`);
    const after = JSON.parse((await redis.get(brokerKey(prefix, 2)))!) as { incarnation: string; port: number };
    expect(after.incarnation).toBe((JSON.parse(before!) as { incarnation: string }).incarnation);
    expect(after.port).toBe(brokers.get(2)!.port);
    await agreedView(brokers, 'the cluster to be unchanged by the refused broker');
  });

  it('a registration lost from Redis is registered again at the next heartbeat', async () => {
    const incarnation = (JSON.parse((await redis.get(brokerKey(prefix, 3)))!) as { incarnation: string }).incarnation;
    await redis.del(brokerKey(prefix, 3));
    const back = await waitFor(() => redis.get(brokerKey(prefix, 3)), { timeoutMs: 5_000, intervalMs: 20, what: 'broker 3 to register again' });
    expect((JSON.parse(back) as { incarnation: string }).incarnation).toBe(incarnation);
    await agreedView(brokers, 'all three listed again');
  });

  it('SIGKILL of the controller: another broker takes the lease and the dead one leaves the list', async () => {
    const oldController = await agreedView(brokers, 'a controller');
    const oldEpoch = (JSON.parse((await redis.get(controllerKey(prefix)))!) as { epoch: number }).epoch;
    const killedAt = Date.now();
    await brokers.get(oldController)!.kill9();
    brokers.delete(oldController);
    const newController = await agreedView(brokers, 'the two survivors to drop the killed controller and agree on a new one', 10_000);
    const failoverMs = Date.now() - killedAt;
    expect(newController).not.toBe(oldController);
    const lease = JSON.parse((await redis.get(controllerKey(prefix)))!) as { nodeId: number; epoch: number };
    expect(lease.nodeId).toBe(newController);
    expect(lease.epoch).toBeGreaterThan(oldEpoch);
    expect(await redis.exists(brokerKey(prefix, oldController))).toBe(0);
    console.log(`controller failover after SIGKILL: ${failoverMs} ms (heartbeat ${HEARTBEAT_MS} ms, session ${SESSION_MS} ms)`);
  });

  it('a broker killed and restarted at once with its node.id starts once its old registration expires', async () => {
    const controller = await agreedView(brokers, 'a controller among the survivors');
    const [otherId] = [...brokers.keys()].filter((id) => id !== controller);
    const other = brokers.get(otherId!)!;
    const oldIncarnation = (JSON.parse((await redis.get(brokerKey(prefix, otherId!)))!) as { incarnation: string }).incarnation;
    await other.kill9();
    // Its dead registration outlives the restart whatever the machine's speed (a broker with a
    // longer session would leave one like it).
    expect(await redis.pexpire(brokerKey(prefix, otherId!), 8_000)).toBe(1);
    await other.restart(); // same node.id, data dir and port
    expect(other.logs()).toContain('waiting to see whether its holder is alive');
    const now = JSON.parse((await redis.get(brokerKey(prefix, otherId!)))!) as { incarnation: string };
    expect(now.incarnation).not.toBe(oldIncarnation);
    expect(await agreedView(brokers, 'both listed again, controller unchanged')).toBe(controller);
  });

  it('SIGTERM removes the broker and its controller lease at once', async () => {
    const controller = await agreedView(brokers, 'a controller among the survivors');
    const status = await brokers.get(controller)!.stop('SIGTERM');
    expect(status.code).toBe(0);
    brokers.delete(controller);
    // Deleted by the broker itself before it exited, not left to expire after the session timeout.
    expect(await redis.exists(brokerKey(prefix, controller))).toBe(0);
    const leaseNow = await redis.get(controllerKey(prefix));
    if (leaseNow !== null) expect((JSON.parse(leaseNow) as { nodeId: number }).nodeId).not.toBe(controller);
    const [lastId] = [...brokers.keys()];
    const last = await agreedView(brokers, 'the last broker to list only itself and be the controller');
    expect(last).toBe(lastId);
  });
});

describe('cluster mode without a reachable Redis', () => {
  it('refuses to start with one readable line', async () => {
    const err = await startBroker({ args: ['--cluster.enable=true', '--redis.url=redis://127.0.0.1:1', '--redis.command.timeout.ms=300'] }).then(
      () => new Error('the broker started without Redis'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/exited before ready \(code=1 /);
    // The shared metadata store (the default in cluster mode) is the first to need Redis.
    expect(err.message).toMatch(/strata: cannot start the broker: [^\n]*Redis at redis:\/\/127\.0\.0\.1:1[^\n]*/);
  });
});
