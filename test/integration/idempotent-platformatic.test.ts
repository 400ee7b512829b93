// Integration: idempotent @platformatic/kafka producers (issue 12, bug 1). Producer A sends 400
// records over a 4-partition topic and closes; a new producer B sends 100 more. B used to fail
// (UNKNOWN_SERVER_ERROR / OUT_OF_ORDER_SEQUENCE_NUMBER): platformatic sends InitProducerId with
// producerId 0 / epoch 0 instead of -1 / -1, and Strata answered with an "epoch bump" of
// producer 0, so both producers were producer 0 at epoch 1 and B's sequence 0 collided with
// A's state. Every record must be in the log exactly once, in order per partition.
import { Admin, Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { withConnection, type RawKafkaConnection } from '../helpers/raw-kafka.js';
import { fetch } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

const PARTITIONS = 4;

let broker: BrokerHandle;

beforeAll(async () => {
  broker = await startBroker();
});

afterAll(async () => {
  await broker?.stop();
});

function producer(clientId: string): Producer<string, string, string, string> {
  return new Producer({
    clientId,
    bootstrapBrokers: [broker.bootstrap],
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: stringSerializers,
    retries: 2,
    retryDelay: 100,
    timeout: 10_000,
  });
}

async function createTopic(topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'strata-test-admin', bootstrapBrokers: [broker.bootstrap], retries: 2, retryDelay: 100 });
  try {
    await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Sends values[from, to) in sends of `perSend` messages, `partition: i % 4`, one send at a time. */
async function sendRange(p: Producer<string, string, string, string>, topic: string, from: number, to: number, perSend: number): Promise<void> {
  for (let start = from; start < to; start += perSend) {
    const messages = [];
    for (let i = start; i < Math.min(to, start + perSend); i++) messages.push({ topic, value: `v${i}`, partition: i % PARTITIONS });
    await p.send({ messages });
  }
}

/** Every value of one partition, in log order (whole log, paging by offset). */
async function partitionValues(c: RawKafkaConnection, topic: string, partition: number): Promise<string[]> {
  const out: string[] = [];
  let offset = 0;
  for (;;) {
    const f = await fetch(c, topic, partition, offset);
    expect(f.errorCode).toBe(ErrorCode.NONE);
    if (f.batches.length === 0) return out;
    for (const b of f.batches) {
      b.records.forEach((r) => out.push(r.value!.toString()));
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
}

async function expectExactlyOnceInOrder(topic: string, total: number): Promise<void> {
  await withConnection(broker.host, broker.port, async (c) => {
    for (let p = 0; p < PARTITIONS; p++) {
      const expected: string[] = [];
      for (let i = p; i < total; i += PARTITIONS) expected.push(`v${i}`);
      expect(await partitionValues(c, topic, p)).toEqual(expected);
    }
  });
}

describe('idempotent @platformatic/kafka producers', () => {
  for (const perSend of [1, 40, 400]) {
    it(`a second producer after a closed one appends every record exactly once (${perSend} per send)`, async () => {
      const topic = uniqueTopic(`per-send-${perSend}`);
      await createTopic(topic);

      const a = producer('producer-a');
      try {
        await sendRange(a, topic, 0, 400, perSend);
      } finally {
        await a.close();
      }
      const b = producer('producer-b');
      try {
        await sendRange(b, topic, 400, 500, Math.min(perSend, 100));
        expect(b.producerId).not.toBe(a.producerId);
      } finally {
        await b.close();
      }
      await expectExactlyOnceInOrder(topic, 500);
    });
  }

  it('two producers alive at once each get their own producer id and interleave cleanly', async () => {
    const topic = uniqueTopic();
    await createTopic(topic);
    const a = producer('producer-a');
    const b = producer('producer-b');
    try {
      await sendRange(a, topic, 0, 8, 8);
      await sendRange(b, topic, 8, 16, 8);
      await sendRange(a, topic, 16, 24, 8);
      expect(a.producerId).not.toBe(b.producerId);
    } finally {
      await a.close();
      await b.close();
    }
    await expectExactlyOnceInOrder(topic, 24);
  });
});
