// Integration: client quotas on a real broker process. DescribeClientQuotas/AlterClientQuotas
// round trips over raw TCP (defaults, combinations, validateOnly, bad keys and entities,
// filters); enforcement measured with real clients — a KafkaJS producer and consumer under a
// 256 KiB/s byte-rate quota held to it (generous tolerance) beside unquoted ones in the same
// run, a raw client over request_percentage throttled; muting (the next request on a throttled
// connection is answered only after the throttle time); quotas set and removed at run time
// applying without reconnecting. Short quota windows (3 × 1 s) so the steady state comes in
// seconds; every run is bounded in time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alterClientQuotasApi,
  decodeAlterClientQuotasResponse,
  decodeApiVersionsResponse,
  decodeDescribeClientQuotasResponse,
  decodeMetadataResponse,
  decodeProduceResponse,
  describeClientQuotasApi,
  encodeAlterClientQuotasRequest,
  encodeApiVersionsRequest,
  encodeDescribeClientQuotasRequest,
  encodeMetadataRequest,
  encodeProduceRequest,
  type AlterClientQuotasRequest,
  type DescribeClientQuotasRequest,
} from '../../src/protocol/generated/messages/index.js';
import type { Reader } from '../../src/protocol/reader.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import type { Writer } from '../../src/protocol/writer.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { produceRequestBody } from '../helpers/raw-requests.js';
import { strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

const QUOTA = 256 * 1024;
const MAX_THROTTLE_MS = 3_000;

let broker: BrokerHandle;

async function call<Req, Res>(
  c: RawKafkaConnection,
  apiKey: number,
  version: number,
  encode: (w: Writer, v: number, m: Req) => void,
  decode: (r: Reader, v: number) => Res,
  body: Req,
  clientId = 'quota-admin',
): Promise<Res> {
  const { payload, correlationId } = c.buildRequest(apiKey, version, encode, body, { clientId });
  c.writeFrame(payload);
  return decode(await c.readResponse(apiKey, version, correlationId, 20_000), version);
}

type Ent = Array<[string, string | null]>;
const entity = (e: Ent) => e.map(([entityType, entityName]) => ({ entityType, entityName }));

async function alter(entries: Array<{ entity: Ent; ops: Array<[string, number | null]> }>, validateOnly = false, version = 1) {
  const c = await RawKafkaConnection.connect(broker.host, broker.port);
  try {
    const body: AlterClientQuotasRequest = {
      validateOnly,
      entries: entries.map((e) => ({ entity: entity(e.entity), ops: e.ops.map(([key, v]) => ({ key, value: v ?? 0, remove: v === null })) })),
    };
    return await call(c, alterClientQuotasApi.apiKey, version, encodeAlterClientQuotasRequest, decodeAlterClientQuotasResponse, body);
  } finally {
    c.close();
  }
}

async function describeQuotas(components: Array<[string, number, string | null]>, strict = false, version = 1) {
  const c = await RawKafkaConnection.connect(broker.host, broker.port);
  try {
    const body: DescribeClientQuotasRequest = { strict, components: components.map(([entityType, matchType, match]) => ({ entityType, matchType, match })) };
    return await call(c, describeClientQuotasApi.apiKey, version, encodeDescribeClientQuotasRequest, decodeDescribeClientQuotasResponse, body);
  } finally {
    c.close();
  }
}

/** Entries as `user=a,client-id=<default> → {key: value}` for easy comparison. */
function flat(entries: Array<{ entity: Array<{ entityType: string; entityName: string | null }>; values: Array<{ key: string; value: number }> }> | null) {
  const out: Record<string, Record<string, number>> = {};
  for (const e of entries ?? []) out[e.entity.map((c) => `${c.entityType}=${c.entityName ?? '<default>'}`).join(',')] = Object.fromEntries(e.values.map((v) => [v.key, v.value]));
  return out;
}

async function setQuota(e: Ent, key: string, value: number | null) {
  const res = await alter([{ entity: e, ops: [[key, value]] }]);
  expect(res.entries.map((x) => x.errorCode)).toEqual([0]);
}

function produceFrame(c: RawKafkaConnection, topic: string, bytes: number, clientId: string) {
  const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(bytes, 7) }] });
  return c.buildRequest(0, 9, encodeProduceRequest, produceRequestBody(topic, 0, records), { clientId });
}

async function rawProduce(c: RawKafkaConnection, topic: string, bytes: number, clientId: string) {
  const { payload, correlationId } = produceFrame(c, topic, bytes, clientId);
  c.writeFrame(payload);
  const res = decodeProduceResponse(await c.readResponse(0, 9, correlationId, 20_000), 9);
  expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  return res;
}

beforeAll(async () => {
  broker = await startBroker({
    args: [...GROUP_TEST_FLAGS, '--redis.url=', '--quota.window.num=3', '--quota.window.size.seconds=1', `--quota.max.throttle.ms=${MAX_THROTTLE_MS}`],
  });
});

afterAll(async () => {
  await broker?.stop();
});

describe('DescribeClientQuotas / AlterClientQuotas', () => {
  it('round-trips quotas of users, client ids, defaults and combinations', async () => {
    const res = await alter([
      { entity: [['user', 'alice']], ops: [['producer_byte_rate', 1024], ['request_percentage', 12.5]] },
      { entity: [['user', null]], ops: [['consumer_byte_rate', 2048]] },
      { entity: [['user', 'alice'], ['client-id', 'app']], ops: [['producer_byte_rate', 4096]] },
      { entity: [['user', 'alice'], ['client-id', null]], ops: [['producer_byte_rate', 8192]] },
      { entity: [['client-id', null]], ops: [['consumer_byte_rate', 100_000]] },
    ]);
    expect(res.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual(Array(5).fill([0, null]));

    // v0 (non-flexible) reads the same.
    for (const version of [0, 1]) {
      const all = await describeQuotas([], false, version);
      expect(all.errorCode).toBe(0);
      expect(flat(all.entries)).toMatchObject({
        'user=alice': { producer_byte_rate: 1024, request_percentage: 12.5 },
        'user=<default>': { consumer_byte_rate: 2048 },
        'user=alice,client-id=app': { producer_byte_rate: 4096 },
        'user=alice,client-id=<default>': { producer_byte_rate: 8192 },
        'client-id=<default>': { consumer_byte_rate: 100_000 },
      });
    }
    // exact user, not strict: alice and her client-id combinations
    expect(Object.keys(flat((await describeQuotas([['user', 0, 'alice']])).entries)).sort()).toEqual(['user=alice', 'user=alice,client-id=<default>', 'user=alice,client-id=app']);
    // strict: alice alone
    expect(Object.keys(flat((await describeQuotas([['user', 0, 'alice']], true)).entries))).toEqual(['user=alice']);
    // default user
    expect(flat((await describeQuotas([['user', 1, null]], true)).entries)).toEqual({ 'user=<default>': { consumer_byte_rate: 2048 } });
    // any client id (named or default) together with alice
    expect(Object.keys(flat((await describeQuotas([['user', 0, 'alice'], ['client-id', 2, null]])).entries)).sort()).toEqual(['user=alice,client-id=<default>', 'user=alice,client-id=app']);
    // default client id alone, strict
    expect(flat((await describeQuotas([['client-id', 1, null]], true)).entries)).toEqual({ 'client-id=<default>': { consumer_byte_rate: 100_000 } });

    // remove one key, then the entity's last key: it disappears
    await setQuota([['user', 'alice']], 'request_percentage', null);
    expect(flat((await describeQuotas([['user', 0, 'alice']], true)).entries)).toEqual({ 'user=alice': { producer_byte_rate: 1024 } });
    await alter([
      { entity: [['user', 'alice']], ops: [['producer_byte_rate', null]] },
      { entity: [['user', null]], ops: [['consumer_byte_rate', null]] },
      { entity: [['user', 'alice'], ['client-id', 'app']], ops: [['producer_byte_rate', null]] },
      { entity: [['user', 'alice'], ['client-id', null]], ops: [['producer_byte_rate', null]] },
      { entity: [['client-id', null]], ops: [['consumer_byte_rate', null]] },
    ]);
    expect(flat((await describeQuotas([['user', 2, null]])).entries)).toEqual({});
  });

  it('validateOnly checks without storing; bad entries fail alone with INVALID_REQUEST', async () => {
    const dry = await alter([{ entity: [['client-id', 'dry']], ops: [['producer_byte_rate', 5000]] }], true);
    expect(dry.entries[0]!.errorCode).toBe(0);
    expect(flat((await describeQuotas([['client-id', 0, 'dry']])).entries)).toEqual({});

    const res = await alter([
      { entity: [['client-id', 'ok']], ops: [['producer_byte_rate', 5000]] },
      { entity: [['client-id', 'bad-key']], ops: [['connection_creation_rate', 5]] },
      { entity: [['client-id', 'fraction']], ops: [['producer_byte_rate', 1.5]] },
      { entity: [['client-id', 'negative']], ops: [['consumer_byte_rate', -1]] },
      { entity: [['ip', '10.0.0.1']], ops: [['producer_byte_rate', 5]] },
      { entity: [['topic', 'x']], ops: [['producer_byte_rate', 5]] },
      { entity: [['user', 'a'], ['user', 'b']], ops: [['producer_byte_rate', 5]] },
      { entity: [], ops: [['producer_byte_rate', 5]] },
    ]);
    expect(res.entries.map((e) => e.errorCode)).toEqual([0, 42, 42, 42, 42, 42, 42, 42]);
    expect(res.entries[1]!.errorMessage).toMatch(/connection_creation_rate/);
    expect(res.entries[1]!.entity).toEqual([{ entityType: 'client-id', entityName: 'bad-key' }]);
    const stored = flat((await describeQuotas([['client-id', 2, null]], true)).entries);
    expect(stored).toEqual({ 'client-id=ok': { producer_byte_rate: 5000 } });
    await setQuota([['client-id', 'ok']], 'producer_byte_rate', null);

    for (const bad of [
      [['user', 0, 'a'], ['user', 0, 'b']],
      [['nope', 2, null]],
      [['user', 0, null]],
      [['user', 9, null]],
      [['ip', 2, null], ['user', 2, null]],
    ] as Array<Array<[string, number, string | null]>>) {
      const d = await describeQuotas(bad);
      expect(d.errorCode).toBe(42);
      expect(d.entries).toBeNull();
      expect(d.errorMessage).toBeTruthy();
    }
  });

  it('strata quotas set / list / remove over the Kafka protocol', async () => {
    const bs = ['--bootstrap-server', broker.bootstrap];
    await strataOk(['quotas', 'set', '--user', 'carol', '--client-id', 'cli', '--producer-byte-rate', '1000', '--request-percentage', '50', ...bs]);
    await strataOk(['quotas', 'set', '--default-client-id', '--consumer-byte-rate', '777', ...bs]);
    expect(flat((await describeQuotas([['user', 0, 'carol']])).entries)).toEqual({ 'user=carol,client-id=cli': { producer_byte_rate: 1000, request_percentage: 50 } });
    const listed = await strataOk(['quotas', 'list', '--output', 'json', ...bs]);
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([
        { entity: { user: 'carol', 'client-id': 'cli' }, quotas: { producer_byte_rate: 1000, request_percentage: 50 } },
        { entity: { 'client-id': null }, quotas: { consumer_byte_rate: 777 } },
      ]),
    );
    const table = await strataOk(['quotas', 'list', '--user', 'carol', ...bs]);
    expect(table.stdout).toMatch(/carol\s+cli\s+producer_byte_rate=1000/);
    await strataOk(['quotas', 'remove', '--user', 'carol', '--client-id', 'cli', ...bs]);
    await strataOk(['quotas', 'remove', '--default-client-id', ...bs]);
    expect(flat((await describeQuotas([])).entries)).toEqual({});
  });
});

describe('enforcement', () => {
  it('holds a KafkaJS producer to producer_byte_rate while another client id runs unthrottled', async () => {
    const topic = uniqueTopic('quota-produce');
    await createTopicOn(broker.bootstrap, topic, 2);
    await setQuota([['client-id', 'slow']], 'producer_byte_rate', QUOTA);
    const throttleLogs: string[] = [];
    const logCreator = () => (entry: { log: { message: string } }) => {
      if (entry.log.message.includes('Client side throttling')) throttleLogs.push(entry.log.message);
    };
    const run = async (clientId: string, partition: number, logged: boolean) => {
      const producer = kafkaClient(broker.bootstrap, { clientId, requestTimeout: 30_000, ...(logged ? { logLevel: 5, logCreator } : {}) }).producer();
      await producer.connect();
      const value = Buffer.alloc(16 * 1024, 1);
      let bytes = 0;
      const start = Date.now();
      try {
        while (Date.now() - start < 6_000) {
          await producer.send({ topic, messages: Array.from({ length: 4 }, () => ({ value, partition })) });
          bytes += 4 * value.length;
        }
      } finally {
        await producer.disconnect();
      }
      return bytes / ((Date.now() - start) / 1000);
    };
    const [slow, fast] = await Promise.all([run('slow', 0, true), run('fast', 1, false)]);
    console.log(`producer rates: slow ${(slow / 1024).toFixed(0)} KiB/s, fast ${(fast / 1024).toFixed(0)} KiB/s (quota ${QUOTA / 1024} KiB/s)`);
    expect(slow).toBeGreaterThan(0.5 * QUOTA);
    expect(slow).toBeLessThan(1.6 * QUOTA);
    expect(fast).toBeGreaterThan(3 * QUOTA);
    expect(throttleLogs.length).toBeGreaterThan(0);
    const metrics = await scrapeMetrics(httpPortOf(broker));
    expect(metrics.get('strata_quota_throttle_seconds_count{quota_type="produce"}')).toBeGreaterThan(0);
    await setQuota([['client-id', 'slow']], 'producer_byte_rate', null);
  });

  it('holds a KafkaJS consumer to consumer_byte_rate while another client id reads at full speed', async () => {
    const topic = uniqueTopic('quota-fetch');
    await createTopicOn(broker.bootstrap, topic, 1);
    const producer = kafkaClient(broker.bootstrap, { clientId: 'filler' }).producer();
    await producer.connect();
    const value = Buffer.alloc(16 * 1024, 2);
    for (let i = 0; i < 32; i++) await producer.send({ topic, messages: Array.from({ length: 16 }, () => ({ value })) }); // 8 MiB
    await producer.disconnect();
    await setQuota([['client-id', 'slow-reader']], 'consumer_byte_rate', QUOTA);

    const run = async (clientId: string) => {
      const consumer = kafkaClient(broker.bootstrap, { clientId, requestTimeout: 30_000 }).consumer({ groupId: `g-${clientId}-${topic}`, maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let bytes = 0;
      let start = 0;
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (start === 0) start = Date.now();
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
        },
      });
      await waitFor(() => start > 0, { timeoutMs: 15_000 });
      await new Promise((resolve) => setTimeout(resolve, 6_000)); // the measurement window itself
      const measured = bytes / ((Date.now() - start) / 1000);
      await consumer.disconnect();
      return measured;
    };
    const [slow, fast] = await Promise.all([run('slow-reader'), run('fast-reader')]);
    console.log(`consumer rates: slow ${(slow / 1024).toFixed(0)} KiB/s, fast ${(fast / 1024).toFixed(0)} KiB/s (quota ${QUOTA / 1024} KiB/s)`);
    expect(slow).toBeGreaterThan(0.5 * QUOTA);
    expect(slow).toBeLessThan(1.6 * QUOTA);
    expect(fast).toBeGreaterThan(3 * QUOTA);
    const metrics = await scrapeMetrics(httpPortOf(broker));
    expect(metrics.get('strata_quota_throttle_seconds_count{quota_type="fetch"}')).toBeGreaterThan(0);
    await setQuota([['client-id', 'slow-reader']], 'consumer_byte_rate', null);
  });

  it('throttles a raw client over request_percentage, not another one', async () => {
    await setQuota([['client-id', 'busy']], 'request_percentage', 1);
    const run = async (clientId: string) => {
      const c = await RawKafkaConnection.connect(broker.host, broker.port);
      let n = 0;
      let maxThrottle = 0;
      const start = Date.now();
      try {
        while (Date.now() - start < 3_000) {
          const res = await call(c, 3, 12, encodeMetadataRequest, decodeMetadataResponse, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, clientId);
          maxThrottle = Math.max(maxThrottle, res.throttleTimeMs);
          n++;
        }
      } finally {
        c.close();
      }
      return { rate: n / ((Date.now() - start) / 1000), maxThrottle };
    };
    const [busy, free] = await Promise.all([run('busy'), run('free')]);
    console.log(`metadata requests/s: busy ${busy.rate.toFixed(0)} (max throttle ${busy.maxThrottle} ms), free ${free.rate.toFixed(0)}`);
    expect(busy.maxThrottle).toBeGreaterThan(0);
    expect(free.maxThrottle).toBe(0);
    expect(busy.rate).toBeLessThan(free.rate / 2);
    await setQuota([['client-id', 'busy']], 'request_percentage', null);
  });

  it('mutes a throttled connection: the next request is answered only after the throttle time', async () => {
    const topic = uniqueTopic('quota-mute');
    await createTopicOn(broker.bootstrap, topic, 1);
    await setQuota([['client-id', 'muted']], 'producer_byte_rate', 1024);
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    try {
      const res = await rawProduce(c, topic, 64 * 1024, 'muted');
      const answeredAt = Date.now();
      // 64 KiB against 1 KiB/s over a 2 s window: far over, so the cap applies
      expect(res.throttleTimeMs).toBe(MAX_THROTTLE_MS);
      const { payload, correlationId } = c.buildRequest(18, 3, encodeApiVersionsRequest, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, { clientId: 'muted' });
      c.writeFrame(payload);
      const versions = decodeApiVersionsResponse(await c.readResponse(18, 3, correlationId, 10_000), 3);
      const waited = Date.now() - answeredAt;
      expect(versions.errorCode).toBe(0);
      expect(waited).toBeGreaterThanOrEqual(MAX_THROTTLE_MS - 100);
      expect(waited).toBeLessThan(MAX_THROTTLE_MS + 2_000);
    } finally {
      c.close();
    }
    await setQuota([['client-id', 'muted']], 'producer_byte_rate', null);
  });

  it('applies quotas set and removed at run time without reconnecting', async () => {
    const topic = uniqueTopic('quota-dyn');
    await createTopicOn(broker.bootstrap, topic, 1);
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    try {
      expect((await rawProduce(c, topic, 32 * 1024, 'dyn')).throttleTimeMs).toBe(0);
      expect((await rawProduce(c, topic, 32 * 1024, 'dyn')).throttleTimeMs).toBe(0);
      await setQuota([['client-id', 'dyn']], 'producer_byte_rate', 1024);
      const throttled = await rawProduce(c, topic, 32 * 1024, 'dyn');
      expect(throttled.throttleTimeMs).toBeGreaterThan(0);
      await setQuota([['client-id', 'dyn']], 'producer_byte_rate', null);
      // answered once the mute ends, unthrottled
      expect((await rawProduce(c, topic, 32 * 1024, 'dyn')).throttleTimeMs).toBe(0);
      expect((await rawProduce(c, topic, 32 * 1024, 'dyn')).throttleTimeMs).toBe(0);
    } finally {
      c.close();
    }
  });

  it('keeps quotas across a restart (client-quotas.json)', async () => {
    await setQuota([['user', 'persisted']], 'consumer_byte_rate', 4242);
    broker = await broker.restart();
    expect(flat((await describeQuotas([['user', 0, 'persisted']])).entries)).toEqual({ 'user=persisted': { consumer_byte_rate: 4242 } });
    await setQuota([['user', 'persisted']], 'consumer_byte_rate', null);
  });
});

describe('with the authorizer on', () => {
  let secured: BrokerHandle;
  beforeAll(async () => {
    secured = await startBroker({ args: ['--redis.url=', '--authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer'] });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  const on = async <T>(fn: (c: RawKafkaConnection) => Promise<T>) => {
    const c = await RawKafkaConnection.connect(secured.host, secured.port);
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  const alterBody: AlterClientQuotasRequest = {
    validateOnly: false,
    entries: [{ entity: [{ entityType: 'user', entityName: 'mallory' }], ops: [{ key: 'producer_byte_rate', value: 1e9, remove: false }] }],
  };
  const describeBody: DescribeClientQuotasRequest = { components: [], strict: false };

  it('needs ALTER_CONFIGS / DESCRIBE_CONFIGS on the cluster, as Kafka does; a super user may', async () => {
    const altered = await on((c) => call(c, alterClientQuotasApi.apiKey, 1, encodeAlterClientQuotasRequest, decodeAlterClientQuotasResponse, alterBody));
    expect(altered.entries.map((e) => e.errorCode)).toEqual([31]); // CLUSTER_AUTHORIZATION_FAILED
    const described = await on((c) => call(c, describeClientQuotasApi.apiKey, 1, encodeDescribeClientQuotasRequest, decodeDescribeClientQuotasResponse, describeBody));
    expect(described.errorCode).toBe(31);
    expect(described.entries).toBeNull();

    secured = await secured.restart({ args: ['--super.users=User:ANONYMOUS'] });
    const after = await on((c) => call(c, describeClientQuotasApi.apiKey, 1, encodeDescribeClientQuotasRequest, decodeDescribeClientQuotasResponse, describeBody));
    expect(after.errorCode).toBe(0);
    expect(after.entries).toEqual([]); // the refused alteration wrote nothing
    const allowed = await on((c) => call(c, alterClientQuotasApi.apiKey, 1, encodeAlterClientQuotasRequest, decodeAlterClientQuotasResponse, alterBody));
    expect(allowed.entries.map((e) => e.errorCode)).toEqual([0]);
  });
});
