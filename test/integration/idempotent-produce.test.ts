// Integration: idempotent produce at the wire level (what KafkaJS/Java/librdkafka rely on
// when they retry): InitProducerId, a duplicate batch is acknowledged with its original
// offset and not appended again, a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER, an older
// epoch is fenced, and the producer state survives a clean restart and a kill -9.
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { withConnection, type RawKafkaConnection } from '../helpers/raw-kafka.js';
import { fetch, initProducerId, produce } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;

beforeAll(async () => {
  broker = await startBroker({ args: ['--num.partitions=1'] });
});

const createTopic = (topic: string) => createTopicOn(broker.bootstrap, topic, 1);

interface Producer {
  producerId: number;
  producerEpoch: number;
}

function idempotentBatch(p: Producer, baseSequence: number, values: string[]): Buffer {
  return encodeRecordBatch({
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    baseSequence,
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
  });
}

async function values(c: RawKafkaConnection, topic: string): Promise<string[]> {
  const f = await fetch(c, topic, 0, 0);
  expect(f.errorCode).toBe(ErrorCode.NONE);
  return f.batches.flatMap((b) => b.records.map((r) => r.value!.toString()));
}

async function newProducer(c: RawKafkaConnection): Promise<Producer> {
  const init = await initProducerId(c);
  expect(init.errorCode).toBe(ErrorCode.NONE);
  expect(init.producerId).toBeGreaterThanOrEqual(0n);
  return { producerId: Number(init.producerId), producerEpoch: init.producerEpoch };
}

describe('idempotent produce', () => {
  it('InitProducerId hands out distinct producer ids', async () => {
    await withConnection(broker.host, broker.port, async (c) => {
      const a = await newProducer(c);
      const b = await newProducer(c);
      expect(a.producerId).not.toBe(b.producerId);
      expect(a.producerEpoch).toBeGreaterThanOrEqual(0);
    });
  });

  it('a duplicate batch gets its original offset and is not appended again; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const topic = uniqueTopic();
    await createTopic(topic);
    await withConnection(broker.host, broker.port, async (c) => {
      const p = await newProducer(c);
      const first = idempotentBatch(p, 0, ['a', 'b', 'c']);
      const r1 = await produce(c, topic, 0, first);
      expect([r1.errorCode, r1.baseOffset]).toEqual([ErrorCode.NONE, 0n]);
      const r2 = await produce(c, topic, 0, idempotentBatch(p, 3, ['d', 'e']));
      expect([r2.errorCode, r2.baseOffset]).toEqual([ErrorCode.NONE, 3n]);

      // Retries of either of the last batches: acknowledged with the original offsets.
      const dupLast = await produce(c, topic, 0, idempotentBatch(p, 3, ['d', 'e']));
      expect([dupLast.errorCode, dupLast.baseOffset]).toEqual([ErrorCode.NONE, 3n]);
      const dupFirst = await produce(c, topic, 0, first);
      expect([dupFirst.errorCode, dupFirst.baseOffset]).toEqual([ErrorCode.NONE, 0n]);
      expect(await values(c, topic)).toEqual(['a', 'b', 'c', 'd', 'e']);

      // A gap (next expected sequence is 5).
      const gap = await produce(c, topic, 0, idempotentBatch(p, 9, ['x']));
      expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      expect(await values(c, topic)).toEqual(['a', 'b', 'c', 'd', 'e']);

      // The right next sequence still works.
      const next = await produce(c, topic, 0, idempotentBatch(p, 5, ['f']));
      expect([next.errorCode, next.baseOffset]).toEqual([ErrorCode.NONE, 5n]);
    });
  });

  it('a bumped epoch restarts at sequence 0 and fences the older epoch', async () => {
    const topic = uniqueTopic();
    await createTopic(topic);
    await withConnection(broker.host, broker.port, async (c) => {
      const p = await newProducer(c);
      expect((await produce(c, topic, 0, idempotentBatch(p, 0, ['e0-a', 'e0-b']))).errorCode).toBe(ErrorCode.NONE);
      const bumped = { ...p, producerEpoch: p.producerEpoch + 1 };
      const r = await produce(c, topic, 0, idempotentBatch(bumped, 0, ['e1-a']));
      expect([r.errorCode, r.baseOffset]).toEqual([ErrorCode.NONE, 2n]);
      const stale = await produce(c, topic, 0, idempotentBatch(p, 2, ['e0-c']));
      expect(stale.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
      expect(await values(c, topic)).toEqual(['e0-a', 'e0-b', 'e1-a']);
    });
  });

  it('producer state survives a clean restart and a kill -9: duplicates are still recognised', async () => {
    const topic = uniqueTopic();
    await createTopic(topic);
    let p!: Producer;
    const batch0 = (q: Producer) => idempotentBatch(q, 0, ['r0', 'r1']);
    const batch1 = (q: Producer) => idempotentBatch(q, 2, ['r2']);
    const batch2 = (q: Producer) => idempotentBatch(q, 3, ['r3', 'r4']);
    await withConnection(broker.host, broker.port, async (c) => {
      p = await newProducer(c);
      expect((await produce(c, topic, 0, batch0(p))).errorCode).toBe(ErrorCode.NONE);
      expect((await produce(c, topic, 0, batch1(p))).errorCode).toBe(ErrorCode.NONE);
    });

    expect((await broker.stop('SIGTERM')).code).toBe(0);
    await broker.restart();
    await withConnection(broker.host, broker.port, async (c) => {
      const dup = await produce(c, topic, 0, batch1(p));
      expect([dup.errorCode, dup.baseOffset]).toEqual([ErrorCode.NONE, 2n]);
      const gap = await produce(c, topic, 0, idempotentBatch(p, 7, ['gap']));
      expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      const r = await produce(c, topic, 0, batch2(p));
      expect([r.errorCode, r.baseOffset]).toEqual([ErrorCode.NONE, 3n]);
    });

    await broker.kill9();
    await broker.restart();
    await withConnection(broker.host, broker.port, async (c) => {
      const dup = await produce(c, topic, 0, batch2(p));
      expect([dup.errorCode, dup.baseOffset]).toEqual([ErrorCode.NONE, 3n]);
      expect(await values(c, topic)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      // New producer ids after a restart do not collide with the old one.
      const q = await newProducer(c);
      expect(q.producerId).not.toBe(p.producerId);
    });
  });
});
