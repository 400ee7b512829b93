// Integration: KafkaJS producers (idempotent, acks=all, gzip and snappy via kafkajs-snappy)
// write keyed records with headers, null keys, null and empty values; kcat reads them back
// and they are compared byte-exact. A raw fetch checks the idempotent batches' producer
// fields. A KafkaJS consumer group reads what kcat wrote.
import type { Admin, Kafka, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { CompressionTypes, kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { kcatConsumeFormat, kcatConsumeJson, kcatProduce, type KcatRecord } from '../helpers/kcat.js';
import { withConnection } from '../helpers/raw-kafka.js';
import { fetch } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  // No initial rebalance delay: the consumer-group test need not wait 3 s for more members.
  broker = await startBroker({ args: ['--num.partitions=1', '--group.initial.rebalance.delay.ms=0'] });
  kafka = kafkaClient(broker.bootstrap);
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

const createTopic = (topic: string, numPartitions: number) => createTopicOn(broker.bootstrap, topic, numPartitions);

const text = (v: Buffer | string | null | undefined): string | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : v);

/** kcat -J headers are a flat [name, value, …] list. */
function flatHeaders(headers: Message['headers']): string[] {
  return Object.entries(headers ?? {}).flatMap(([k, v]) => [k, text(v as Buffer | string) ?? '']);
}

const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
] as const;

describe('idempotent producer', () => {
  it.each(CODECS)('%s: keyed records with headers round-trip byte-exact, in order per partition', async (codec, compression) => {
    const topic = uniqueTopic(codec);
    await createTopic(topic, 3);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const sent: Message[] = [];
      const acked: Array<{ partition: number; baseOffset: number }> = [];
      for (let round = 0; round < 5; round++) {
        const messages: Message[] = Array.from({ length: 30 }, (_, i) => ({
          key: `key-${(round * 30 + i) % 11}`,
          value: `v-${codec}-${round}-${i}-${'lorem ipsum '.repeat(i % 5)}`,
          headers: { 'trace-id': `t-${round}-${i}`, binary: Buffer.from([0x41, 0x42, 0x43]), empty: '' },
        }));
        const metadata = await producer.send({ topic, acks: -1, compression, messages });
        for (const m of metadata) {
          expect(m.errorCode).toBe(0);
        }
        sent.push(...messages);
        for (const m of metadata) acked.push({ partition: m.partition, baseOffset: Number(m.baseOffset) });
      }

      const consumed = await kcatConsumeJson(broker.bootstrap, topic);
      expect(consumed).toHaveLength(sent.length);
      const partitionOfKey = new Map<string, number>();
      for (const r of consumed) {
        const prev = partitionOfKey.get(r.key!);
        if (prev !== undefined) expect(r.partition).toBe(prev);
        partitionOfKey.set(r.key!, r.partition);
      }
      for (const partition of new Set(consumed.map((r) => r.partition))) {
        const got = consumed.filter((r) => r.partition === partition).sort((a, b) => a.offset - b.offset);
        const want = sent.filter((m) => partitionOfKey.get(text(m.key)!) === partition);
        expect(got.map((r) => r.offset)).toEqual(want.map((_, i) => i));
        expect(got.map((r) => [r.key, r.payload, r.headers])).toEqual(
          want.map((m) => [text(m.key), text(m.value), flatHeaders(m.headers)]),
        );
      }
      // Every acknowledged baseOffset starts a run of records in its partition.
      for (const a of acked) {
        expect(consumed.some((r) => r.partition === a.partition && r.offset === a.baseOffset)).toBe(true);
      }
    } finally {
      await producer.disconnect();
    }
  });

  it('null keys, null values and empty values', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [
          { value: 'no-key' },
          { key: 'tombstone', value: null },
          { key: 'empty', value: '' },
          { key: '', value: 'empty-key' },
          { key: null, value: null },
          { key: 'bin', value: Buffer.from([0x00, 0x01, 0xfe, 0xff]) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const consumed = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0, count: 5 });
    expect(consumed.map((r) => [r.offset, r.key, r.payload])).toEqual([
      [0, null, 'no-key'],
      [1, 'tombstone', null],
      [2, 'empty', ''],
      [3, '', 'empty-key'],
      [4, null, null],
    ]);
    // Binary value byte-exact: %s writes the raw bytes.
    const raw = await kcatConsumeFormat(broker.bootstrap, topic, '%s', { partition: 0, offset: 5 });
    expect(raw.stdoutBytes.equals(Buffer.from([0x00, 0x01, 0xfe, 0xff]))).toBe(true);
  });

  it('writes producer id, epoch and consecutive sequences into its batches', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 4; i++) {
        await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: [{ value: `a${i}` }, { value: `b${i}` }, { value: `c${i}` }] });
      }
    } finally {
      await producer.disconnect();
    }
    await withConnection(broker.host, broker.port, async (c) => {
      const f = await fetch(c, topic, 0, 0);
      expect(f.errorCode).toBe(ErrorCode.NONE);
      expect(f.highWatermark).toBe(12n);
      expect(f.batches).toHaveLength(4);
      const pid = f.batches[0]!.producerId;
      expect(pid).toBeGreaterThanOrEqual(0);
      expect(f.batches.map((b) => [b.baseOffset, b.producerId, b.producerEpoch, b.baseSequence, b.records.length])).toEqual([
        [0, pid, 0, 0, 3],
        [3, pid, 0, 3, 3],
        [6, pid, 0, 6, 3],
        [9, pid, 0, 9, 3],
      ]);
      expect(f.batches.flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(
        [0, 1, 2, 3].flatMap((i) => [`a${i}`, `b${i}`, `c${i}`]),
      );
    });
  });

  it('two idempotent producers get different producer ids and interleave cleanly', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const p1 = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const p2 = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([p1.connect(), p2.connect()]);
    try {
      await Promise.all(
        [p1, p2].map(async (p, n) => {
          for (let i = 0; i < 20; i++) await p.send({ topic, acks: -1, messages: [{ key: `p${n}`, value: `p${n}-${i}` }] });
        }),
      );
    } finally {
      await Promise.all([p1.disconnect(), p2.disconnect()]);
    }
    const consumed = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0 });
    expect(consumed.map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const n of [0, 1]) {
      expect(consumed.filter((r) => r.key === `p${n}`).map((r) => r.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `p${n}-${i}`));
    }
  });
});

describe('plain producer', () => {
  it('acks=1 and sendBatch across topics', async () => {
    const a = uniqueTopic('a');
    const b = uniqueTopic('b');
    await createTopic(a, 1);
    await createTopic(b, 2);
    const producer = kafka.producer();
    await producer.connect();
    try {
      const result = await producer.sendBatch({
        acks: 1,
        compression: CompressionTypes.Snappy,
        topicMessages: [
          { topic: a, messages: [{ value: 'a1' }, { value: 'a2' }] },
          { topic: b, messages: [{ partition: 1, value: 'b1' }] },
        ],
      });
      expect(result.every((r) => r.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }
    expect((await kcatConsumeJson(broker.bootstrap, a)).map((r) => r.payload)).toEqual(['a1', 'a2']);
    expect((await kcatConsumeJson(broker.bootstrap, b)).map((r: KcatRecord) => [r.partition, r.offset, r.payload])).toEqual([[1, 0, 'b1']]);
  });
});

describe('consumer group', () => {
  it('a KafkaJS consumer group reads every record kcat wrote (snappy, headers), in order per partition', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 2);
    const lines = Array.from({ length: 40 }, (_, i) => `k${i % 4}\tvalue-${i}`);
    // snappy: KafkaJS decodes it through kafkajs-snappy (it has no lz4/zstd codec registered).
    await kcatProduce(broker.bootstrap, topic, lines.join('\n') + '\n', { keyDelimiter: '\t', compression: 'snappy', headers: [['origin', 'kcat']] });

    const consumer = kafka.consumer({ groupId: uniqueTopic('group'), sessionTimeout: 10_000, heartbeatInterval: 500 });
    const received: Array<{ partition: number; offset: number; key: string | null; value: string | null; origin: string | null }> = [];
    let crashed: unknown;
    consumer.on(consumer.events.CRASH, (e) => {
      crashed = e.payload.error;
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({
            partition,
            offset: Number(message.offset),
            key: text(message.key),
            value: text(message.value),
            origin: text(message.headers?.origin as Buffer | undefined),
          });
        },
      });
      await waitFor(
        () => {
          if (crashed) throw crashed;
          return received.length >= 40;
        },
        { timeoutMs: 30_000, what: `40 records through the consumer group (got ${received.length})` },
      );
    } finally {
      await consumer.disconnect();
    }
    expect(crashed).toBeUndefined();
    expect(received).toHaveLength(40);
    expect(received.every((r) => r.origin === 'kcat')).toBe(true);
    const kcat = await kcatConsumeJson(broker.bootstrap, topic);
    for (const partition of [0, 1]) {
      expect(received.filter((r) => r.partition === partition).map((r) => [r.offset, r.key, r.value])).toEqual(
        kcat.filter((r) => r.partition === partition).sort((x, y) => x.offset - y.offset).map((r) => [r.offset, r.key, r.payload]),
      );
    }
  });
});
