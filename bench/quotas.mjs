// Thread: main (bench). Client quotas (issue 18): a throttled and an unthrottled client in the
// same run, on one fresh broker with the default quota windows (quota.window.num=11 ×
// quota.window.size.seconds=1, unless --window-num is given):
//   produce   two KafkaJS producers sending --message-kib messages, 4 per send, as fast as
//             they can for --duration-s: client id `throttled` under producer_byte_rate =
//             --quota-kib KiB/s, client id `free` without a quota;
//   consume   a --backlog-mib backlog read by two KafkaJS consumers (own groups): `throttled`
//             under consumer_byte_rate = --quota-kib KiB/s for --duration-s, `free` until it has
//             read everything.
// Rates are given over the whole run and over its second half (after Kafka's burst allowance
// of about window-num − 1 seconds' worth is spent: the steady state). Quotas are set with
// `strata quotas set` (AlterClientQuotas). Prints the figures and writes
// bench/results/quotas-<timestamp>.json. Bounded: every phase stops at --timeout-s.
//
// Usage: npm run build && node bench/quotas.mjs [--quota-kib=1024] [--duration-s=24]
//        [--message-kib=16] [--backlog-mib=64] [--window-num=11] [--timeout-s=120]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { isMain, parseArgs, sleep } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { machineInfo, REPO_DIR, round, writeResult } from './lib/results.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const DEFAULTS = { 'quota-kib': 1024, 'duration-s': 24, 'message-kib': 16, 'backlog-mib': 64, 'window-num': 11, 'timeout-s': 120 };
const KiB = 1024;

function strata(args) {
  execFileSync(process.execPath, [path.join(REPO_DIR, 'dist', 'src', 'cli', 'strata.js'), ...args], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
}

/** Bytes over time → KiB/s over the whole run and over its second half. */
function rates(samples, startMs, endMs) {
  const total = samples.reduce((s, x) => s + x.bytes, 0);
  const mid = startMs + (endMs - startMs) / 2;
  const late = samples.filter((x) => x.at >= mid).reduce((s, x) => s + x.bytes, 0);
  return { bytes: total, seconds: round((endMs - startMs) / 1000, 2), kibPerSec: round(total / KiB / ((endMs - startMs) / 1000), 1), steadyKibPerSec: round(late / KiB / ((endMs - mid) / 1000), 1) };
}

async function producePhase(kafka, topic, clientId, opts, deadline) {
  const producer = kafka(clientId).producer();
  await producer.connect();
  const value = randomBytes(opts['message-kib'] * KiB);
  const samples = [];
  const start = Date.now();
  try {
    while (Date.now() - start < opts['duration-s'] * 1000 && Date.now() < deadline) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 4 }, () => ({ value })) });
      samples.push({ at: Date.now(), bytes: 4 * value.length });
    }
  } finally {
    await producer.disconnect();
  }
  return rates(samples, start, Date.now());
}

async function consumePhase(kafka, topic, clientId, opts, backlogBytes, deadline) {
  const consumer = kafka(clientId).consumer({ groupId: `bench-quotas-${clientId}-${topic}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const samples = [];
  let got = 0;
  let start = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (start === 0) start = Date.now();
      let bytes = 0;
      for (const m of batch.messages) bytes += m.value?.length ?? 0;
      got += bytes;
      samples.push({ at: Date.now(), bytes });
    },
  });
  try {
    const untilMs = () => (clientId === 'free' ? deadline : Math.min(deadline, (start || Date.now()) + opts['duration-s'] * 1000));
    while (Date.now() < untilMs() && got < backlogBytes) await sleep(50);
  } finally {
    await consumer.disconnect();
  }
  const end = samples.length > 0 ? samples[samples.length - 1].at : Date.now();
  return rates(samples, start || end, Math.max(end, (start || end) + 1));
}

export async function runQuotas(opts) {
  const broker = await startBroker({ config: { 'redis.url': '', 'group.initial.rebalance.delay.ms': 0, 'quota.window.num': opts['window-num'] } });
  const bootstrap = `${broker.host}:${broker.port}`;
  const kafka = (clientId) => new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 60_000 });
  const quotaBytes = opts['quota-kib'] * KiB;
  try {
    const admin = kafka('bench-admin').admin();
    await admin.connect();
    const produceTopic = `bench-quotas-p-${randomBytes(4).toString('hex')}`;
    const fetchTopic = `bench-quotas-f-${randomBytes(4).toString('hex')}`;
    await admin.createTopics({ topics: [{ topic: produceTopic, numPartitions: 2 }, { topic: fetchTopic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    strata(['quotas', 'set', '--client-id', 'throttled', '--producer-byte-rate', String(quotaBytes), '--consumer-byte-rate', String(quotaBytes), '--bootstrap-server', bootstrap]);

    const bound = () => Date.now() + opts['timeout-s'] * 1000;
    const [throttledProduce, freeProduce] = await Promise.all([producePhase(kafka, produceTopic, 'throttled', opts, bound()), producePhase(kafka, produceTopic, 'free', opts, bound())]);

    // The backlog, written by the unquoted client id.
    const filler = kafka('filler').producer();
    await filler.connect();
    const value = randomBytes(opts['message-kib'] * KiB);
    const backlogBytes = opts['backlog-mib'] * 1024 * KiB;
    for (let written = 0; written < backlogBytes; written += 16 * value.length) await filler.send({ topic: fetchTopic, messages: Array.from({ length: 16 }, () => ({ value })) });
    await filler.disconnect();
    const [throttledConsume, freeConsume] = await Promise.all([
      consumePhase(kafka, fetchTopic, 'throttled', opts, backlogBytes, bound()),
      consumePhase(kafka, fetchTopic, 'free', opts, backlogBytes, bound()),
    ]);
    return { quotaKibPerSec: opts['quota-kib'], produce: { throttled: throttledProduce, free: freeProduce }, consume: { throttled: throttledConsume, free: freeConsume } };
  } finally {
    await broker.stop();
  }
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const f = await runQuotas(opts);
  const row = (name, r) => `${name.padEnd(20)} ${String(r.kibPerSec).padStart(9)} KiB/s overall ${String(r.steadyKibPerSec).padStart(9)} KiB/s second half  (${round(r.bytes / KiB / 1024, 1)} MiB in ${r.seconds} s)`;
  console.log(`client quotas: ${opts['quota-kib']} KiB/s for client id "throttled", windows ${opts['window-num']} × 1 s, ${opts['message-kib']} KiB messages`);
  console.log(row('produce, throttled', f.produce.throttled));
  console.log(row('produce, free', f.produce.free));
  console.log(row('consume, throttled', f.consume.throttled));
  console.log(row('consume, free', f.consume.free));
  const file = writeResult('quotas', { options: opts, ...f, machine: machineInfo() });
  console.log(`wrote ${file}`);
}
