// Thread: vitest test worker. src/console/console-app.ts + console-routes.ts in process over a
// real loopback HTTP server, with a fake KafkaBridge: every route that changes something is
// flagged mutating, the authorizer sees every API request with that flag and can refuse it
// (the read-only hook of issue 18), and the fake bridge shows a refused request never reached
// Kafka's handlers.
import http from 'node:http';
import type net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleApp, type ConsoleAuthorizer } from '../../../src/console/console-app.js';
import { consoleRoutes } from '../../../src/console/console-routes.js';
import type { KafkaBridge } from '../../../src/http/kafka-bridge.js';

const open: Array<{ server: http.Server; app: ConsoleApp }> = [];
afterEach(async () => {
  for (const { server, app } of open.splice(0)) {
    app.close();
    await new Promise((r) => server.close(r));
  }
});

const principals: string[] = [];

async function serve(authorize: ConsoleAuthorizer, calls: number[]): Promise<number> {
  const bridge = {
    call: async (apiKey: number, _request: unknown, caller: { principal?: string }) => {
      calls.push(apiKey);
      principals.push(caller.principal ?? 'none');
      if (apiKey === 19) return { throttleTimeMs: 0, topics: [{ name: 'x', topicId: Buffer.alloc(16), errorCode: 0, errorMessage: null, topicConfigErrorCode: 0, numPartitions: 1, replicationFactor: 1, configs: null }] };
      if (apiKey === 3) return { throttleTimeMs: 0, brokers: [], clusterId: 'c', controllerId: 1, topics: [], clusterAuthorizedOperations: 0 };
      throw new Error(`unexpected API ${apiKey}`);
    },
  } as unknown as KafkaBridge;
  const app = new ConsoleApp({
    bridge,
    view: { nodeId: 1, slots: () => new Map(), remoteBytes: () => undefined, clusterStats: () => undefined, peers: () => [] },
    trafficTotals: () => ({ bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 }),
    logger: pino({ level: 'silent' }),
    authorize,
    principalOf: (req) => (req.headers['x-test-user'] === undefined ? undefined : `User:${String(req.headers['x-test-user'])}`),
    uiDir: '/nonexistent-console-ui',
  });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    void app.handle(req, res, path).then((mine) => {
      if (!mine) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push({ server, app });
  return (server.address() as net.AddressInfo).port;
}

describe('console routes', () => {
  it('every route that is not a GET is flagged mutating, and every GET is not', () => {
    for (const r of consoleRoutes) expect(r.mutating, `${r.method} ${r.name}`).toBe(r.method !== 'GET');
    expect(consoleRoutes.filter((r) => r.mutating).map((r) => r.name).sort()).toEqual(['create-topic', 'delete-topic']);
  });
});

describe('ConsoleApp authorizer', () => {
  it('a read-only authorizer refuses creating and deleting (403, Kafka never called) and allows reads', async () => {
    const seen: Array<{ name: string; mutating: boolean }> = [];
    const calls: number[] = [];
    const port = await serve((_req, route) => {
      seen.push({ name: route.name, mutating: route.mutating });
      return !route.mutating;
    }, calls);
    const base = `http://127.0.0.1:${port}/console/api`;
    const create = await fetch(`${base}/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
    expect(create.status).toBe(403);
    expect(await create.json()).toEqual({ error: 'not allowed: create-topic (changes the cluster)', code: 'FORBIDDEN' });
    expect((await fetch(`${base}/topics/x`, { method: 'DELETE' })).status).toBe(403);
    expect(calls).toEqual([]);
    const cluster = await fetch(`${base}/cluster`);
    expect(cluster.status).toBe(200);
    expect(calls).toEqual([3]);
    expect(seen).toEqual([
      { name: 'create-topic', mutating: true },
      { name: 'delete-topic', mutating: true },
      { name: 'cluster', mutating: false },
    ]);
  });

  it('an allowing authorizer lets a create through to CreateTopics; paths outside /console are not the app', async () => {
    const calls: number[] = [];
    const port = await serve(async () => true, calls);
    const create = await fetch(`http://127.0.0.1:${port}/console/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","partitions":1}' });
    expect(create.status).toBe(201);
    expect(calls).toEqual([19]);
    // The request's principal reaches the Kafka handlers (ACLs apply); none given: the bridge's default.
    principals.length = 0;
    expect((await fetch(`http://127.0.0.1:${port}/console/api/cluster`, { headers: { 'x-test-user': 'alice' } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/console/api/cluster`)).status).toBe(200);
    expect(principals).toEqual(['User:alice', 'none']);
    expect((await fetch(`http://127.0.0.1:${port}/consoles`)).status).toBe(404);
    // The UI is not built in uiDir: the page says so instead of failing.
    const page = await fetch(`http://127.0.0.1:${port}/console/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/npm run build/);
  });
});
