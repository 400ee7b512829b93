// Integration: RedisMetadataStore against the real Redis (REDIS_URL or 127.0.0.1:6379).
// - The MetadataStore contract, each test under its own key prefix (removed afterwards).
// - Redis unreachable at start-up: start() rejects at once with STRATA_ERR_METADATA_STORE_UNAVAILABLE.
// - Redis lost mid-run (a TCP proxy in between is cut): writes reject with that code, reads keep
//   the last snapshot; once Redis is back, what another broker changed meanwhile is loaded.
// - A change whose pub/sub message never came (written straight into Redis) is found by the
//   version poll.
// - Real broker processes with cluster.metadata.store=redis on one prefix: a topic auto-created,
//   altered and deleted through one broker is seen so through the other within 2 s; its
//   CreateTopics of that name answers TOPIC_ALREADY_EXISTS; a broker that opened a topic deleted
//   through another removes its partition directories; a broker configured with another
//   cluster.id refuses to start.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { MetadataChange, MetadataStore } from '../../src/metadata/metadata-store.js';
import { RedisMetadataStore } from '../../src/metadata/redis-metadata-store.js';
import { startBroker, waitFor } from '../helpers/broker.js';
import { deleteRedisPrefix } from '../helpers/groups.js';
import { ConfigResourceTypes, kafkaClient } from '../helpers/kafkajs.js';
import { expectKcatOk, kcatMetadata, kcatProduce } from '../helpers/kcat.js';
import { metadataStoreContract } from '../helpers/metadata-store-contract.js';
import { runProcess } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `strata-test-meta-${randomBytes(4).toString('hex')}:`;
let n = 0;
const nextPrefix = () => `${runPrefix}${n++}:`;
const prefixOf = new WeakMap<MetadataStore, string>();

async function openWith(keyPrefix: string, opts: { clusterId?: string; redisUrl?: string } = {}): Promise<RedisMetadataStore> {
  const s = new RedisMetadataStore({ url: opts.redisUrl ?? url, keyPrefix, commandTimeoutMs: 2000, clusterIdSetting: opts.clusterId, pollIntervalMs: 200 });
  await s.start();
  prefixOf.set(s, keyPrefix);
  return s;
}

afterAll(async () => {
  await deleteRedisPrefix(url, runPrefix);
});

metadataStoreContract('redis', {
  create: (opts) => openWith(nextPrefix(), { clusterId: opts?.clusterId }),
  peer: (s) => openWith(prefixOf.get(s)!),
  reopen: (s, opts) => openWith(prefixOf.get(s)!, { clusterId: opts?.clusterId }),
});

/** A TCP proxy to Redis that can be cut (every connection destroyed, port closed) and restored on the same port. */
async function redisProxy(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server!.listen({ host: '127.0.0.1', port }, resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { url: `redis://127.0.0.1:${port}${target.pathname}`, cut, restore: listen, close: cut };
}

describe('RedisMetadataStore', () => {
  it('refuses to start, at once and with STRATA_ERR_METADATA_STORE_UNAVAILABLE, when Redis is unreachable', async () => {
    // Port 1 on loopback: connection refused.
    const s = new RedisMetadataStore({ url: 'redis://127.0.0.1:1', keyPrefix: nextPrefix(), commandTimeoutMs: 500, connectWaitMs: 1000 });
    const started = Date.now();
    await expect(s.start()).rejects.toMatchObject({ code: 'STRATA_ERR_METADATA_STORE_UNAVAILABLE', message: expect.stringContaining('cannot reach Redis at redis://127.0.0.1:1') });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('Redis lost: writes reject with STRATA_ERR_METADATA_STORE_UNAVAILABLE, reads keep the snapshot; back: changes made meanwhile are loaded', async () => {
    const proxy = await redisProxy();
    const prefix = nextPrefix();
    const viaProxy = new RedisMetadataStore({ url: proxy.url, keyPrefix: prefix, commandTimeoutMs: 500, pollIntervalMs: 200 });
    await viaProxy.start();
    const direct = await openWith(prefix);
    const changes: MetadataChange[] = [];
    viaProxy.onChange((c) => changes.push(c));
    try {
      const kept = (await viaProxy.createTopic('kept', 2, {})).topic;
      await proxy.cut();
      await expect(viaProxy.createTopic('new', 1, {})).rejects.toMatchObject({ code: 'STRATA_ERR_METADATA_STORE_UNAVAILABLE' });
      await expect(viaProxy.setTopicConfigs('kept', {})).rejects.toMatchObject({ code: 'STRATA_ERR_METADATA_STORE_UNAVAILABLE' });
      await expect(viaProxy.deleteTopic('kept')).rejects.toMatchObject({ code: 'STRATA_ERR_METADATA_STORE_UNAVAILABLE' });
      // A fresh block is needed at once (the store has none yet).
      await expect(viaProxy.allocateProducerId()).rejects.toMatchObject({ code: 'STRATA_ERR_METADATA_STORE_UNAVAILABLE' });
      expect(viaProxy.topic('kept')).toEqual(kept);
      expect(viaProxy.topicNameById(kept.topicId)).toBe('kept');
      // Another broker changes things while this one cannot hear.
      await direct.createTopic('made-meanwhile', 3, {});
      await direct.setTopicConfigs('kept', { 'retention.ms': '9' });
      await proxy.restore();
      const caughtUp = await waitFor(() => viaProxy.topic('made-meanwhile')?.partitions === 3 && viaProxy.topic('kept')?.configs['retention.ms'] === '9', {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: 'the store to load what changed while Redis was unreachable',
      });
      expect(caughtUp).toBe(true);
      expect(changes).toEqual(expect.arrayContaining([{ kind: 'created', name: 'made-meanwhile' }, { kind: 'altered', name: 'kept' }]));
      expect((await viaProxy.createTopic('new', 1, {})).created).toBe(true);
    } finally {
      await viaProxy.close();
      await direct.close();
      await proxy.close();
    }
  });

  it('finds a change whose pub/sub message was lost through the version poll', async () => {
    const prefix = nextPrefix();
    const s = await openWith(prefix);
    const raw = new Redis(url);
    try {
      const record = { topicId: 'ef'.repeat(16), partitions: 4, configs: { 'retention.ms': '1' }, createdAtMs: 1 };
      // Exactly what the create script writes, minus the PUBLISH.
      await raw.multi().hset(`${prefix}meta:topics`, 'silent', JSON.stringify(record)).incr(`${prefix}meta:version`).exec();
      const started = Date.now();
      await waitFor(() => s.topic('silent') !== undefined, { timeoutMs: 1500, intervalMs: 10, what: 'the poll to load the silent change' });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(s.topic('silent')).toEqual(record);
      expect(s.topicNameById(record.topicId)).toBe('silent');
    } finally {
      raw.disconnect();
      await s.close();
    }
  });
});

describe('brokers sharing the metadata in Redis', () => {
  const prefix = nextPrefix();
  const flags = [`--redis.url=${url}`, `--redis.key.prefix=${prefix}`, '--cluster.metadata.store=redis', '--cluster.id=shared-cluster-1', '--http.listeners='];

  it('a topic auto-created, altered and deleted through one broker is seen so through the other within 2 s; CreateTopics there answers TOPIC_ALREADY_EXISTS', async () => {
    const a = await startBroker({ args: [...flags, '--node.id=1'] });
    const b = await startBroker({ args: [...flags, '--node.id=2'] });
    const topic = uniqueTopic('shared-meta');
    expectKcatOk(await kcatProduce(a.bootstrap, topic, 'one\ntwo\n'));
    const started = Date.now();
    const md = await waitFor(
      async () => {
        const m = await kcatMetadata(b.bootstrap);
        return m.topics.find((t) => t.topic === topic) ? m : undefined;
      },
      { timeoutMs: 5000, intervalMs: 50, what: `${topic} in the second broker's Metadata` },
    );
    const seenMs = Date.now() - started;
    expect(md.topics.find((t) => t.topic === topic)!.partitions).toHaveLength(1);
    expect(seenMs).toBeLessThan(2000);
    const adminA = kafkaClient(a.bootstrap).admin();
    const adminB = kafkaClient(b.bootstrap).admin();
    await adminA.connect();
    await adminB.connect();
    try {
      // KafkaJS resolves false when the broker answers TOPIC_ALREADY_EXISTS (true when it created the topic).
      expect(await adminB.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false);
      expect((await adminB.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(1);

      await adminA.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
      const altered = Date.now();
      await waitFor(
        async () => {
          const r = await adminB.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
          return r.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')?.configValue === '123456';
        },
        { timeoutMs: 5000, intervalMs: 50, what: 'the altered retention.ms in the second broker\'s DescribeConfigs' },
      );
      expect(Date.now() - altered).toBeLessThan(2000);

      await adminA.deleteTopics({ topics: [topic] });
      const deleted = Date.now();
      await waitFor(async () => !(await kcatMetadata(b.bootstrap)).topics.some((t) => t.topic === topic), {
        timeoutMs: 5000,
        intervalMs: 50,
        what: `${topic} gone from the second broker's Metadata`,
      });
      expect(Date.now() - deleted).toBeLessThan(2000);
    } finally {
      await adminA.disconnect();
      await adminB.disconnect();
    }
  });

  it('a topic deleted through one broker has its partition directories removed on another that opened it', async () => {
    const a = await startBroker({ args: [...flags, '--node.id=1'] });
    const topic = uniqueTopic('shared-delete');
    expectKcatOk(await kcatProduce(a.bootstrap, topic, 'x\n'));
    // Started after the creation: it opens every topic of the store, this one included.
    const c = await startBroker({ args: [...flags, '--node.id=3'] });
    const dir = path.join(c.dataDir, `${topic}-0`);
    expect(fs.existsSync(dir)).toBe(true);
    const admin = kafkaClient(a.bootstrap).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
    await waitFor(() => !fs.existsSync(dir), { timeoutMs: 5000, intervalMs: 20, what: `${dir} removed` });
    // Logged once the removal is done (the line reaches the pipe a moment after the directory goes).
    await waitFor(() => c.logLines().some((l) => l.msg === 'topic deleted through another broker: local partitions removed' && l.topic === topic), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: 'the removal logged by the other broker',
    });
  });

  it('a broker configured with another cluster.id refuses to start, saying so', async () => {
    const raw = new Redis(url);
    await raw.set(`${prefix}meta:cluster-id`, 'shared-cluster-1', 'NX');
    raw.disconnect();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-meta-mismatch-'));
    const result = await runProcess(
      process.execPath,
      [inject('brokerEntry'), '--listeners=PLAINTEXT://127.0.0.1:0', `--log.dirs=${dataDir}`, ...flags, '--cluster.id=some-other-cluster'],
      { cwd: inject('repoRoot'), env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_'))), timeoutMs: 30_000, what: 'the broker (expected to exit)' },
    );
    expect(result.code).toBe(1);
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(result.stderr).toContain('strata: cannot start the broker: cluster.id some-other-cluster does not match the id shared-cluster-1 stored in Redis');
  });
});
