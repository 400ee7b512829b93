// Thread: vitest test worker. Helpers for consumer-group integration tests: broker flags for
// fast group timing, per-test Redis key prefixes (removed afterwards), a private redis-server
// for outage tests (started and stopped by PID), long-running `kcat -G` consumers, KafkaJS
// consumers that record what they receive, and raw group requests for exact error codes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import kafkajs from 'kafkajs';
import { afterAll, inject } from 'vitest';
import { waitFor } from './broker.js';

const { AssignerProtocol } = kafkajs;

// ------------------------------------------------------------------ broker flags, Redis prefixes

/** Flags that make group timing test-friendly: short sessions allowed, no initial join delay. */
export const GROUP_TEST_FLAGS = ['--group.min.session.timeout.ms=500', '--group.initial.rebalance.delay.ms=0'];

export function redisUrl(): string {
  try {
    return inject('redisUrl');
  } catch {
    return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  }
}

const prefixes = new Set<string>();

/** A key prefix unique to this call; every key under it is deleted when the test file ends. */
export function uniqueRedisPrefix(): string {
  const p = `strata-test-${randomBytes(5).toString('hex')}:`;
  prefixes.add(p);
  return p;
}

/** Broker flags for Redis at `url` (default: the shared test Redis) under a fresh prefix. */
export function redisFlags(url = redisUrl(), prefix = uniqueRedisPrefix()): string[] {
  return [`--redis.url=${url}`, `--redis.key.prefix=${prefix}`];
}

/** Flags that force the embedded local store even when REDIS_URL is set in the environment. */
export const LOCAL_STORE_FLAGS = ['--redis.url='];

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
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

afterAll(async () => {
  for (const p of prefixes) await deleteRedisPrefix(redisUrl(), p).catch(() => undefined);
  prefixes.clear();
});

// ------------------------------------------------------------------ a private redis-server

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  readonly dir: string;
  output = '';

  constructor(readonly port: number) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server with an fsync-always append-only file (data survives a restart). */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    live.add(this);
    await waitFor(
      async () => {
        const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        r.on('error', () => undefined); // refused until the server listens: keep polling
        try {
          await r.connect();
          return (await r.ping()) === 'PONG';
        } finally {
          r.disconnect();
        }
      },
      { timeoutMs: 10_000, what: `redis-server on port ${this.port}` },
    );
  }

  /** SIGTERM (Redis flushes its append-only file and exits), then waits for the process to be gone. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
    live.delete(this);
  }

  killNow(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

const live = new Set<RedisServer>();
afterAll(async () => {
  for (const r of [...live]) await r.stop().catch(() => r.killNow());
  live.clear();
});
process.once('exit', () => {
  for (const r of live) r.killNow();
});

// ------------------------------------------------------------------ KafkaJS consumers that record

export interface Received {
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

export interface RecordingConsumer {
  consumer: Consumer;
  received: Received[];
  /** Partitions per topic of the latest assignment this member got (GROUP_JOIN event). */
  assignment(): Record<string, number[]>;
  joins: number;
  crashed: unknown;
  stop(): Promise<void>;
}

/** Connects, subscribes from the beginning and runs a KafkaJS consumer that records every message. */
export async function recordingConsumer(kafka: Kafka, groupId: string, topic: string, config: Partial<ConsumerConfig> = {}): Promise<RecordingConsumer> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
    ...config,
  });
  const rc: RecordingConsumer = {
    consumer,
    received: [],
    joins: 0,
    crashed: undefined,
    assignment: () => latest,
    stop: () => consumer.disconnect(),
  };
  let latest: Record<string, number[]> = {};
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    rc.joins++;
    latest = e.payload.memberAssignment as Record<string, number[]>;
  });
  consumer.on(consumer.events.CRASH, (e) => {
    rc.crashed = e.payload.error;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic: t, partition, message }) => {
      rc.received.push({ topic: t, partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
    },
  });
  return rc;
}

export interface DescribedMember {
  memberId: string;
  clientId: string;
  /** topic → partitions, decoded from the consumer-protocol assignment. */
  assignment: Record<string, number[]>;
}

/** DescribeGroups through KafkaJS admin, with member assignments decoded. */
export async function describeGroup(kafka: Kafka, groupId: string): Promise<{ state: string; protocol: string; members: DescribedMember[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const g = groups[0]!;
    return {
      state: g.state,
      protocol: g.protocol,
      members: g.members.map((m) => {
        const decoded = m.memberAssignment.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
        return { memberId: m.memberId, clientId: m.clientId, assignment: (decoded?.assignment ?? {}) as Record<string, number[]> };
      }),
    };
  } finally {
    await admin.disconnect();
  }
}

/** Waits for a Stable group of `members` members whose assignments of `topic` are disjoint and cover 0..partitions-1. */
export async function waitForBalancedGroup(kafka: Kafka, groupId: string, topic: string, members: number, partitions: number, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const d = await describeGroup(kafka, groupId);
      if (d.state !== 'Stable' || d.members.length !== members) return undefined;
      const all = d.members.flatMap((m) => m.assignment[topic] ?? []);
      const sorted = [...all].sort((a, b) => a - b);
      if (sorted.length !== partitions || sorted.some((p, i) => p !== i)) return undefined;
      return d;
    },
    { timeoutMs, intervalMs: 100, what: `group ${groupId} stable with ${members} members covering ${partitions} partitions` },
  );
}

/** Committed offsets of `topic` (partition → offset) through KafkaJS admin. */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Produces `perPartition` records to each partition: value `${label}-${partition}-${i}`. Returns the values. */
export async function produceSpread(kafka: Kafka, topic: string, partitions: number, perPartition: number, label: string): Promise<string[]> {
  const producer = kafka.producer();
  await producer.connect();
  const values: string[] = [];
  try {
    for (let p = 0; p < partitions; p++) {
      const messages = Array.from({ length: perPartition }, (_, i) => ({ value: `${label}-${p}-${i}` }));
      values.push(...messages.map((m) => m.value));
      await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: p })) });
    }
  } finally {
    await producer.disconnect();
  }
  return values;
}

// ------------------------------------------------------------------ kcat -G consumers

export interface KcatGroupConsumer {
  readonly pid: number;
  /** Records as `partition offset value`, parsed. */
  readonly records: Received[];
  stderr(): string;
  /** Partitions of the latest "assigned:" line kcat printed for `topic` (incremental lines are merged). */
  assigned(topic: string): number[];
  /** How many rebalance notices kcat printed. */
  rebalances(): number;
  /** kcat's rebalance notices. */
  lines(): string[];
  /** SIGTERM (kcat closes the consumer: final commit, LeaveGroup unless static) and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `kcat -G group topic`: a librdkafka balanced consumer, kept running until stopped. */
export function startKcatGroupConsumer(bootstrap: string, groupId: string, topic: string, config: Record<string, string | number> = {}): KcatGroupConsumer {
  let kcat = 'kcat';
  try {
    kcat = inject('kcatPath');
  } catch {
    // default on PATH
  }
  const settings: Record<string, string | number> = {
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 300,
    'auto.commit.interval.ms': 100,
    'auto.offset.reset': 'earliest',
    'fetch.wait.max.ms': 100,
    'topic.metadata.refresh.interval.ms': 1000,
    ...config,
  };
  const args = ['-b', bootstrap, '-G', groupId, '-f', 'REC %p %o %s\\n', '-u'];
  for (const [k, v] of Object.entries(settings)) args.push('-X', `${k}=${v}`);
  args.push(topic);
  const child = spawn(kcat, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const records: Received[] = [];
  let pendingOut = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pendingOut += chunk;
    let nl: number;
    while ((nl = pendingOut.indexOf('\n')) >= 0) {
      const line = pendingOut.slice(0, nl);
      pendingOut = pendingOut.slice(nl + 1);
      const m = /^REC (\d+) (\d+) (.*)$/.exec(line);
      if (m) records.push({ topic, partition: Number(m[1]), offset: Number(m[2]), value: m[3]! });
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  kcatChildren.add(child);
  void exited.then(() => kcatChildren.delete(child));
  return {
    pid: child.pid ?? 0,
    records,
    stderr: () => err,
    assigned(t: string): number[] {
      // Eager: "% Group g rebalanced (memberid m): assigned: t [0], t [1]" / "…: revoked: …".
      // Cooperative: "% Group g rebalanced: incremental assignment of 2 partition(s) (memberid m,
      // COOPERATIVE rebalance protocol): t [0], t [1]" / "incremental revoke of …".
      const owned = new Set<number>();
      const escaped = t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const partRe = new RegExp(`${escaped} \\[(\\d+)\\]`, 'g');
      for (const line of err.split('\n')) {
        if (!line.includes('rebalanced')) continue;
        const parts = [...line.slice(line.lastIndexOf('): ') + 3).matchAll(partRe)].map((x) => Number(x[1]));
        if (/incremental assignment/.test(line)) for (const p of parts) owned.add(p);
        else if (/incremental revoke/.test(line)) for (const p of parts) owned.delete(p);
        else if (/\): assigned: /.test(line)) {
          owned.clear();
          for (const p of parts) owned.add(p);
        } else if (/\): revoked: /.test(line)) owned.clear();
      }
      return [...owned].sort((a, b) => a - b);
    },
    rebalances: () => (err.match(/rebalanced/g) ?? []).length,
    lines: () => err.split('\n').filter((l) => l.includes('rebalanced')),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

const kcatChildren = new Set<ChildProcess>();
afterAll(() => {
  for (const c of kcatChildren) c.kill('SIGKILL');
});
process.once('exit', () => {
  for (const c of kcatChildren) c.kill('SIGKILL');
});
