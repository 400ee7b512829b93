// Integration: v2 REST consumer instances on a real broker. Records produced by kcat are read
// back through GET …/records in the binary and json formats; a REST instance and a KafkaJS
// consumer in one group split the partitions (each reads only its own) and offsets committed
// over REST are what KafkaJS's admin sees; manual assignment with positions (seek, beginning,
// end); committed offsets over GET …/offsets; instance errors (unknown 40403, format mismatch
// 40601, duplicate 40901, too many 42901) and expiry after rest.consumer.instance.timeout.ms.
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatProduce } from '../helpers/kcat.js';
import { b64, BINARY_V2, JSON_V2, rest, restBase } from '../helpers/rest.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let base: string;
const consumers: Consumer[] = [];

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS] });
  base = restBase(broker);
});

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
});

interface RestRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

async function createInstance(group: string, config: Record<string, unknown>): Promise<string> {
  const res = await rest(base, 'POST', `/consumers/${group}`, config);
  expect(res.status, res.text).toBe(200);
  expect(res.body.base_uri).toBe(`${base}/consumers/${group}/instances/${res.body.instance_id}`);
  return `/consumers/${group}/instances/${res.body.instance_id}`;
}

/** Polls GET …/records until `count` records came (bounded by waitFor's timeout). */
async function pollRecords(instance: string, count: number, accept = BINARY_V2): Promise<RestRecord[]> {
  const got: RestRecord[] = [];
  await waitFor(
    async () => {
      const res = await rest<RestRecord[]>(base, 'GET', `${instance}/records?timeout=500`, undefined, undefined, { accept });
      expect(res.status, res.text).toBe(200);
      got.push(...res.body);
      return got.length >= count;
    },
    { timeoutMs: 20_000, what: `${count} records through ${instance}` },
  );
  return got;
}

describe('records produced by kcat, read over REST', () => {
  it('binary and json formats give back the bytes and the JSON kcat wrote, in offset order', async () => {
    const topic = uniqueTopic('kcat');
    await createTopicOn(broker.bootstrap, topic, 1);
    const lines = Array.from({ length: 25 }, (_, i) => `"k${i}"\t{"n":${i},"s":"é-${i}"}`);
    await kcatProduce(broker.bootstrap, topic, lines.join('\n') + '\n', { keyDelimiter: '\t' });

    const bin = await createInstance(`g-bin-${topic}`, { format: 'binary', 'auto.offset.reset': 'earliest' });
    expect((await rest(base, 'POST', `${bin}/subscription`, { topics: [topic] })).status).toBe(204);
    expect((await rest(base, 'GET', `${bin}/subscription`)).body).toEqual({ topics: [topic] });
    const binRecords = await pollRecords(bin, 25);
    expect(binRecords).toEqual(
      lines.map((l, i) => {
        const [k, v] = l.split('\t');
        return { topic, key: b64(k!), value: b64(v!), partition: 0, offset: i };
      }),
    );

    const json = await createInstance(`g-json-${topic}`, { format: 'json', 'auto.offset.reset': 'earliest' });
    await rest(base, 'POST', `${json}/subscription`, { topics: [topic] });
    // Asking a json instance for binary records is a format mismatch (406 40601).
    const mismatch = await rest(base, 'GET', `${json}/records`, undefined, undefined, { accept: BINARY_V2 });
    expect(mismatch.status).toBe(406);
    expect(mismatch.body.error_code).toBe(40601);
    const jsonRecords = await pollRecords(json, 25, JSON_V2);
    expect(jsonRecords.map((r) => r.value)).toEqual(Array.from({ length: 25 }, (_, i) => ({ n: i, s: `é-${i}` })));
    expect(jsonRecords.map((r) => r.key)).toEqual(Array.from({ length: 25 }, (_, i) => `k${i}`));
    expect(jsonRecords.map((r) => r.offset)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});

describe('schema formats', () => {
  it('an avro instance reads records produced in avro over REST as JSON; a record without the wire header is 50002', async () => {
    const topic = uniqueTopic('avro');
    await createTopicOn(broker.bootstrap, topic, 1);
    const schema = JSON.stringify({ type: 'record', name: 'Reading', fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'double' }] });
    const produced = await rest(base, 'POST', `/topics/${topic}`, { key_schema: '"string"', value_schema: schema, records: [{ key: 's1', value: { sensor: 's1', celsius: 21.5 } }, { key: 's2', value: { sensor: 's2', celsius: -3 } }] }, 'application/vnd.kafka.avro.v2+json');
    expect(produced.status, produced.text).toBe(200);
    const instance = await createInstance(`g-${topic}`, { format: 'avro', 'auto.offset.reset': 'earliest' });
    await rest(base, 'POST', `${instance}/subscription`, { topics: [topic] });
    const records = await pollRecords(instance, 2, 'application/vnd.kafka.avro.v2+json');
    expect(records.map((r) => [r.key, r.value, r.offset])).toEqual([
      ['s1', { sensor: 's1', celsius: 21.5 }, 0],
      ['s2', { sensor: 's2', celsius: -3 }, 1],
    ]);
    // A plain JSON record after them cannot be read as avro: the poll answers 50002 and the position stays.
    await rest(base, 'POST', `/topics/${topic}`, { records: [{ value: { plain: true } }] }, JSON_V2);
    const bad = await waitFor(async () => {
      const res = await rest(base, 'GET', `${instance}/records?timeout=200`, undefined, undefined, { accept: 'application/vnd.kafka.avro.v2+json' });
      return res.status !== 200 ? res : undefined;
    }, { what: 'the avro instance to refuse the plain record' });
    expect(bad.status).toBe(500);
    expect(bad.body.error_code).toBe(50002);
    expect(bad.body.message).toMatch(/wire format/);
  });
});

describe('a REST instance and a KafkaJS consumer in one group', () => {
  it('split the partitions, each reads only its own, and REST commits are what KafkaJS sees', async () => {
    const topic = uniqueTopic('shared');
    const group = `g-${topic}`;
    await createTopicOn(broker.bootstrap, topic, 4);
    const instance = await createInstance(group, { format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
    await rest(base, 'POST', `${instance}/subscription`, { topics: [topic] });
    const assignments = async () => (await rest(base, 'GET', `${instance}/assignments`)).body.partitions as Array<{ topic: string; partition: number }>;
    await waitFor(async () => {
      await rest(base, 'GET', `${instance}/records?timeout=100`);
      return (await assignments()).length === 4;
    }, { what: 'the REST instance alone to hold all 4 partitions' });

    const kafkajsPartitions = new Set<number>();
    const kafkajsSeen: Array<{ partition: number; value: string }> = [];
    const consumer = kafkaClient(broker.bootstrap).consumer({ groupId: group, sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 10_000 });
    consumers.push(consumer);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      kafkajsPartitions.clear();
      for (const p of e.payload.memberAssignment[topic] ?? []) kafkajsPartitions.add(p);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void kafkajsSeen.push({ partition, value: message.value!.toString() }) });

    // The REST member notices the rebalance on its heartbeat and rejoins: two partitions each.
    const restPartitions = await waitFor(async () => {
      await rest(base, 'GET', `${instance}/records?timeout=100`);
      const mine = (await assignments()).map((p) => p.partition);
      return mine.length === 2 && kafkajsPartitions.size === 2 ? mine : undefined;
    }, { timeoutMs: 30_000, what: 'the group to split 2 + 2' });
    expect([...restPartitions, ...kafkajsPartitions].sort()).toEqual([0, 1, 2, 3]);

    // 10 records on each partition, produced over REST.
    for (let p = 0; p < 4; p++) {
      const res = await rest(base, 'POST', `/topics/${topic}/partitions/${p}`, { records: Array.from({ length: 10 }, (_, i) => ({ value: b64(`p${p}-${i}`) })) }, BINARY_V2);
      expect(res.status).toBe(200);
    }
    const restRecords = await pollRecords(instance, 20);
    expect(restRecords).toHaveLength(20);
    expect(new Set(restRecords.map((r) => r.partition))).toEqual(new Set(restPartitions));
    await waitFor(() => kafkajsSeen.length >= 20, { what: 'KafkaJS to read its 20 records' });
    expect(new Set(kafkajsSeen.map((r) => r.partition))).toEqual(kafkajsPartitions);
    const all = [...restRecords.map((r) => Buffer.from(r.value as string, 'base64').toString()), ...kafkajsSeen.map((r) => r.value)].sort();
    expect(all).toEqual(Array.from({ length: 4 }, (_, p) => Array.from({ length: 10 }, (_, i) => `p${p}-${i}`)).flat().sort());

    // Commit explicit offsets over REST: KafkaJS's admin (OffsetFetch) sees them.
    const [a, b] = restPartitions;
    const commit = await rest(base, 'POST', `${instance}/offsets`, { offsets: [{ topic, partition: a, offset: 7 }, { topic, partition: b, offset: 10 }] });
    expect(commit.status, commit.text).toBe(200);
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const committed = new Map(fetched[0]!.partitions.map((p) => [p.partition, p.offset]));
      expect(committed.get(a!)).toBe('7');
      expect(committed.get(b!)).toBe('10');
    } finally {
      await admin.disconnect();
    }
    const got = await rest(base, 'GET', `${instance}/offsets`, { partitions: [{ topic, partition: a }, { topic, partition: b }] });
    expect(got.body).toEqual({ offsets: [{ topic, partition: a, offset: 7, metadata: '' }, { topic, partition: b, offset: 10, metadata: '' }] });

    // Deleting the instance leaves the group: KafkaJS takes all 4 partitions.
    expect((await rest(base, 'DELETE', instance)).status).toBe(204);
    await waitFor(() => kafkajsPartitions.size === 4, { timeoutMs: 30_000, what: 'KafkaJS to take every partition' });
    expect((await rest(base, 'GET', `${instance}/assignments`)).body.error_code).toBe(40403);
  });
});

describe('manual assignment and positions', () => {
  it('assign, seek, beginning and end; commit of the positions', async () => {
    const topic = uniqueTopic('manual');
    await createTopicOn(broker.bootstrap, topic, 2);
    await rest(base, 'POST', `/topics/${topic}/partitions/1`, { records: Array.from({ length: 10 }, (_, i) => ({ value: i })) }, JSON_V2);
    const group = `g-${topic}`;
    const instance = await createInstance(group, { format: 'json', 'auto.commit.enable': false });
    expect((await rest(base, 'POST', `${instance}/assignments`, { partitions: [{ topic, partition: 1 }] })).status).toBe(204);
    expect((await rest(base, 'GET', `${instance}/assignments`)).body).toEqual({ partitions: [{ topic, partition: 1 }] });
    // Subscribing while assigned is an illegal state (409 40902).
    const both = await rest(base, 'POST', `${instance}/subscription`, { topics: [topic] });
    expect(both.status).toBe(409);
    expect(both.body.error_code).toBe(40902);
    // auto.offset.reset latest (the default): nothing until a seek.
    expect((await rest(base, 'GET', `${instance}/records?timeout=200`, undefined, undefined, { accept: JSON_V2 })).body).toEqual([]);
    expect((await rest(base, 'POST', `${instance}/positions`, { offsets: [{ topic, partition: 1, offset: 6 }] })).status).toBe(204);
    expect((await pollRecords(instance, 4, JSON_V2)).map((r) => r.value)).toEqual([6, 7, 8, 9]);
    expect((await rest(base, 'POST', `${instance}/positions/beginning`, { partitions: [{ topic, partition: 1 }] })).status).toBe(204);
    expect((await pollRecords(instance, 10, JSON_V2)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await rest(base, 'POST', `${instance}/positions/end`, { partitions: [{ topic, partition: 1 }] });
    await rest(base, 'POST', `/topics/${topic}/partitions/1`, { records: [{ value: 'new' }] }, JSON_V2);
    expect((await pollRecords(instance, 1, JSON_V2)).map((r) => [r.offset, r.value])).toEqual([[10, 'new']]);
    // A seek on a partition not assigned → 409; an empty commit body commits the positions.
    expect((await rest(base, 'POST', `${instance}/positions`, { offsets: [{ topic, partition: 0, offset: 0 }] })).status).toBe(409);
    expect((await rest(base, 'POST', `${instance}/offsets`)).status).toBe(200);
    const committed = await rest(base, 'GET', `${instance}/offsets`, { partitions: [{ topic, partition: 1 }] });
    expect(committed.body.offsets).toEqual([{ topic, partition: 1, offset: 11, metadata: '' }]);
  });
});

describe('instance errors and bounds', () => {
  it('unknown instance 40403, duplicate name 40901, bad config 42204, too many 42901, expiry → 40403', async () => {
    const b2 = await startBroker({ args: [...GROUP_TEST_FLAGS, '--rest.consumer.instance.timeout.ms=1500', '--rest.consumer.max.instances=2'] });
    const base2 = restBase(b2);
    const unknown = await rest(base2, 'GET', '/consumers/g/instances/nope/records');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error_code: 40403 });
    expect((await rest(base2, 'POST', '/consumers/g', { name: 'one', format: 'binary' })).status).toBe(200);
    const dup = await rest(base2, 'POST', '/consumers/g', { name: 'one' });
    expect(dup.status).toBe(409);
    expect(dup.body.error_code).toBe(40901);
    const badConfig = await rest(base2, 'POST', '/consumers/g', { name: 'x', 'auto.offset.reset': 'sometimes' });
    expect(badConfig.status).toBe(422);
    expect(badConfig.body.error_code).toBe(42204);
    expect((await rest(base2, 'POST', '/consumers/g', { name: 'two' })).status).toBe(200);
    const third = await rest(base2, 'POST', '/consumers/g', { name: 'three' });
    expect(third.status).toBe(429);
    expect(third.body.error_code).toBe(42901);
    // Left idle, both expire (the broker logs it) and answer 40403 from then on.
    await waitFor(() => b2.logLines().filter((l) => l.msg === 'REST consumer instance expired').length >= 2, { timeoutMs: 15_000, what: 'both instances to expire' });
    const expired = await rest(base2, 'GET', '/consumers/g/instances/one/assignments');
    expect(expired.status).toBe(404);
    expect(expired.body.error_code).toBe(40403);
    // Room again for new instances.
    expect((await rest(base2, 'POST', '/consumers/g', { name: 'three' })).status).toBe(200);
    await b2.stop();
  });
});
