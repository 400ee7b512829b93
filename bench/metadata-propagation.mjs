// Thread: main (bench). Metadata propagation delay between brokers sharing the Redis metadata
// store (issue 15): two RedisMetadataStore instances (dist/) on one fresh key prefix of the
// Redis at REDIS_URL (default 127.0.0.1:6379), standing for two brokers. Two parts:
//
//   announced  --topics creations (then as many config alterations) through store A, one at a
//              time; the delay from A's write resolving to B's onChange for it (pub/sub message →
//              reload → diff), p50/p99/max.
//   silent     the same number of topics written straight into Redis (HSET + INCR version, no
//              PUBLISH), as if the change message were lost across a reconnect; the delay until B
//              holds the topic, found by the version poll (--poll-ms, the store's default 500);
//              each write waits a random fraction of the poll period first.
//
// Also the creation rate of one store (createTopic round trips, one at a time) and of two
// stores racing to create the same names (one topic per name). Every key under the prefix is
// removed at the end. Prints figures and writes bench/results/metadata-propagation-*.json.
//
// Usage: node bench/metadata-propagation.mjs [--topics=200] [--poll-ms=500]
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { isMain, parseArgs } from './lib/cli.mjs';
import { Histogram } from './lib/histogram.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';

const DEFAULTS = { topics: 200, 'poll-ms': 500 };

const { RedisMetadataStore } = await import('../dist/src/metadata/redis-metadata-store.js');

function summary(h) {
  return { count: h.count, p50Ms: round(h.percentile(50) / 1000, 2), p99Ms: round(h.percentile(99) / 1000, 2), maxMs: round(h.max / 1000, 2) };
}

async function open(url, keyPrefix, pollMs) {
  const s = new RedisMetadataStore({ url, keyPrefix, commandTimeoutMs: 2000, pollIntervalMs: pollMs });
  await s.start();
  return s;
}

/** Resolves when `store` reports `kind` for `name` (or holds the topic, for silent writes). */
function waitForChange(waiters, name) {
  return new Promise((resolve) => waiters.set(name, resolve));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `strata-bench-meta-${randomBytes(4).toString('hex')}:`;
  const a = await open(url, prefix, opts['poll-ms']);
  const b = await open(url, prefix, opts['poll-ms']);
  const raw = new Redis(url);
  const waiters = new Map();
  b.onChange((c) => {
    const key = `${c.kind}:${c.name}`;
    const w = waiters.get(key);
    if (w) {
      waiters.delete(key);
      w(performance.now());
    }
  });
  const result = { machine: machineInfo(), settings: opts };
  try {
    // announced: creations, then alterations
    const created = new Histogram();
    const altered = new Histogram();
    let started = performance.now();
    for (let i = 0; i < opts.topics; i++) {
      const seen = waitForChange(waiters, `created:t${i}`);
      await a.createTopic(`t${i}`, 1, {});
      const at = performance.now();
      created.record(((await seen) - at) * 1000);
    }
    const createRate = opts.topics / ((performance.now() - started) / 1000);
    for (let i = 0; i < opts.topics; i++) {
      const seen = waitForChange(waiters, `altered:t${i}`);
      await a.setTopicConfigs(`t${i}`, { 'retention.ms': String(i + 1) });
      const at = performance.now();
      altered.record(((await seen) - at) * 1000);
    }
    // silent: straight into Redis, no message
    const silent = new Histogram();
    for (let i = 0; i < opts.topics; i++) {
      const name = `s${i}`;
      // At a random phase of the poll: back to back, every write would land just after a poll.
      await new Promise((r) => setTimeout(r, Math.random() * opts['poll-ms']));
      const seen = waitForChange(waiters, `created:${name}`);
      const record = { topicId: randomBytes(16).toString('hex'), partitions: 1, configs: {}, createdAtMs: Date.now() };
      await raw.multi().hset(`${prefix}meta:topics`, name, JSON.stringify(record)).incr(`${prefix}meta:version`).exec();
      const at = performance.now();
      silent.record(((await seen) - at) * 1000);
    }
    // racing creations of the same names through both stores
    started = performance.now();
    let winners = 0;
    for (let i = 0; i < opts.topics; i++) {
      const outcomes = await Promise.all([a.createTopic(`r${i}`, 1, {}), b.createTopic(`r${i}`, 1, {})]);
      winners += outcomes.filter((o) => o.created).length;
    }
    const raceRate = opts.topics / ((performance.now() - started) / 1000);
    result.announced = { created: summary(created), altered: summary(altered) };
    result.silent = summary(silent);
    result.createsPerSecond = round(createRate, 0);
    result.racedNamesPerSecond = round(raceRate, 0);
    result.racedWinners = winners;
    console.log(`announced create → seen by the other store: p50 ${result.announced.created.p50Ms} ms, p99 ${result.announced.created.p99Ms} ms, max ${result.announced.created.maxMs} ms (${created.count} topics)`);
    console.log(`announced alter  → seen by the other store: p50 ${result.announced.altered.p50Ms} ms, p99 ${result.announced.altered.p99Ms} ms, max ${result.announced.altered.maxMs} ms`);
    console.log(`silent write (message lost) → found by the ${opts['poll-ms']} ms poll: p50 ${result.silent.p50Ms} ms, p99 ${result.silent.p99Ms} ms, max ${result.silent.maxMs} ms`);
    console.log(`createTopic one at a time: ${result.createsPerSecond}/s; two stores racing per name: ${result.racedNamesPerSecond} names/s, ${winners} winners for ${opts.topics} names`);
  } finally {
    await a.close();
    await b.close();
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await raw.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    raw.disconnect();
  }
  const file = writeResult('metadata-propagation', result);
  console.log(`wrote ${file}`);
}

if (isMain(import.meta.url)) main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
