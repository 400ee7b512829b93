// Integration: v2 REST produce (`POST /topics/{t}` and `/topics/{t}/partitions/{p}`) against a
// real broker, checked by kcat byte-exact (keys, values, headers, partitions, offsets): binary
// and json embedded formats, keyed records on the partition the Java/KafkaJS partitioner picks
// (a KafkaJS producer sends the same keys to a twin topic), unkeyed records sticking per
// request, and the errors: unknown topic/partition, bad content type (415), malformed JSON and
// bad base64 (422), oversize (413), too many records (42203); the schema formats (avro,
// jsonschema, protobuf) through the broker's schema registry, decoded by
// @kafkajs/confluent-schema-registry, and 40801 with the registry off.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeFormat, kcatConsumeJson } from '../helpers/kcat.js';
import { SchemaRegistry as ConfluentRegistryClient } from '@kafkajs/confluent-schema-registry';
import { b64, BINARY_V2, JSON_V2, rest, restBase } from '../helpers/rest.js';
import { uniqueTopic } from '../helpers/topics.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

let broker: BrokerHandle;
let base: string;

beforeAll(async () => {
  broker = await startBroker({ args: ['--rest.max.request.bytes=65536', '--rest.max.records.per.request=100'] });
  base = restBase(broker);
});

/** kcat's view of one partition: `keyLen:valueLen:offset|key|value|headers` per record, as bytes. */
async function partitionBytes(topic: string, partition: number): Promise<Buffer> {
  return (await kcatConsumeFormat(broker.bootstrap, topic, '%K:%S:%o|%k|%s|%h\n', { partition })).stdoutBytes;
}

function expectedBytes(records: Array<{ key: Buffer | null; value: Buffer | null; offset: number; headers?: string }>): Buffer {
  return Buffer.concat(
    records.flatMap((r) => [
      Buffer.from(`${r.key?.length ?? -1}:${r.value?.length ?? -1}:${r.offset}|`),
      r.key ?? Buffer.alloc(0),
      Buffer.from('|'),
      r.value ?? Buffer.alloc(0),
      Buffer.from(`|${r.headers ?? ''}\n`),
    ]),
  );
}

describe('v2 produce, binary', () => {
  it('keyed records land on the Java partitioner’s partition and read back byte-exact with kcat', async () => {
    const topic = uniqueTopic('bin');
    await createTopicOn(broker.bootstrap, topic, 3);
    const records = Array.from({ length: 40 }, (_, i) => ({ key: Buffer.from(`key-${i % 9}`), value: Buffer.concat([randomBytes(20), Buffer.from([0, 10, 255, i])]) }));
    const res = await rest(base, 'POST', `/topics/${topic}`, { records: records.map((r) => ({ key: b64(r.key), value: b64(r.value) })) }, BINARY_V2);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/vnd.kafka.v2+json');
    expect(res.body.offsets).toHaveLength(40);
    expect(res.body.key_schema_id).toBeNull();
    const placed = res.body.offsets.map((o: { partition: number; offset: number; error_code: null; error: null }, i: number) => {
      expect(o.error_code).toBeNull();
      expect(o.error).toBeNull();
      expect(o.partition).toBe((kafkajsMurmur2(records[i]!.key) & 0x7fffffff) % 3);
      return { ...records[i]!, partition: o.partition, offset: o.offset };
    });
    for (let p = 0; p < 3; p++) {
      const mine = placed.filter((r: { partition: number }) => r.partition === p);
      // Offsets 0..n-1 per partition, in request order.
      expect(mine.map((r: { offset: number }) => r.offset)).toEqual(mine.map((_: unknown, k: number) => k));
      expect(await partitionBytes(topic, p)).toEqual(expectedBytes(mine));
    }

    // A KafkaJS producer with its Java-compatible partitioner puts the same keys on the same partitions.
    const twin = uniqueTopic('twin');
    await createTopicOn(broker.bootstrap, twin, 3);
    const producer = kafkaClient(broker.bootstrap).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const sent = await producer.send({ topic: twin, acks: -1, messages: records.slice(0, 9).map((r) => ({ key: r.key, value: r.value })) });
      expect(sent.length).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
    }
    const twinRecords = await kcatConsumeJson(broker.bootstrap, twin);
    expect(twinRecords).toHaveLength(9);
    for (const r of twinRecords) expect(r.partition).toBe(placed.find((x: { key: Buffer }) => x.key.toString() === r.key)!.partition);
  });

  it('headers, null keys and null values; unkeyed records of one request share a partition', async () => {
    const topic = uniqueTopic('hdr');
    await createTopicOn(broker.bootstrap, topic, 4);
    const res = await rest(
      base,
      'POST',
      `/topics/${topic}`,
      {
        records: [
          { value: b64('one'), headers: [{ name: 'trace', value: b64('t-1') }, { name: 'empty', value: '' }] },
          { value: null },
          { key: null, value: b64('three') },
        ],
      },
      BINARY_V2,
    );
    expect(res.status).toBe(200);
    const partitions = new Set(res.body.offsets.map((o: { partition: number }) => o.partition));
    expect(partitions.size).toBe(1);
    const p = [...partitions][0] as number;
    expect(res.body.offsets.map((o: { offset: number }) => o.offset)).toEqual([0, 1, 2]);
    expect(await partitionBytes(topic, p)).toEqual(
      expectedBytes([
        { key: null, value: Buffer.from('one'), offset: 0, headers: 'trace=t-1,empty=' },
        { key: null, value: null, offset: 1 },
        { key: null, value: Buffer.from('three'), offset: 2 },
      ]),
    );
    // The next request's unkeyed records go to the next partition (round robin per request).
    const next = await rest(base, 'POST', `/topics/${topic}`, { records: [{ value: b64('x') }] }, BINARY_V2);
    expect(next.body.offsets[0].partition).toBe((p + 1) % 4);
  });

  it('POST /topics/{t}/partitions/{p} writes every record to that partition', async () => {
    const topic = uniqueTopic('part');
    await createTopicOn(broker.bootstrap, topic, 3);
    const res = await rest(base, 'POST', `/topics/${topic}/partitions/2`, { records: [{ key: b64('a'), value: b64('1') }, { key: b64('b'), value: b64('2') }] }, BINARY_V2);
    expect(res.status).toBe(200);
    expect(res.body.offsets).toEqual([
      { partition: 2, offset: 0, error_code: null, error: null },
      { partition: 2, offset: 1, error_code: null, error: null },
    ]);
    expect(await partitionBytes(topic, 2)).toEqual(
      expectedBytes([
        { key: Buffer.from('a'), value: Buffer.from('1'), offset: 0 },
        { key: Buffer.from('b'), value: Buffer.from('2'), offset: 1 },
      ]),
    );
  });
});

describe('v2 produce, json', () => {
  it('stores keys and values as their JSON text', async () => {
    const topic = uniqueTopic('json');
    await createTopicOn(broker.bootstrap, topic, 1);
    const values = [{ id: 1, name: 'ä €', nested: { list: [1, 2, null] } }, 'plain string', 42, [true, false]];
    const res = await rest(base, 'POST', `/topics/${topic}`, { records: values.map((value, i) => ({ key: i === 0 ? 'k1' : undefined, value })) }, JSON_V2);
    expect(res.status).toBe(200);
    expect(res.body.offsets.map((o: { offset: number }) => o.offset)).toEqual([0, 1, 2, 3]);
    expect(await partitionBytes(topic, 0)).toEqual(
      expectedBytes(values.map((v, i) => ({ key: i === 0 ? Buffer.from('"k1"') : null, value: Buffer.from(JSON.stringify(v)), offset: i }))),
    );
  });
});

describe('v2 produce errors', () => {
  it('unknown topic → 404 40401; unknown partition → 404 40402', async () => {
    const missing = await rest(base, 'POST', `/topics/${uniqueTopic('missing')}`, { records: [{ value: 'x' }] }, JSON_V2);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error_code: 40401 });
    const topic = uniqueTopic('p');
    await createTopicOn(broker.bootstrap, topic, 2);
    const badPartition = await rest(base, 'POST', `/topics/${topic}/partitions/2`, { records: [{ value: 'x' }] }, JSON_V2);
    expect(badPartition.status).toBe(404);
    expect(badPartition.body).toMatchObject({ error_code: 40402 });
    const badRecordPartition = await rest(base, 'POST', `/topics/${topic}`, { records: [{ value: 'x', partition: 5 }] }, JSON_V2);
    expect(badRecordPartition.body).toMatchObject({ error_code: 40402 });
    expect(await kcatConsumeJson(broker.bootstrap, topic)).toEqual([]);
  });

  it('unsupported content types → 415; malformed JSON and bad base64 → 422 42201; nothing written', async () => {
    const topic = uniqueTopic('bad');
    await createTopicOn(broker.bootstrap, topic, 1);
    for (const ct of ['text/plain', 'application/vnd.kafka.yaml.v2+json', '']) {
      const res = await rest(base, 'POST', `/topics/${topic}`, '{"records":[{"value":"x"}]}', ct);
      expect(res.status, ct).toBe(415);
      expect(res.body.error_code).toBe(415);
    }
    const malformed = await rest(base, 'POST', `/topics/${topic}`, '{"records":[{"value":', JSON_V2);
    expect(malformed.status).toBe(422);
    expect(malformed.body.error_code).toBe(42201);
    expect(malformed.body.message).toMatch(/Malformed JSON/);
    const notArray = await rest(base, 'POST', `/topics/${topic}`, { records: 'x' }, JSON_V2);
    expect(notArray.status).toBe(422);
    expect(notArray.body.error_code).toBe(42201);
    const badBase64 = await rest(base, 'POST', `/topics/${topic}`, { records: [{ value: 'not base64!' }] }, BINARY_V2);
    expect(badBase64.status).toBe(422);
    expect(badBase64.body.message).toMatch(/records\.0\.value is not a base64 string/);
    expect(await kcatConsumeJson(broker.bootstrap, topic)).toEqual([]);
  });

  it('a body over rest.max.request.bytes → 413; more records than rest.max.records.per.request → 42203', async () => {
    const topic = uniqueTopic('big');
    await createTopicOn(broker.bootstrap, topic, 1);
    const big = await rest(base, 'POST', `/topics/${topic}`, { records: [{ value: 'x'.repeat(70_000) }] }, JSON_V2);
    expect(big.status).toBe(413);
    expect(big.body.error_code).toBe(413);
    const many = await rest(base, 'POST', `/topics/${topic}`, { records: Array.from({ length: 101 }, () => ({ value: 1 })) }, JSON_V2);
    expect(many.status).toBe(422);
    expect(many.body.error_code).toBe(42203);
    const justEnough = await rest(base, 'POST', `/topics/${topic}`, { records: Array.from({ length: 100 }, (_, i) => ({ value: i })) }, JSON_V2);
    expect(justEnough.status).toBe(200);
    expect((await kcatConsumeJson(broker.bootstrap, topic)).map((r) => r.payload)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });
});

/** Every value of partition 0, as bytes (kcat `%S|%s`: length, then the raw bytes). */
async function rawValues(topic: string): Promise<Buffer[]> {
  const out = (await kcatConsumeFormat(broker.bootstrap, topic, '%S|%s\n', { partition: 0 })).stdoutBytes;
  const values: Buffer[] = [];
  let pos = 0;
  while (pos < out.length) {
    const bar = out.indexOf(0x7c, pos);
    const len = Number(out.subarray(pos, bar).toString());
    values.push(out.subarray(bar + 1, bar + 1 + len));
    pos = bar + 1 + len + 1;
  }
  return values;
}

describe('v2 produce, schema formats', () => {
  const AVRO_V2 = 'application/vnd.kafka.avro.v2+json';

  it('avro: the schema is registered under <topic>-value, values serialised in the wire format a Confluent deserializer reads', async () => {
    const topic = uniqueTopic('avro');
    await createTopicOn(broker.bootstrap, topic, 1);
    const schema = JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'user', type: 'string' }, { name: 'n', type: 'int' }] });
    const first = await rest(base, 'POST', `/topics/${topic}`, { value_schema: schema, records: [{ value: { user: 'ada', n: 1 } }, { value: { user: 'bob', n: 2 } }] }, AVRO_V2);
    expect(first.status, first.text).toBe(200);
    const id = first.body.value_schema_id as number;
    expect(id).toBeGreaterThan(0);
    expect(first.body.key_schema_id).toBeNull();
    const subject = await rest(base, 'GET', `/subjects/${topic}-value/versions/latest`);
    expect(subject.body.id).toBe(id);
    const byId = await rest(base, 'POST', `/topics/${topic}`, { value_schema_id: id, records: [{ value: { user: 'cy', n: 3 } }] }, AVRO_V2);
    expect(byId.body).toMatchObject({ value_schema_id: id, offsets: [{ partition: 0, offset: 2, error_code: null }] });

    const client = new ConfluentRegistryClient({ host: base });
    const values = await rawValues(topic);
    expect(values.map((v) => v.readUInt8(0))).toEqual([0, 0, 0]);
    expect(values.map((v) => v.readInt32BE(1))).toEqual([id, id, id]);
    expect(await Promise.all(values.map((v) => client.decode(v)))).toEqual([
      { user: 'ada', n: 1 },
      { user: 'bob', n: 2 },
      { user: 'cy', n: 3 },
    ]);

    const bad = await rest(base, 'POST', `/topics/${topic}`, { value_schema_id: id, records: [{ value: { user: 'x', n: 'not an int' } }] }, AVRO_V2);
    expect(bad.status).toBe(422);
    expect(bad.body.error_code).toBe(42205);
    const missing = await rest(base, 'POST', `/topics/${topic}`, { records: [{ value: { user: 'x', n: 1 } }] }, AVRO_V2);
    expect(missing.status).toBe(422);
    expect(missing.body.error_code).toBe(42202);
    const unknownId = await rest(base, 'POST', `/topics/${topic}`, { value_schema_id: 999999, records: [{ value: { user: 'x', n: 1 } }] }, AVRO_V2);
    expect(unknownId.status).toBe(404);
    expect((await rawValues(topic)).length).toBe(3);
  });

  it('jsonschema and protobuf values, with keys, read back by the Confluent deserializer', async () => {
    const topic = uniqueTopic('jsp');
    await createTopicOn(broker.bootstrap, topic, 1);
    const jsonSchema = JSON.stringify({ type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] });
    const js = await rest(
      base,
      'POST',
      `/topics/${topic}`,
      { key_schema: JSON.stringify({ type: 'string' }), value_schema: jsonSchema, records: [{ key: 'k1', value: { id: 7 } }] },
      'application/vnd.kafka.jsonschema.v2+json',
    );
    expect(js.status, js.text).toBe(200);
    expect(js.body.key_schema_id).toBeGreaterThan(0);
    const badJs = await rest(base, 'POST', `/topics/${topic}`, { value_schema: jsonSchema, records: [{ value: { id: 'seven' } }] }, 'application/vnd.kafka.jsonschema.v2+json');
    expect(badJs.body.error_code).toBe(42205);

    const proto = 'syntax = "proto3";\npackage bench;\nmessage Reading {\n  string sensor = 1;\n  double celsius = 2;\n}\n';
    const topic2 = uniqueTopic('proto');
    await createTopicOn(broker.bootstrap, topic2, 1);
    const pb = await rest(base, 'POST', `/topics/${topic2}`, { value_schema: proto, records: [{ value: { sensor: 's1', celsius: 21.5 } }] }, 'application/vnd.kafka.protobuf.v2+json');
    expect(pb.status, pb.text).toBe(200);

    const client = new ConfluentRegistryClient({ host: base });
    const [jsValue] = await rawValues(topic);
    expect(await client.decode(jsValue!)).toEqual({ id: 7 });
    const [pbValue] = await rawValues(topic2);
    expect(pbValue!.readInt32BE(1)).toBe(pb.body.value_schema_id);
    expect(JSON.parse(JSON.stringify(await client.decode(pbValue!)))).toEqual({ sensor: 's1', celsius: 21.5 });
    const keys = await kcatConsumeFormat(broker.bootstrap, topic, '%k', { partition: 0 });
    expect(keys.stdoutBytes.subarray(5).toString()).toBe('"k1"');
  });

  it('with the schema registry off, the schema formats answer 408 40801', async () => {
    const off = await startBroker({ args: ['--schema.registry.enable=false'] });
    const topic = uniqueTopic('off');
    await createTopicOn(off.bootstrap, topic, 1);
    const res = await rest(restBase(off), 'POST', `/topics/${topic}`, { value_schema: '"string"', records: [{ value: 'x' }] }, AVRO_V2);
    expect(res.status).toBe(408);
    expect(res.body.error_code).toBe(40801);
    await off.stop();
  });
});
