// Integration: the web console's JSON API (/console/api) and static files on a real broker
// process, checked with plain fetch against what Kafka clients (kcat, KafkaJS, the strata CLI)
// see: shapes, the numbers (offsets, sizes, lag, throughput), errors with their codes, bounds,
// and console.enable=false.
import { SchemaRegistry as RegistryClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { consoleApi } from '../helpers/console.js';
import { GROUP_TEST_FLAGS } from '../helpers/groups.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { kcatMetadata, kcatProduce } from '../helpers/kcat.js';
import { httpPortOf } from '../helpers/metrics.js';
import { strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

const PAYMENT_PROTO = 'syntax = "proto3";\npackage shop;\nmessage Header { string who = 1; }\nmessage Payment { int64 cents = 1; string currency = 2; message Note { string text = 1; } }\n';

function wireHeader(id: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeInt32BE(id, 1);
  return b;
}

describe('console API', () => {
  let broker: BrokerHandle;
  let port: number;

  beforeAll(async () => {
    broker = await startBroker({ args: [...GROUP_TEST_FLAGS, '--redis.url=', '--worker.threads=2'] });
    port = httpPortOf(broker);
  });

  it('serves the built single-page app with cache headers', async () => {
    const redirect = await fetch(`http://127.0.0.1:${port}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    const index = await fetch(`http://127.0.0.1:${port}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const js = await fetch(`http://127.0.0.1:${port}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`http://127.0.0.1:${port}/console/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/console/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/console/`, { method: 'POST' })).status).toBe(405);
  });

  it('cluster: a single broker is its own controller and leads every partition', async () => {
    const topic = uniqueTopic();
    expect((await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 3 } })).status).toBe(201);
    const { status, body } = await consoleApi(port, '/cluster');
    expect(status).toBe(200);
    expect(body).toMatchObject({ mode: 'single', controllerId: 1, self: 1 });
    expect(body.brokers).toEqual([{ nodeId: 1, host: broker.host, port: broker.port, rack: null, controller: true, self: true, partitionsLed: body.partitions }]);
    expect(body.partitions).toBeGreaterThanOrEqual(3);
    expect(body.partitionsWithoutLeader).toBe(0);
  });

  it('creates a topic a Kafka client then sees, with its configs; errors have codes', async () => {
    const topic = uniqueTopic();
    const created = await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 4, configs: { 'retention.ms': '3600000' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: topic, partitions: 4 });
    expect(created.body.topicId).toMatch(/^[0-9a-f]{32}$/);
    const md = await kcatMetadata(broker.bootstrap, topic);
    expect(md.topics.find((t) => t.topic === topic)?.partitions).toHaveLength(4);
    const detail = await consoleApi(port, `/topics/${topic}`);
    expect(detail.body.configs).toContainEqual(expect.objectContaining({ name: 'retention.ms', value: '3600000', isDefault: false }));

    const again = await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 1 } });
    expect(again).toMatchObject({ status: 409, body: { code: 'TOPIC_ALREADY_EXISTS' } });
    const badName = await consoleApi(port, '/topics', { method: 'POST', body: { name: 'no spaces', partitions: 1 } });
    expect(badName.status).toBe(400);
    expect(badName.body.code).toBe('BAD_REQUEST');
    expect(badName.body.error).toMatch(/name/);
    expect((await consoleApi(port, '/topics', { method: 'POST', body: { name: uniqueTopic('zero'), partitions: 0 } })).status).toBe(400);
    expect((await consoleApi(port, '/topics', { method: 'POST', body: { name: uniqueTopic('extra'), partitions: 1, x: 1 } })).status).toBe(400);
    const badConfig = await consoleApi(port, '/topics', { method: 'POST', body: { name: uniqueTopic('cfg'), partitions: 1, configs: { 'no.such.config': '1' } } });
    expect(badConfig.status).toBe(400);
    expect(badConfig.body.code).toBe('INVALID_CONFIG');
    expect(await consoleApi(port, '/topics', { method: 'POST', rawBody: '{not json' })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await consoleApi(port, '/topics', { method: 'POST', rawBody: '{}', contentType: 'text/plain' })).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const huge = JSON.stringify({ name: 'x', partitions: 1, configs: { a: 'b'.repeat(70 * 1024) } });
    expect(await consoleApi(port, '/topics', { method: 'POST', rawBody: huge })).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    // None of the refused topics exists.
    const all = await consoleApi(port, `/topics?filter=${encodeURIComponent('t-creates')}&limit=500`);
    expect(all.body.topics.map((t: { name: string }) => t.name)).toEqual([topic]);
  });

  it('lists topics filtered and paginated, with local bytes; bounds are checked', async () => {
    const prefix = uniqueTopic('page');
    for (let i = 0; i < 5; i++) expect((await consoleApi(port, '/topics', { method: 'POST', body: { name: `${prefix}-${i}`, partitions: 1 } })).status).toBe(201);
    await kcatProduce(broker.bootstrap, `${prefix}-3`, 'a\nb\nc\n', { partition: 0 });
    const page1 = await consoleApi(port, `/topics?filter=${prefix}&limit=2`);
    expect(page1.body).toMatchObject({ total: 5, offset: 0, limit: 2 });
    expect(page1.body.topics.map((t: { name: string }) => t.name)).toEqual([`${prefix}-0`, `${prefix}-1`]);
    const page2 = await consoleApi(port, `/topics?filter=${prefix.toUpperCase()}&offset=2&limit=2`);
    expect(page2.body.topics.map((t: { name: string }) => t.name)).toEqual([`${prefix}-2`, `${prefix}-3`]);
    expect(page2.body.topics[1].localBytes).toBeGreaterThan(3 * 2);
    expect(page2.body.topics[0].localBytes).toBe(0);
    expect(page2.body.topics[0].remoteBytes).toBeNull(); // no tiered storage here
    for (const q of ['limit=0', 'limit=501', 'offset=-1', 'limit=abc']) {
      expect(await consoleApi(port, `/topics?${q}`), q).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    }
  });

  it('describes a topic: leaders, worker slots, offsets and sizes match what was produced', async () => {
    const topic = uniqueTopic();
    await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 2 } });
    await kcatProduce(broker.bootstrap, topic, Array.from({ length: 7 }, (_, i) => `v${i}`).join('\n') + '\n', { partition: 1 });
    const { status, body } = await consoleApi(port, `/topics/${topic}`);
    expect(status).toBe(200);
    expect(body.partitions).toHaveLength(2);
    expect(body.partitions[0]).toMatchObject({ partition: 0, leader: 1, logStartOffset: 0, highWatermark: 0, localBytes: 0, remoteBytes: null });
    expect(body.partitions[1]).toMatchObject({ partition: 1, leader: 1, logStartOffset: 0, highWatermark: 7 });
    expect(body.partitions[1].localBytes).toBeGreaterThan(7 * 2);
    for (const p of body.partitions) expect([0, 1]).toContain(p.slot);
    expect(await consoleApi(port, `/topics/${uniqueTopic('missing')}`)).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } });
  });

  it('browses messages: keys, headers, JSON, text, binary and schema-framed values; by offset, newest and timestamp', async () => {
    const topic = uniqueTopic();
    await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 2 } });
    const producer = kafkaClient(broker.bootstrap).producer();
    await producer.connect();
    const t0 = Date.now() - 60_000;
    try {
      await producer.send({
        topic,
        messages: [
          { partition: 0, key: 'k-json', value: '{"user":"ada","n":1}', headers: { trace: 'abc' }, timestamp: String(t0) },
          { partition: 0, key: 'k-text', value: 'plain text', timestamp: String(t0 + 10_000) },
          { partition: 0, key: Buffer.from([0xff, 0x00, 0x01]), value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x80]), timestamp: String(t0 + 20_000) },
          { partition: 0, key: null, value: Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from('payload')]), timestamp: String(t0 + 30_000) },
          { partition: 0, key: 'k-null', value: null, timestamp: String(t0 + 40_000) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const all = await consoleApi(port, `/topics/${topic}/messages?partition=0&offset=0&limit=10`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ topic, partition: 0, logStartOffset: 0, highWatermark: 5, startOffset: 0, nextOffset: 5 });
    const m = all.body.messages;
    expect(m.map((x: { offset: number }) => x.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(m[0].key).toEqual({ kind: 'text', size: 6, text: 'k-json', truncated: false });
    expect(m[0].value).toMatchObject({ kind: 'json', text: JSON.stringify({ user: 'ada', n: 1 }, null, 2) });
    expect(m[0].headers).toEqual([{ key: 'trace', value: { kind: 'text', size: 3, text: 'abc', truncated: false } }]);
    expect(m[0].timestamp).toBe(t0);
    expect(m[1].value).toMatchObject({ kind: 'text', text: 'plain text' });
    expect(m[2].key).toMatchObject({ kind: 'hex', hex: 'ff0001' });
    expect(m[2].value).toMatchObject({ kind: 'hex', hex: 'deadbeef0080', size: 6 });
    expect(m[3].key).toEqual({ kind: 'null' });
    expect(m[3].value).toMatchObject({ kind: 'schema', schemaId: 42, hex: Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from('payload')]).toString('hex') });
    expect(m[4].value).toEqual({ kind: 'null' });

    const page = await consoleApi(port, `/topics/${topic}/messages?partition=0&offset=1&limit=2`);
    expect(page.body.messages.map((x: { offset: number }) => x.offset)).toEqual([1, 2]);
    expect(page.body.nextOffset).toBe(3);
    const newest = await consoleApi(port, `/topics/${topic}/messages?partition=0&limit=2`);
    expect(newest.body.messages.map((x: { offset: number }) => x.offset)).toEqual([3, 4]);
    const byTime = await consoleApi(port, `/topics/${topic}/messages?partition=0&timestamp=${t0 + 15_000}&limit=2`);
    expect(byTime.body.startOffset).toBe(2);
    expect(byTime.body.messages.map((x: { offset: number }) => x.offset)).toEqual([2, 3]);
    const future = await consoleApi(port, `/topics/${topic}/messages?partition=0&timestamp=${Date.now() + 3_600_000}`);
    expect(future.body).toMatchObject({ startOffset: 5, messages: [] });
    const empty = await consoleApi(port, `/topics/${topic}/messages?partition=1`);
    expect(empty.body).toMatchObject({ highWatermark: 0, messages: [] });

    expect(await consoleApi(port, `/topics/${topic}/messages?partition=2`)).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } });
    expect(await consoleApi(port, `/topics/${topic}/messages?limit=501`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await consoleApi(port, `/topics/${topic}/messages?offset=1&timestamp=1`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await consoleApi(port, `/topics/${uniqueTopic('nope')}/messages`)).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } });
  });

  it('decodes schema-registry framed values (Avro and JSON Schema by the serializer library, Protobuf with message indexes) with the broker registry', async () => {
    const topic = uniqueTopic();
    await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 1 } });
    // @kafkajs/confluent-schema-registry registers against the broker's own registry and encodes.
    const client = new RegistryClient({ host: `http://127.0.0.1:${port}` });
    const avro = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'long' }, { name: 'item', type: 'string' }, { name: 'tag', type: ['null', 'bytes'], default: null }] }) },
      { subject: `${topic}-avro` },
    );
    const json = await client.register(
      { type: SchemaType.JSON, schema: JSON.stringify({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }) },
      { subject: `${topic}-json` },
    );
    const proto = await client.register(
      { type: SchemaType.PROTOBUF, schema: PAYMENT_PROTO },
      { subject: `${topic}-proto` },
    );
    const values = [
      await client.encode(avro.id, { id: 7, item: 'tea', tag: Buffer.from([1, 2]) }),
      await client.encode(json.id, { city: 'Lyon' }),
      // Confluent's protobuf framing: message indexes [1] (zigzag: count 1 → 02, index 1 → 02), then
      // Payment encoded by protobufjs (@kafkajs/confluent-schema-registry writes no indexes).
      Buffer.concat([wireHeader(proto.id), Buffer.from([2, 2]), Buffer.from(protobuf.parse(PAYMENT_PROTO).root.lookupType('shop.Payment').encode({ cents: 1234, currency: 'EUR' }).finish())]),
      Buffer.concat([Buffer.from([0, 0, 0, 0x7f, 0xff]), Buffer.from('??')]), // an id the registry does not know
    ];
    const producer = kafkaClient(broker.bootstrap).producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: values.map((value) => ({ value })) });
    } finally {
      await producer.disconnect();
    }
    const { body } = await consoleApi(port, `/topics/${topic}/messages?partition=0&offset=0`);
    const shown = body.messages.map((m: { value: { kind: string; text?: string; schemaId?: number; error?: string } }) => m.value);
    expect(shown[0]).toMatchObject({ kind: 'json', schemaId: avro.id });
    expect(JSON.parse(shown[0].text)).toEqual({ id: 7, item: 'tea', tag: '0102' });
    expect(shown[1]).toMatchObject({ kind: 'json', schemaId: json.id });
    expect(JSON.parse(shown[1].text)).toEqual({ city: 'Lyon' });
    expect(shown[2]).toMatchObject({ kind: 'json', schemaId: proto.id });
    // Protobuf: the message index picks Payment (the second top-level message), not Header.
    expect(JSON.parse(shown[2].text)).toEqual({ cents: '1234', currency: 'EUR' });
    expect(shown[3]).toMatchObject({ kind: 'schema', schemaId: 0x7fff, error: expect.stringMatching(/schema id 32767/) });
  });

  it('consumer groups: committed offset, end offset and lag per partition, and lag history', async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    const bs = ['--bootstrap-server', broker.bootstrap];
    await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 3 } });
    await kcatProduce(broker.bootstrap, topic, Array.from({ length: 40 }, (_, i) => `v${i}`).join('\n') + '\n', { partition: 2 });
    await kcatProduce(broker.bootstrap, topic, 'a\nb\n', { partition: 0 });
    await strataOk(['consume', topic, '--group', group, '--from-beginning', '--partition', '2', '--max-messages', '15', ...bs]);

    const list = await consoleApi(port, '/groups');
    expect(list.body.groups).toContainEqual(expect.objectContaining({ groupId: group }));
    const { status, body } = await consoleApi(port, `/groups/${group}`);
    expect(status).toBe(200);
    expect(body.groupId).toBe(group);
    expect(body.partitions).toEqual([{ topic, partition: 2, committedOffset: 15, endOffset: 40, lag: 25 }]);
    expect(body.totalLag).toBe(25);
    expect(body.lagHistory.at(-1)).toMatchObject({ lag: 25, topics: { [topic]: 25 } });

    // More records: the lag moves, and the history keeps both samples.
    await kcatProduce(broker.bootstrap, topic, 'x\ny\nz\n', { partition: 2 });
    const after = await consoleApi(port, `/groups/${group}`);
    expect(after.body.partitions[0]).toMatchObject({ endOffset: 43, lag: 28 });
    // (The background sampler may add samples of either value between the two views.)
    const lags: number[] = after.body.lagHistory.map((p: { lag: number }) => p.lag);
    expect(lags.at(-1)).toBe(28);
    expect(lags.indexOf(25)).toBeGreaterThanOrEqual(0);
    expect(lags.indexOf(25)).toBeLessThan(lags.lastIndexOf(28));
    expect(lags.every((l) => l === 25 || l === 28)).toBe(true);

    expect(await consoleApi(port, `/groups/${group}-missing`)).toMatchObject({ status: 404, body: { code: 'GROUP_ID_NOT_FOUND' } });
  });

  it('a live KafkaJS consumer shows as a member with its assigned partitions', async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 2 } });
    const consumer = kafkaClient(broker.bootstrap, { clientId: 'console-member' }).consumer({ groupId: group, sessionTimeout: 6_000, heartbeatInterval: 500 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      const g = await waitFor(
        async () => {
          const r = await consoleApi(port, `/groups/${group}`);
          return r.status === 200 && r.body.state === 'Stable' && r.body.members.length === 1 ? r.body : undefined;
        },
        { timeoutMs: 20_000, what: 'the consumer to join' },
      );
      expect(g.protocolType).toBe('consumer');
      expect(g.members[0]).toMatchObject({ clientId: 'console-member', assignment: [{ topic, partitions: [0, 1] }] });
      expect(g.members[0].clientHost).toMatch(/127\.0\.0\.1/);
    } finally {
      await consumer.disconnect();
    }
  });

  it('throughput: per-second rates of the broker own counters move when records flow', async () => {
    const topic = uniqueTopic();
    await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 1 } });
    const before = await consoleApi(port, '/throughput');
    expect(before.body.intervalMs).toBe(1000);
    await kcatProduce(broker.bootstrap, topic, Array.from({ length: 500 }, (_, i) => `record-${i}`).join('\n') + '\n');
    const after = await consoleApi(port, '/throughput');
    expect(after.body.totals.recordsIn - before.body.totals.recordsIn).toBe(500);
    const sawRate = await waitFor(
      async () => {
        const r = await consoleApi(port, '/throughput');
        return r.body.points.some((p: { t: number; recordsInPerSec: number }) => p.t > after.body.points.at(-1)!.t - 1 && p.recordsInPerSec > 0);
      },
      { timeoutMs: 5_000, what: 'a throughput sample with records in' },
    );
    expect(sawRate).toBe(true);
    expect(after.body.points.length).toBeLessThanOrEqual(300);
  });

  it('deletes a topic (gone for Kafka clients too); unknown routes and methods answer 404 / 405', async () => {
    const topic = uniqueTopic();
    await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 1 } });
    const deleted = await consoleApi(port, `/topics/${topic}`, { method: 'DELETE' });
    expect(deleted).toMatchObject({ status: 200, body: { deleted: topic } });
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
    expect(await consoleApi(port, `/topics/${topic}`, { method: 'DELETE' })).toMatchObject({ status: 404, body: { code: 'UNKNOWN_TOPIC_OR_PARTITION' } });
    expect(await consoleApi(port, '/nope')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await consoleApi(port, '/cluster', { method: 'POST', body: {} })).toMatchObject({ status: 405, body: { code: 'METHOD_NOT_ALLOWED' } });
    expect(await consoleApi(port, '/topics/%E0%A4%A', { method: 'GET' })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  });
});

describe('console.enable=false', () => {
  let broker: BrokerHandle;
  afterAll(async () => {
    await broker?.stop();
  });

  it('serves neither the pages nor the API', async () => {
    broker = await startBroker({ args: ['--redis.url=', '--console.enable=false'] });
    const port = httpPortOf(broker);
    expect((await fetch(`http://127.0.0.1:${port}/console/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/console/api/cluster`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
