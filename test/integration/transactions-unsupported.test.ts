// Integration: transactional producers (issue 12, bug 11). Until transactions exist,
// InitProducerId answers a transactional id with UNSUPPORTED_VERSION — a clear, non-retriable
// "not supported" the clients surface at once (no retry loop, no hang) — and the broker logs
// one warning per refused request. TRANSACTIONAL_ID_AUTHORIZATION_FAILED (the old answer) sent
// users hunting for ACL problems. Idempotent producers on the same broker keep working.
import { Producer as PlatformaticProducer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { expectKafkaError } from '../helpers/errors.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;

beforeAll(async () => {
  broker = await startBroker();
});

afterAll(async () => {
  await broker?.stop();
});

/** Warning lines the broker logged for refused transactional ids. */
function refusals(transactionalId: string): Array<Record<string, unknown>> {
  return broker.logLines().filter((l) => l.transactionalId === transactionalId && l.level === 40 && /transactions are not supported/.test(String(l.msg)));
}

/** Bound on how long a client may take to give up: no retry-with-backoff loop. */
const GIVE_UP_WITHIN_MS = 5_000;

describe('transactional producers are refused clearly', () => {
  it('KafkaJS: transaction() fails at once with UNSUPPORTED_VERSION; the broker logs one warning', async () => {
    const transactionalId = uniqueTopic('txid');
    const producer = kafkaClient(broker.bootstrap).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const started = Date.now();
      const err = await expectKafkaError(producer.transaction(), 'UNSUPPORTED_VERSION');
      expect(Date.now() - started).toBeLessThan(GIVE_UP_WITHIN_MS);
      expect((err as { retriable?: boolean }).retriable).toBe(false);
      await waitFor(() => refusals(transactionalId).length === 1, { timeoutMs: 5_000, what: 'the refusal warning' });
      expect(refusals(transactionalId)[0]).toMatchObject({ api: 'InitProducerId', clientId: 'strata-test' });
    } finally {
      await producer.disconnect();
    }
  });

  it('@platformatic/kafka: beginTransaction() fails at once with UNSUPPORTED_VERSION', async () => {
    const transactionalId = uniqueTopic('txid');
    const producer = new PlatformaticProducer({
      clientId: 'strata-test-platformatic',
      bootstrapBrokers: [broker.bootstrap],
      idempotent: true,
      transactionalId,
      acks: ProduceAcks.ALL,
      serializers: stringSerializers,
      retries: 3,
      retryDelay: 500,
    });
    try {
      const started = Date.now();
      const err = await producer.beginTransaction().then(
        () => null,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(GIVE_UP_WITHIN_MS);
      // platformatic surfaces the InitProducerId response it refused (error code 35).
      expect(err).toMatchObject({ code: 'PLT_KFK_RESPONSE', response: { errorCode: 35 } });
      await waitFor(() => refusals(transactionalId).length >= 1, { timeoutMs: 5_000, what: 'the refusal warning' });
    } finally {
      await producer.close();
    }
  });

  it('an idempotent KafkaJS producer on the same broker still produces', async () => {
    const topic = uniqueTopic();
    await createTopicOn(broker.bootstrap, topic, 1);
    const producer = kafkaClient(broker.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const [r] = await producer.send({ topic, acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
      expect([r!.errorCode, r!.baseOffset]).toEqual([0, '0']);
    } finally {
      await producer.disconnect();
    }
  });
});
