// Thread: main (bench). REST proxy throughput (issue 17) beside the Kafka protocol's in the
// same run, on one fresh broker: --records records with JSON values of --value-bytes bytes,
//   REST produce     --callers concurrent callers POSTing --batch records per request
//                    (application/vnd.kafka.json.v2+json, unkeyed), acks=all;
//   REST consume     one v2 consumer instance (json format, earliest) polling GET …/records
//                    until every record came back (max_bytes 8 MiB per poll);
//   Kafka produce    KafkaJS, --callers concurrent send() calls of --batch messages, acks=-1;
//   Kafka consume    one KafkaJS consumer (eachBatch) until every record came back.
// Prints records/s and MB/s and writes bench/results/rest-throughput-<timestamp>.json.
// Bounded: every phase stops at --timeout-s. Figures are printed, never asserted.
//
// Usage: npm run build && node bench/rest-throughput.mjs [--records=100000] [--batch=500]
//        [--callers=4] [--value-bytes=100] [--partitions=6] [--timeout-s=120]
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { isMain, parseArgs } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const DEFAULTS = { records: 100_000, batch: 500, callers: 4, 'value-bytes': 100, partitions: 6, 'timeout-s': 120 };

/** A JSON value whose text is exactly `bytes` long: {"i":N,"p":"xxxx"}. */
export function jsonValue(i, bytes) {
  const head = `{"i":${i},"p":"`;
  const pad = Math.max(0, bytes - head.length - 2);
  return JSON.parse(`${head}${'x'.repeat(pad)}"}`);
}

function figure(records, bytes, ms) {
  return { records, ms: round(ms, 1), recordsPerSec: Math.round((records * 1000) / ms), mbPerSec: round(bytes / 1e6 / (ms / 1000), 2) };
}

function deadlineCheck(deadline, what) {
  if (Date.now() > deadline) throw new Error(`${what}: over the --timeout-s bound`);
}

async function restProduce(base, topic, opts, deadline) {
  const { records, batch, callers } = opts;
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  const caller = async () => {
    while (next < records) {
      deadlineCheck(deadline, 'REST produce');
      const from = next;
      next = Math.min(records, next + batch);
      const body = JSON.stringify({ records: Array.from({ length: next - from }, (_, k) => ({ value: jsonValue(from + k, opts['value-bytes']) })) });
      bytes += (next - from) * opts['value-bytes'];
      const res = await fetch(`${base}/topics/${topic}`, { method: 'POST', headers: { 'content-type': 'application/vnd.kafka.json.v2+json' }, body, signal: AbortSignal.timeout(60_000) });
      const answer = await res.json();
      if (res.status !== 200 || answer.offsets.some((o) => o.error_code !== null)) throw new Error(`REST produce failed: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return figure(records, bytes, performance.now() - started);
}

async function restConsume(base, topic, opts, deadline) {
  const group = `bench-rest-${randomBytes(4).toString('hex')}`;
  const post = (path, body) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/vnd.kafka.v2+json' }, body: JSON.stringify(body) });
  const created = await post(`/consumers/${group}`, { name: 'bench', format: 'json', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
  if (created.status !== 200) throw new Error(`create instance: ${created.status} ${await created.text()}`);
  const instance = `/consumers/${group}/instances/bench`;
  await post(`${instance}/subscription`, { topics: [topic] });
  const started = performance.now();
  let got = 0;
  let bytes = 0;
  let polls = 0;
  while (got < opts.records) {
    deadlineCheck(deadline, 'REST consume');
    const res = await fetch(`${base}${instance}/records?timeout=1000&max_bytes=${8 * 1024 * 1024}`, { headers: { accept: 'application/vnd.kafka.json.v2+json' }, signal: AbortSignal.timeout(60_000) });
    if (res.status !== 200) throw new Error(`REST records: ${res.status} ${await res.text()}`);
    const records = await res.json();
    polls++;
    got += records.length;
    for (const r of records) bytes += JSON.stringify(r.value).length;
  }
  const result = { ...figure(got, bytes, performance.now() - started), polls };
  await fetch(`${base}${instance}`, { method: 'DELETE' });
  return result;
}

async function kafkaProduce(kafka, topic, opts, deadline) {
  const producer = kafka.producer();
  await producer.connect();
  const { records, batch, callers } = opts;
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  try {
    const caller = async () => {
      while (next < records) {
        deadlineCheck(deadline, 'Kafka produce');
        const from = next;
        next = Math.min(records, next + batch);
        const messages = Array.from({ length: next - from }, (_, k) => ({ value: JSON.stringify(jsonValue(from + k, opts['value-bytes'])) }));
        bytes += (next - from) * opts['value-bytes'];
        await producer.send({ topic, acks: -1, messages });
      }
    };
    await Promise.all(Array.from({ length: callers }, caller));
    return figure(records, bytes, performance.now() - started);
  } finally {
    await producer.disconnect();
  }
}

async function kafkaConsume(kafka, topic, opts, deadline) {
  const consumer = kafka.consumer({ groupId: `bench-kafka-${randomBytes(4).toString('hex')}`, maxBytes: 8 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let got = 0;
  let bytes = 0;
  let started = 0;
  let finished = 0;
  try {
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (Date.now() > deadline) reject(new Error('Kafka consume: over the --timeout-s bound'));
      }, 200);
      started = performance.now();
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              got++;
              bytes += m.value?.length ?? 0;
            }
            if (got >= opts.records) {
              finished = performance.now();
              clearInterval(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return figure(got, bytes, finished - started);
}

export async function runRestThroughput(opts) {
  let httpPort;
  const broker = await startBroker({
    config: { 'redis.url': '', 'group.initial.rebalance.delay.ms': 0 },
    onStdoutLine: (line) => {
      if (httpPort === undefined && line.includes('"broker ready"')) httpPort = JSON.parse(line).httpPort;
    },
  });
  const base = `http://127.0.0.1:${httpPort}`;
  const kafka = new Kafka({ clientId: 'bench-rest', brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const restTopic = `bench-rest-${randomBytes(4).toString('hex')}`;
    const kafkaTopic = `bench-kafka-${randomBytes(4).toString('hex')}`;
    await admin.createTopics({ topics: [restTopic, kafkaTopic].map((topic) => ({ topic, numPartitions: opts.partitions })), waitForLeaders: true });
    const bound = () => Date.now() + opts['timeout-s'] * 1000;
    const rest = { produce: await restProduce(base, restTopic, opts, bound()), consume: await restConsume(base, restTopic, opts, bound()) };
    const kafkaFigures = { produce: await kafkaProduce(kafka, kafkaTopic, opts, bound()), consume: await kafkaConsume(kafka, kafkaTopic, opts, bound()) };
    return { rest, kafka: kafkaFigures };
  } finally {
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
  }
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const figures = await runRestThroughput(opts);
  const row = (name, f) => `${name.padEnd(16)} ${String(f.recordsPerSec).padStart(9)} records/s ${String(f.mbPerSec).padStart(7)} MB/s  (${f.records} records in ${f.ms} ms)`;
  console.log(`REST proxy vs Kafka protocol: ${opts.records} records, ${opts['value-bytes']}-byte JSON values, ${opts.batch} per request, ${opts.callers} callers, ${opts.partitions} partitions`);
  console.log(row('REST produce', figures.rest.produce));
  console.log(row('Kafka produce', figures.kafka.produce));
  console.log(row('REST consume', figures.rest.consume));
  console.log(row('Kafka consume', figures.kafka.consume));
  const file = writeResult('rest-throughput', { options: opts, ...figures, machine: machineInfo() });
  console.log(`wrote ${file}`);
}
