// Integration: cluster membership when Redis loses its data or goes away, with two real broker
// processes on a private redis-server (started and stopped by PID; heartbeat 200 ms, session
// 1000 ms).
// - FLUSHALL: both brokers register again at their next heartbeat and a controller is elected
//   again with an epoch ABOVE the one before (the brokers remember it; Redis's counter restarted).
// - Redis down for longer than the session timeout, then back (its registrations expired
//   meanwhile): Kafka keeps being served, then both brokers register again, each logs that its
//   registration was lost, and the controller epoch has grown.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerKey, controllerKey } from '../../src/cluster/cluster-keys.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { decodeDescribeClusterResponse, describeClusterApi, encodeDescribeClusterRequest } from '../../src/protocol/generated/messages/index.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { freePort, RedisServer } from '../helpers/groups.js';
import { withConnection } from '../helpers/raw-kafka.js';

const HEARTBEAT_MS = 200;
const SESSION_MS = 1_000;
const prefix = 'loss:';

let server: RedisServer;
let redis: Redis;
const brokers: BrokerHandle[] = [];

function clusterArgs(nodeId: number): string[] {
  return [
    '--cluster.enable=true',
    `--redis.url=${server.url}`,
    `--redis.key.prefix=${prefix}`,
    '--redis.command.timeout.ms=500',
    `--node.id=${nodeId}`,
    `--broker.heartbeat.interval.ms=${HEARTBEAT_MS}`,
    `--broker.session.timeout.ms=${SESSION_MS}`,
  ];
}

async function controllerLease(): Promise<{ nodeId: number; epoch: number } | undefined> {
  const v = await redis.get(controllerKey(prefix));
  return v === null ? undefined : (JSON.parse(v) as { nodeId: number; epoch: number });
}

async function incarnationOf(nodeId: number): Promise<string | undefined> {
  const v = await redis.get(brokerKey(prefix, nodeId));
  return v === null ? undefined : (JSON.parse(v) as { incarnation: string }).incarnation;
}

/** Both brokers registered (by their own incarnation) and a controller with an epoch above `above`. */
async function recovered(incarnations: string[], above: number, what: string): Promise<{ nodeId: number; epoch: number }> {
  return waitFor(
    async () => {
      const now = await Promise.all([1, 2].map(incarnationOf));
      const lease = await controllerLease();
      return JSON.stringify(now) === JSON.stringify(incarnations) && lease && lease.epoch > above ? lease : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50, what },
  );
}

async function describeCluster(b: BrokerHandle) {
  const res = await withConnection(b.host, b.port, (c) =>
    c.request(describeClusterApi.apiKey, 1, encodeDescribeClusterRequest, decodeDescribeClusterResponse, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
  );
  expect(res.errorCode).toBe(ErrorCode.NONE);
  return { ids: res.brokers.map((x) => x.brokerId), controllerId: res.controllerId };
}

/** Every broker lists both and names `controllerId`. */
async function viewsAgree(controllerId: number, what: string): Promise<void> {
  await waitFor(
    async () => {
      const views = await Promise.all(brokers.map(describeCluster));
      return views.every((v) => JSON.stringify(v.ids) === '[1,2]' && v.controllerId === controllerId);
    },
    { timeoutMs: 5_000, what },
  );
}

beforeAll(async () => {
  server = new RedisServer(await freePort());
  await server.start();
  redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  redis.on('error', () => undefined); // the outage test stops the server
  await redis.connect();
  brokers.push(...(await Promise.all([1, 2].map((id) => startBroker({ args: clusterArgs(id) })))));
});
afterAll(() => redis.disconnect());

describe('cluster membership when Redis loses its data', () => {
  it('FLUSHALL: both brokers register again and the new controller epoch is above the old one', async () => {
    const before = await waitFor(() => controllerLease(), { what: 'a controller' });
    const incarnations = (await Promise.all([1, 2].map(incarnationOf))) as string[];
    expect(incarnations.every((i) => typeof i === 'string')).toBe(true);
    await redis.flushall();
    const after = await recovered(incarnations, before.epoch, 'both brokers registered again and a controller above the old epoch');
    expect(after.epoch).toBeGreaterThan(before.epoch);
    await viewsAgree(after.nodeId, 'both brokers to list both again and name the new controller');
  });

  it('Redis down past the session timeout: Kafka is served meanwhile; afterwards both register again', async () => {
    const before = (await controllerLease())!;
    await viewsAgree(before.nodeId, 'both brokers to list both before the outage');
    const incarnations = (await Promise.all([1, 2].map(incarnationOf))) as string[];
    await server.stop();
    // The outage itself must outlast the session timeout (the scenario, not a synchronisation):
    // while it lasts each broker still answers DescribeCluster from its last view.
    const outageEnds = Date.now() + SESSION_MS + 2 * HEARTBEAT_MS;
    while (Date.now() < outageEnds) {
      for (const b of brokers) expect((await describeCluster(b)).ids).toEqual([1, 2]);
      await new Promise((r) => setTimeout(r, 100)); // pacing of the probe loop
    }
    await server.start(); // same data dir: the append-only file is replayed, the TTL'd keys have expired
    const after = await recovered(incarnations, before.epoch, 'both brokers registered again after the outage');
    expect(after.epoch).toBeGreaterThan(before.epoch);
    await viewsAgree(after.nodeId, 'both brokers to list both again and name the controller after the outage');
    for (const b of brokers) {
      await waitFor(() => b.logs().includes('cluster registration was lost (expired or Redis data lost); registered again'), { what: `broker ${b.port} to log the lost registration` });
    }
  });
});
