// Integration: broker-side schema validation with real clients. The two npm serializer
// libraries (@kafkajs/confluent-schema-registry 3.9.0, @confluentinc/schemaregistry 1.10.1)
// register, encode and decode against the broker's registry; a KafkaJS producer sends their
// values to a topic with confluent.value.schema.validation=true: accepted. Raw JSON, an unknown
// id, an id registered under another subject, or one bad record in a compressed batch: the
// partition answers INVALID_RECORD (v9 raw produce: recordErrors name the records) and nothing
// of the batch is appended (end offset unchanged). Key validation, topics without the config,
// and the same with a Redis-backed registry shared by two brokers (one Redis prefix): an id
// registered through one broker validates at once on the other, ids never collide.
import { COMPATIBILITY, SchemaRegistry as KafkajsRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AvroDeserializer, AvroSerializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecsReady } from '../../src/protocol/compression.js';
import { encodeRecordBatch, type CompressionName } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { LOCAL_STORE_FLAGS, redisFlags, redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { httpPortOf } from '../helpers/metrics.js';
import { withConnection } from '../helpers/raw-kafka.js';
import { listOffset, produce } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

const VALIDATE = { 'confluent.value.schema.validation': 'true' };
const userSchema = JSON.stringify({ type: 'record', name: 'User', namespace: 'it', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }] });
const otherSchema = JSON.stringify({ type: 'record', name: 'Other', namespace: 'it', fields: [{ name: 'x', type: 'long' }] });

const registryUrl = (b: BrokerHandle) => `http://127.0.0.1:${httpPortOf(b)}`;
const framed = (id: number, payload: Buffer) => Buffer.concat([Buffer.from([0, id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), payload]);

async function endOffset(b: BrokerHandle, topic: string): Promise<bigint> {
  return withConnection(b.host, b.port, async (c) => (await listOffset(c, topic, 0, -1n)).offset);
}

async function rawProduce(b: BrokerHandle, topic: string, values: Array<Buffer | null>, compression: CompressionName = 'none', keys?: Array<Buffer | null>) {
  await codecsReady();
  const batch = encodeRecordBatch({ compression, records: values.map((value, i) => ({ key: keys?.[i] ?? null, value })) });
  return withConnection(b.host, b.port, (c) => produce(c, topic, 0, batch));
}

async function kafkajsSend(b: BrokerHandle, topic: string, values: Buffer[]): Promise<unknown> {
  const producer = kafkaClient(b.bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await producer.disconnect();
  }
}

function expectInvalidRecord(err: unknown): void {
  expect(err, 'the send must fail').toBeDefined();
  const e = err as { type?: string; message: string; cause?: { type?: string } };
  expect(`${e.type ?? ''} ${e.cause?.type ?? ''} ${e.message}`).toMatch(/INVALID_RECORD|failed the validation on broker/);
}

describe('schema validation, embedded registry', () => {
  let broker: BrokerHandle;
  beforeAll(async () => {
    broker = await startBroker({ args: [...LOCAL_STORE_FLAGS] });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('@kafkajs/confluent-schema-registry: registers, encodes, decodes; KafkaJS values accepted; bad ones refused with nothing appended', async () => {
    const topic = uniqueTopic('sr-kjs');
    await createTopicOn(broker.bootstrap, topic, 1, VALIDATE);
    const registry = new KafkajsRegistry({ host: registryUrl(broker) });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: userSchema }, { subject: `${topic}-value` });
    expect((await registry.register({ type: SchemaType.AVRO, schema: userSchema }, { subject: `${topic}-value` })).id).toBe(id);
    const encoded = await registry.encode(id, { name: 'ada', age: 36 });
    expect(encoded[0]).toBe(0);
    expect(encoded.readUInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ name: 'ada', age: 36 });

    expect(await kafkajsSend(broker, topic, [encoded, await registry.encode(id, { name: 'bob', age: 7 })])).toBeUndefined();
    expect(await endOffset(broker, topic)).toBe(2n);

    // Raw JSON, then an unknown id: refused, the end offset does not move.
    expectInvalidRecord(await kafkajsSend(broker, topic, [Buffer.from('{"name":"raw"}')]));
    expectInvalidRecord(await kafkajsSend(broker, topic, [encoded, framed(987_654, Buffer.from('x'))]));
    // Registered, but under another subject.
    const { id: otherId } = await registry.register({ type: SchemaType.AVRO, schema: otherSchema }, { subject: 'unrelated-value' });
    expectInvalidRecord(await kafkajsSend(broker, topic, [await registry.encode(otherId, { x: 1 })]));
    expect(await endOffset(broker, topic)).toBe(2n);
  });

  it('@kafkajs/confluent-schema-registry: JSON Schema and Protobuf values round trip and validate', async () => {
    const topic = uniqueTopic('sr-fmt');
    await createTopicOn(broker.bootstrap, topic, 1, VALIDATE);
    const registry = new KafkajsRegistry({ host: registryUrl(broker) });
    const jsonSchema = JSON.stringify({ type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } }, required: ['sku'] });
    // Two formats under one subject: the library sets the subject's level (NONE) on first registration.
    const j = await registry.register({ type: SchemaType.JSON, schema: jsonSchema }, { subject: `${topic}-value`, compatibility: COMPATIBILITY.NONE });
    const proto = 'syntax = "proto3";\npackage it;\nmessage Item { string sku = 1; int32 qty = 2; }';
    const p = await registry.register({ type: SchemaType.PROTOBUF, schema: proto }, { subject: `${topic}-value`, compatibility: COMPATIBILITY.NONE });
    expect((await (await fetch(`${registryUrl(broker)}/config/${topic}-value`)).json())).toEqual({ compatibilityLevel: 'NONE' });
    expect(p.id).not.toBe(j.id);
    const jv = await registry.encode(j.id, { sku: 'a-1', qty: 2 });
    const pv = await registry.encode(p.id, { sku: 'b-2', qty: 3 });
    expect(await registry.decode(jv)).toEqual({ sku: 'a-1', qty: 2 });
    expect(await registry.decode(pv)).toMatchObject({ sku: 'b-2', qty: 3 });
    expect(await kafkajsSend(broker, topic, [jv, pv])).toBeUndefined();
    expect(await endOffset(broker, topic)).toBe(2n);
    await expect(registry.encode(j.id, { qty: 'x' })).rejects.toThrow();
  });

  it('@confluentinc/schemaregistry: serializer and deserializer round trip through a validated topic', async () => {
    const topic = uniqueTopic('sr-cfl');
    await createTopicOn(broker.bootstrap, topic, 1, VALIDATE);
    const client = new SchemaRegistryClient({ baseURLs: [registryUrl(broker)] });
    const id = await client.register(`${topic}-value`, { schemaType: 'AVRO', schema: userSchema });
    const ser = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
    const bytes = await ser.serialize(topic, { name: 'cy', age: 1 });
    expect(bytes.readUInt32BE(1)).toBe(id);
    expect(await kafkajsSend(broker, topic, [bytes])).toBeUndefined();
    expect(await endOffset(broker, topic)).toBe(1n);

    // Read back with KafkaJS and decode with the library's deserializer.
    const consumer = kafkaClient(broker.bootstrap).consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no record within 20 s')), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value!);
        },
      });
    });
    await consumer.disconnect();
    const de = new AvroDeserializer(client, SerdeType.VALUE, {});
    expect(await de.deserialize(topic, got)).toEqual({ name: 'cy', age: 1 });
  });

  it('raw produce v9: INVALID_RECORD with recordErrors per bad record, compressed batches too', async () => {
    const topic = uniqueTopic('sr-raw');
    await createTopicOn(broker.bootstrap, topic, 1, VALIDATE);
    const res = await fetch(`${registryUrl(broker)}/subjects/${topic}-value/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: userSchema }) });
    const { id } = (await res.json()) as { id: number };
    const good = framed(id, Buffer.from([6, 0x61, 0x62, 0x63, 2]));
    for (const compression of ['none', 'gzip', 'zstd', 'lz4', 'snappy'] as const) {
      const bad = await rawProduce(broker, topic, [good, Buffer.from('{}'), good, null], compression);
      expect(bad.errorCode, compression).toBe(ErrorCode.INVALID_RECORD);
      expect(bad.recordErrors.map((e) => e.batchIndex)).toEqual([1, 3]);
      expect(bad.recordErrors[0]!.batchIndexErrorMessage).toMatch(/no schema id/);
      expect(bad.errorMessage).toMatch(/2 records failed schema validation/);
      const ok = await rawProduce(broker, topic, [good, good], compression);
      expect(ok.errorCode, compression).toBe(ErrorCode.NONE);
    }
    expect(await endOffset(broker, topic)).toBe(10n);
  });

  it('validates keys when asked, and leaves topics without the config alone', async () => {
    const keyed = uniqueTopic('sr-key');
    await createTopicOn(broker.bootstrap, keyed, 1, { 'confluent.key.schema.validation': 'true' });
    const res = await fetch(`${registryUrl(broker)}/subjects/${keyed}-key/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: '"string"' }) });
    const { id } = (await res.json()) as { id: number };
    const key = framed(id, Buffer.from([2, 0x6b]));
    expect((await rawProduce(broker, keyed, [Buffer.from('any value')], 'none', [key])).errorCode).toBe(ErrorCode.NONE);
    const refused = await rawProduce(broker, keyed, [Buffer.from('v')], 'none', [Buffer.from('plain key')]);
    expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(refused.recordErrors[0]!.batchIndexErrorMessage).toMatch(/key of record 0/);

    const plain = uniqueTopic('sr-off');
    await createTopicOn(broker.bootstrap, plain, 1);
    expect((await rawProduce(broker, plain, [Buffer.from('{"raw":true}')])).errorCode).toBe(ErrorCode.NONE);
    expect(await kafkajsSend(broker, plain, [Buffer.from('raw')])).toBeUndefined();
  });

  it('accepts the configs through CreateTopics/AlterConfigs and shows them in DescribeConfigs', async () => {
    const topic = uniqueTopic('sr-cfg');
    await createTopicOn(broker.bootstrap, topic, 1);
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'confluent.value.schema.validation', value: 'true' }, { name: 'confluent.value.subject.name.strategy', value: 'RecordNameStrategy' }] }] });
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] });
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries.get('confluent.value.schema.validation')).toBe('true');
      expect(entries.get('confluent.value.subject.name.strategy')).toBe('io.confluent.kafka.serializers.subject.RecordNameStrategy');
      expect(entries.get('confluent.key.schema.validation')).toBe('false');
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'confluent.value.subject.name.strategy', value: 'Nope' }] }] })).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
    // RecordNameStrategy: the subject is the record's full name.
    await fetch(`${registryUrl(broker)}/subjects/it.Other/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: otherSchema }) });
    const lookup = (await (await fetch(`${registryUrl(broker)}/subjects/it.Other`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: otherSchema }) })).json()) as { id: number };
    expect((await rawProduce(broker, topic, [framed(lookup.id, Buffer.from([2]))])).errorCode).toBe(ErrorCode.NONE);
    expect((await rawProduce(broker, topic, [framed(1, Buffer.from([2]))])).errorCode).toBe(ErrorCode.INVALID_RECORD);
  });
});

describe('schema validation, Redis-backed registry shared by two brokers', () => {
  let a: BrokerHandle;
  let b: BrokerHandle;
  beforeAll(async () => {
    const flags = redisFlags(redisUrl(), uniqueRedisPrefix());
    [a, b] = await Promise.all([startBroker({ args: flags }), startBroker({ args: flags })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('an id registered through one broker validates at once on the other; ids never collide', async () => {
    const topic = uniqueTopic('sr-redis');
    await createTopicOn(b.bootstrap, topic, 1, VALIDATE);
    const viaA = new KafkajsRegistry({ host: registryUrl(a) });
    const viaB = new KafkajsRegistry({ host: registryUrl(b) });
    const { id } = await viaA.register({ type: SchemaType.AVRO, schema: userSchema }, { subject: `${topic}-value` });
    const encoded = await viaA.encode(id, { name: 'zed', age: 9 });
    expect(await kafkajsSend(b, topic, [encoded])).toBeUndefined();
    expect(await viaB.decode(encoded)).toEqual({ name: 'zed', age: 9 });
    expectInvalidRecord(await kafkajsSend(b, topic, [framed(id + 1000, Buffer.from('x'))]));
    expect(await endOffset(b, topic)).toBe(1n);

    // 20 different schemas registered through both brokers at once: 20 distinct ids.
    const schemas = Array.from({ length: 20 }, (_, i) => JSON.stringify({ type: 'record', name: `S${i}`, fields: [{ name: 'f', type: 'int' }] }));
    const ids = await Promise.all(schemas.map((schema, i) => (i % 2 === 0 ? viaA : viaB).register({ type: SchemaType.AVRO, schema }, { subject: `${topic}-many-${i}` })));
    expect(new Set(ids.map((r) => r.id)).size).toBe(20);
    // Both brokers answer every id with the same schema.
    for (const { id: each } of ids.slice(0, 4)) {
      const [ra, rb] = await Promise.all([fetch(`${registryUrl(a)}/schemas/ids/${each}`).then((r) => r.json()), fetch(`${registryUrl(b)}/schemas/ids/${each}`).then((r) => r.json())]);
      expect(ra).toEqual(rb);
    }
  });
});
