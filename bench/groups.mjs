// Thread: main (bench). Consumer-group figures, printed and written to bench/results/groups-*.json:
//
//  1. Rebalance latency, end to end with KafkaJS: N-1 consumers are consuming a topic that a
//     producer feeds continuously; a member joins at t0; latency = until every one of the N
//     members has received a record after its post-t0 GROUP_JOIN. Includes KafkaJS's own
//     heartbeat interval (how members learn of the rebalance), so it is what a user sees.
//  2. Rebalance latency at the protocol level: raw members heartbeating every --hb-ms; a raw
//     member joins at t0; latency = until every member's SyncGroup of the new generation
//     answered. This isolates the coordinator (plus one heartbeat interval).
//  3. Commit throughput: pipelined OffsetCommit requests (one partition each, generation -1)
//     over several connections, with Redis on loopback and with the embedded local store.
//
// Usage: npm run build && node bench/groups.mjs [--members=2,10] [--rounds=5] [--commit-seconds=5]
//        [--inflight=64] [--connections=4] [--redis=redis://127.0.0.1:6379] [--hb-ms=100]
// Not a test: prints figures, asserts nothing.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { startBroker } from './lib/broker.mjs';
import { parseArgs, sleep, fmt } from './lib/cli.mjs';
import { KafkaClient } from './lib/kafka-client.mjs';
import { writeResult, machineInfo, round } from './lib/results.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const { Redis } = require('ioredis');

const opts = parseArgs(process.argv.slice(2), {
  members: '2,10',
  rounds: 5,
  'commit-seconds': 5,
  inflight: 64,
  connections: 4,
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  'hb-ms': 100,
  partitions: 12,
});
const memberCounts = String(opts.members).split(',').map(Number);
const prefix = `strata-bench-${randomBytes(4).toString('hex')}:`;

const API = { OffsetCommit: 8, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, CreateTopics: 19 };

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, minMs: round(s[0], 1), p50Ms: round(q(0.5), 1), maxMs: round(s[s.length - 1], 1), meanMs: round(s.reduce((a, b) => a + b, 0) / s.length, 1) };
}

async function waitUntil(cond, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

// ------------------------------------------------------------------ 1. KafkaJS end to end

async function kafkajsRebalance(broker, members, rounds) {
  const kafka = new Kafka({ clientId: 'bench', brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING });
  const topic = `bench-groups-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  let producing = true;
  const feeder = (async () => {
    let i = 0;
    while (producing) {
      await producer.send({ topic, messages: Array.from({ length: opts.partitions }, (_, p) => ({ partition: p, value: String(i++) })) });
      await sleep(10);
    }
  })();

  const groupId = `bench-${topic}`;
  const start = async () => {
    // firstAfterJoin: when the first record after the latest GROUP_JOIN arrived.
    const state = { lastJoin: 0, lastRecord: 0, firstAfterJoin: 0 };
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: opts['hb-ms'], maxWaitTimeInMs: 50 });
    consumer.on(consumer.events.GROUP_JOIN, () => (state.lastJoin = performance.now()));
    await consumer.connect();
    await consumer.subscribe({ topic });
    const eachMessage = async () => {
      const now = performance.now();
      state.lastRecord = now;
      if (state.firstAfterJoin < state.lastJoin) state.firstAfterJoin = now;
    };
    return { consumer, state, run: () => consumer.run({ eachMessage }) };
  };
  const base = [];
  for (let i = 0; i < members - 1; i++) {
    const m = await start();
    await m.run();
    base.push(m);
  }
  const stable = async () => {
    const since = performance.now();
    await waitUntil(() => base.every((m) => m.state.lastRecord > since), 30_000, 'base members consuming');
  };
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    await stable();
    const joiner = await start();
    const t0 = performance.now();
    await joiner.run();
    const all = [...base, joiner];
    await waitUntil(() => all.every((m) => m.state.lastJoin > t0 && m.state.firstAfterJoin > m.state.lastJoin), 60_000, `${members} members consuming again`);
    samples.push(Math.max(...all.map((m) => m.state.firstAfterJoin)) - t0);
    await joiner.consumer.disconnect(); // leaves: the next round starts from N-1 members again
  }
  producing = false;
  await feeder;
  await producer.disconnect();
  for (const m of base) await m.consumer.disconnect();
  return stats(samples);
}

// ------------------------------------------------------------------ 2. protocol level

function subscriptionBytes(topic) {
  const t = Buffer.from(topic);
  const b = Buffer.alloc(2 + 4 + 2 + t.length + 4);
  let o = b.writeInt16BE(0, 0);
  o = b.writeInt32BE(1, o);
  o = b.writeInt16BE(t.length, o);
  t.copy(b, o);
  b.writeInt32BE(-1, o + t.length);
  return b;
}

class RawMember {
  constructor(client, groupId) {
    this.client = client;
    this.groupId = groupId;
    this.memberId = '';
    this.generationId = -1;
    this.syncedAt = 0;
    this.joinSentAt = 0;
    this.running = true;
  }

  async joinAndSync() {
    const body = () => ({
      groupId: this.groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscriptionBytes('t') }],
      reason: null,
    });
    this.joinSentAt = performance.now();
    let join = await this.client.request(API.JoinGroup, 5, body());
    if (join.errorCode === 79) {
      this.memberId = join.memberId;
      join = await this.client.request(API.JoinGroup, 5, body());
    }
    if (join.errorCode !== 0) throw new Error(`JoinGroup error ${join.errorCode}`);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    const assignments = join.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from('a') }));
    const sync = await this.client.request(API.SyncGroup, 3, { groupId: this.groupId, generationId: join.generationId, memberId: this.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments });
    if (sync.errorCode === 27) return this.joinAndSync();
    if (sync.errorCode !== 0) throw new Error(`SyncGroup error ${sync.errorCode}`);
    this.syncedAt = performance.now();
  }

  async loop() {
    while (this.running) {
      await sleep(opts['hb-ms']);
      if (!this.running) break;
      const hb = await this.client.request(API.Heartbeat, 3, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null });
      if (hb.errorCode === 27 || hb.errorCode === 22) await this.joinAndSync();
      else if (hb.errorCode !== 0) throw new Error(`Heartbeat error ${hb.errorCode}`);
    }
  }

  async leave() {
    this.running = false;
    await this.client.request(API.LeaveGroup, 3, { groupId: this.groupId, memberId: '', members: [{ memberId: this.memberId, groupInstanceId: null, reason: null }] });
  }
}

async function rawRebalance(broker, members, rounds) {
  const groupId = `bench-raw-${randomBytes(4).toString('hex')}`;
  const connect = () => KafkaClient.connect({ host: broker.host, port: broker.port });
  const base = [];
  for (let i = 0; i < members - 1; i++) base.push(new RawMember(await connect(), groupId));
  await Promise.all(base.map((m) => m.joinAndSync()));
  // The base may have needed several generations to settle: wait for one common generation.
  const loops = base.map((m) => m.loop());
  const samples = [];
  const coordinatorSamples = [];
  let settledAfter = 0;
  for (let r = 0; r < rounds; r++) {
    // Settled: every base member synced after the previous joiner left (that leave rebalances too).
    await waitUntil(() => base.every((m) => m.generationId === base[0].generationId && m.syncedAt > settledAfter), 20_000, 'base settled');
    await sleep(opts['hb-ms'] * (2 + Math.random())); // random phase against the members' heartbeats
    const joiner = new RawMember(await connect(), groupId);
    const t0 = performance.now();
    await joiner.joinAndSync();
    await waitUntil(() => base.every((m) => m.generationId === joiner.generationId && m.syncedAt > t0), 20_000, 'all members synced');
    const allSynced = Math.max(joiner.syncedAt, ...base.map((m) => m.syncedAt));
    samples.push(allSynced - t0);
    coordinatorSamples.push(allSynced - Math.max(...base.map((m) => m.joinSentAt)));
    settledAfter = performance.now();
    await joiner.leave();
    joiner.client.close();
  }
  for (const m of base) m.running = false;
  await Promise.allSettled(loops);
  for (const m of base) m.client.close();
  return { ...stats(samples), coordinatorOnly: stats(coordinatorSamples) };
}

// ------------------------------------------------------------------ 3. commit throughput

async function commitThroughput(broker, seconds) {
  const clients = [];
  for (let i = 0; i < opts.connections; i++) clients.push(await KafkaClient.connect({ host: broker.host, port: broker.port }));
  const topic = `bench-commit-${randomBytes(4).toString('hex')}`;
  const created = await clients[0].request(API.CreateTopics, 4, {
    topics: [{ name: topic, numPartitions: opts.partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  if (created.topics[0].errorCode !== 0) throw new Error(`CreateTopics error ${created.topics[0].errorCode}`);
  const groupId = `bench-commit-${randomBytes(4).toString('hex')}`;
  let n = 0;
  let errors = 0;
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  const worker = async (client) => {
    while (performance.now() < end) {
      const i = n++;
      const t = performance.now();
      const res = await client.request(API.OffsetCommit, 7, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: topic, partitions: [{ partitionIndex: i % opts.partitions, committedOffset: BigInt(i), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      });
      latencies.push(performance.now() - t);
      if (res.topics[0].partitions[0].errorCode !== 0) errors++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: opts.inflight }, (_, i) => worker(clients[i % clients.length])));
  const elapsed = (performance.now() - started) / 1000;
  for (const c of clients) c.close();
  return { commits: latencies.length, errors, seconds: round(elapsed, 2), commitsPerSecond: Math.round(latencies.length / elapsed), latency: stats(latencies), inflight: opts.inflight, connections: opts.connections };
}

// ------------------------------------------------------------------ main

async function withBroker(config, fn) {
  const broker = await startBroker({
    config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 500, 'num.partitions': opts.partitions, ...config },
  });
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

async function cleanupRedis() {
  const r = new Redis(opts.redis, { lazyConnect: true });
  r.on('error', () => undefined);
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

async function main() {
  const machine = machineInfo();
  const redisConfig = { 'redis.url': opts.redis, 'redis.key.prefix': prefix };
  const result = { machine, options: opts, rebalance: [], commit: {} };
  try {
    await withBroker(redisConfig, async (broker) => {
      for (const members of memberCounts) {
        const raw = await rawRebalance(broker, members, opts.rounds);
        console.log(`rebalance (raw protocol, heartbeat ${opts['hb-ms']} ms)  ${members} members: p50 ${fmt(raw.p50Ms, 1)} ms, max ${fmt(raw.maxMs, 1)} ms (n=${raw.n}); last rejoin → all synced p50 ${fmt(raw.coordinatorOnly.p50Ms, 1)} ms, max ${fmt(raw.coordinatorOnly.maxMs, 1)} ms`);
        const e2e = await kafkajsRebalance(broker, members, opts.rounds);
        console.log(`rebalance (KafkaJS, join → all consuming)  ${members} members: p50 ${fmt(e2e.p50Ms, 1)} ms, max ${fmt(e2e.maxMs, 1)} ms (n=${e2e.n})`);
        result.rebalance.push({ members, rawProtocol: raw, kafkajsEndToEnd: e2e });
      }
      result.commit.redis = await commitThroughput(broker, opts['commit-seconds']);
      const c = result.commit.redis;
      console.log(`commits (Redis on loopback): ${fmt(c.commitsPerSecond)} commits/s, p50 ${fmt(c.latency.p50Ms, 2)} ms, errors ${c.errors}`);
    });
    await withBroker({ 'redis.url': '' }, async (broker) => {
      result.commit.local = await commitThroughput(broker, opts['commit-seconds']);
      const c = result.commit.local;
      console.log(`commits (local store, fsync per group commit): ${fmt(c.commitsPerSecond)} commits/s, p50 ${fmt(c.latency.p50Ms, 2)} ms, errors ${c.errors}`);
    });
  } finally {
    await cleanupRedis();
  }
  console.log(`results: ${writeResult('groups', result)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
