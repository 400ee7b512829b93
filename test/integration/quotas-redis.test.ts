// Integration: client quotas shared through Redis (the test Redis, a fresh key prefix per run).
// The store: two RedisQuotaStore instances see each other's writes through the version poll,
// and stray fields under the prefix are ignored. Two broker processes on one prefix: a quota
// set through one is described and enforced by the other without a restart, and removed
// through the other it is gone on the first.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alterClientQuotasApi,
  decodeAlterClientQuotasResponse,
  decodeDescribeClientQuotasResponse,
  decodeProduceResponse,
  describeClientQuotasApi,
  encodeAlterClientQuotasRequest,
  encodeDescribeClientQuotasRequest,
  encodeProduceRequest,
} from '../../src/protocol/generated/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { entityKey } from '../../src/quotas/quota-entity.js';
import { RedisQuotaStore } from '../../src/quotas/redis-quota-store.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { deleteRedisPrefix, GROUP_TEST_FLAGS, redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { produceRequestBody } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

const url = redisUrl();
const prefix = uniqueRedisPrefix();
const stores: RedisQuotaStore[] = [];
let a: BrokerHandle;
let b: BrokerHandle;

async function openStore(): Promise<RedisQuotaStore> {
  const s = new RedisQuotaStore({ url, keyPrefix: prefix, commandTimeoutMs: 2000, pollIntervalMs: 100 });
  await s.start();
  stores.push(s);
  return s;
}

async function onBroker<T>(broker: BrokerHandle, fn: (c: RawKafkaConnection) => Promise<T>): Promise<T> {
  const c = await RawKafkaConnection.connect(broker.host, broker.port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

const alterOn = (broker: BrokerHandle, clientId: string, value: number | null) =>
  onBroker(broker, (c) =>
    c.request(alterClientQuotasApi.apiKey, 1, encodeAlterClientQuotasRequest, decodeAlterClientQuotasResponse, {
      validateOnly: false,
      entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key: 'producer_byte_rate', value: value ?? 0, remove: value === null }] }],
    }),
  );

const describeOn = (broker: BrokerHandle, clientId: string) =>
  onBroker(broker, (c) =>
    c.request(describeClientQuotasApi.apiKey, 1, encodeDescribeClientQuotasRequest, decodeDescribeClientQuotasResponse, {
      strict: true,
      components: [{ entityType: 'client-id', matchType: 0, match: clientId }],
    }),
  );

beforeAll(async () => {
  const flags = [...GROUP_TEST_FLAGS, `--redis.url=${url}`, `--redis.key.prefix=${prefix}`, '--quota.window.num=2', '--quota.max.throttle.ms=1000'];
  [a, b] = await Promise.all([startBroker({ args: flags }), startBroker({ args: flags })]);
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await deleteRedisPrefix(url, prefix);
});

describe('RedisQuotaStore', () => {
  it("sees another store's writes through its poll and ignores stray fields", async () => {
    const s1 = await openStore();
    const s2 = await openStore();
    const key = entityKey({ user: 'store-test', clientId: null });
    await s1.alter([{ entity: key, set: [['consumer_byte_rate', 1234], ['request_percentage', 7.5]], remove: [] }]);
    expect(s1.entries().get(key)).toEqual({ consumer_byte_rate: 1234, request_percentage: 7.5 });
    await waitFor(() => s2.entries().get(key)?.request_percentage === 7.5, { timeoutMs: 5_000, what: 'the second store loading the write' });
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    try {
      await r.hset(`${prefix}quotas:values`, 'garbage', '1', `${key}\nunknown_key`, '5', `${key}\nproducer_byte_rate`, 'NaN');
      await r.incr(`${prefix}quotas:version`);
    } finally {
      r.disconnect();
    }
    await s2.alter([{ entity: key, set: [], remove: ['request_percentage'] }]);
    await waitFor(() => s1.entries().get(key)?.request_percentage === undefined, { timeoutMs: 5_000, what: 'the removal reaching the first store' });
    expect(s1.entries().get(key)).toEqual({ consumer_byte_rate: 1234 });
    await s1.alter([{ entity: key, set: [], remove: ['consumer_byte_rate'] }]);
    expect(s1.entries().has(key)).toBe(false);
  });
});

describe('two brokers on one Redis', () => {
  it('a quota set through one broker is described and enforced by the other; removed there, it is gone on the first', async () => {
    const topic = uniqueTopic('quota-redis');
    await createTopicOn(b.bootstrap, topic, 1);
    const set = await alterOn(a, 'shared-slow', 1024);
    expect(set.entries[0]!.errorCode).toBe(0);
    const described = await describeOn(b, 'shared-slow');
    expect(described.entries).toEqual([{ entity: [{ entityType: 'client-id', entityName: 'shared-slow' }], values: [{ key: 'producer_byte_rate', value: 1024 }] }]);

    await onBroker(b, async (c) => {
      await waitFor(
        async () => {
          const { payload, correlationId } = c.buildRequest(0, 9, encodeProduceRequest, produceRequestBody(topic, 0, encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(16 * 1024) }] })), {
            clientId: 'shared-slow',
          });
          c.writeFrame(payload);
          const res = decodeProduceResponse(await c.readResponse(0, 9, correlationId, 10_000), 9);
          expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
          return res.throttleTimeMs > 0;
        },
        { timeoutMs: 10_000, what: 'broker B throttling the client id under the quota set through broker A' },
      );
    });

    expect((await alterOn(b, 'shared-slow', null)).entries[0]!.errorCode).toBe(0);
    expect((await describeOn(a, 'shared-slow')).entries).toEqual([]);
  });
});
