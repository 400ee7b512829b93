// Integration: bulk produce for scripts — NDJSON (record objects, bare values, explicit
// partitions, headers, blank lines) and CSV (header, key column by name or index, quoted
// fields with commas and newlines) against a real broker: every line is one record, keyed
// records land on murmur2's partition in line order (read back by kcat), the answer counts
// records and gives each partition's offset range; a bad line (422, with its number), a body
// over the bound (413) and too many records (42203) write nothing.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { kcatConsumeFormat, kcatConsumeJson } from '../helpers/kcat.js';
import { rest, restBase } from '../helpers/rest.js';
import { uniqueTopic } from '../helpers/topics.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;
const partitionOf = (key: string, n: number) => (kafkajsMurmur2(Buffer.from(key)) & 0x7fffffff) % n;

let broker: BrokerHandle;
let base: string;

beforeAll(async () => {
  broker = await startBroker({ args: ['--rest.max.records.per.request=2000', '--rest.max.request.bytes=262144'] });
  base = restBase(broker);
});

describe('NDJSON', () => {
  it('one record per line, keyed lines on murmur2’s partition in order, bare values, partitions and headers', async () => {
    const topic = uniqueTopic('nd');
    await createTopicOn(broker.bootstrap, topic, 3);
    const keyed = Array.from({ length: 600 }, (_, i) => JSON.stringify({ key: `user-${i % 7}`, value: { seq: i, user: i % 7 } }));
    const lines = [
      ...keyed,
      '',
      JSON.stringify({ id: 1, note: 'a bare object' }),
      '"a bare string"',
      '42',
      JSON.stringify({ value: 'to partition 2', partition: 2, headers: { source: 'script', empty: '' } }),
      JSON.stringify({ value: null, key: 'tomb', partition: 1 }),
    ];
    const res = await rest(base, 'POST', `/topics/${topic}/ndjson`, lines.join('\r\n') + '\n', 'application/x-ndjson');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ topic, records: 605, written: 605, failed: 0 });
    const ranges = res.body.partitions as Array<{ partition: number; first_offset: number; last_offset: number; count: number }>;
    expect(ranges.reduce((s, r) => s + r.count, 0)).toBe(605);
    for (const r of ranges) {
      expect(r.first_offset).toBe(0);
      expect(r.last_offset).toBe(r.count - 1);
    }

    const records = await kcatConsumeJson(broker.bootstrap, topic);
    expect(records).toHaveLength(605);
    const keyedRecords = records.filter((r) => r.key?.startsWith('user-'));
    expect(keyedRecords).toHaveLength(600);
    for (const r of keyedRecords) expect(r.partition).toBe(partitionOf(r.key!, 3));
    // Per key (hence per partition), the sequence numbers come back in line order.
    for (let u = 0; u < 7; u++) {
      const seqs = keyedRecords.filter((r) => r.key === `user-${u}`).sort((a, b) => a.offset - b.offset).map((r) => JSON.parse(r.payload!).seq);
      expect(seqs).toEqual(Array.from({ length: 600 }, (_, i) => i).filter((i) => i % 7 === u));
    }
    const unkeyed = records.filter((r) => r.key === null).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    expect(unkeyed.map((r) => r.payload).sort()).toEqual(['42', 'a bare string', JSON.stringify({ id: 1, note: 'a bare object' }), 'to partition 2'].sort());
    const p2 = await kcatConsumeFormat(broker.bootstrap, topic, '%s|%h\n', { partition: 2 });
    expect(p2.stdout.split('\n')).toContain('to partition 2|source=script,empty=');
    const tomb = records.find((r) => r.key === 'tomb')!;
    expect(tomb.partition).toBe(1);
    expect(tomb.payload).toBeNull();
  });

  it('a malformed line → 422 naming it, too many records → 42203, over the bound → 413; nothing written', async () => {
    const topic = uniqueTopic('ndbad');
    await createTopicOn(broker.bootstrap, topic, 1);
    const bad = await rest(base, 'POST', `/topics/${topic}/ndjson`, '{"value":1}\n{"value":\n{"value":3}\n', 'application/x-ndjson');
    expect(bad.status).toBe(422);
    expect(bad.body.error_code).toBe(42201);
    expect(bad.body.message).toMatch(/^line 2: malformed JSON/);
    const many = await rest(base, 'POST', `/topics/${topic}/ndjson`, Array.from({ length: 2001 }, (_, i) => String(i)).join('\n'), 'application/x-ndjson');
    expect(many.status).toBe(422);
    expect(many.body.error_code).toBe(42203);
    const big = await rest(base, 'POST', `/topics/${topic}/ndjson`, Array.from({ length: 100 }, () => JSON.stringify('x'.repeat(3000))).join('\n'), 'application/x-ndjson');
    expect(big.status).toBe(413);
    const unknown = await rest(base, 'POST', `/topics/${uniqueTopic('none')}/ndjson`, '1\n', 'application/x-ndjson');
    expect(unknown.body.error_code).toBe(40401);
    expect(await kcatConsumeJson(broker.bootstrap, topic)).toEqual([]);
  });
});

describe('CSV', () => {
  it('header row and key column by name: each row one record, the row as a JSON object', async () => {
    const topic = uniqueTopic('csv');
    await createTopicOn(broker.bootstrap, topic, 4);
    const rows = Array.from({ length: 300 }, (_, i) => [`id-${i % 11}`, `name ${i}`, String(i)]);
    const csv = ['id,name,seq', ...rows.map((r) => r.join(',')), '"id-q","quoted, with comma\nand newline",300'].join('\n') + '\n';
    const res = await rest(base, 'POST', `/topics/${topic}/csv?header=true&key_column=id`, csv, 'text/csv');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ records: 301, written: 301, failed: 0 });
    const records = await kcatConsumeJson(broker.bootstrap, topic);
    expect(records).toHaveLength(301);
    for (const r of records) expect(r.partition).toBe(partitionOf(r.key!, 4));
    for (let k = 0; k < 11; k++) {
      const mine = records.filter((r) => r.key === `id-${k}`).sort((a, b) => a.offset - b.offset);
      expect(mine.map((r) => JSON.parse(r.payload!))).toEqual(rows.filter((row) => row[0] === `id-${k}`).map(([id, name, seq]) => ({ id, name, seq })));
    }
    expect(JSON.parse(records.find((r) => r.key === 'id-q')!.payload!)).toEqual({ id: 'id-q', name: 'quoted, with comma\nand newline', seq: '300' });
  });

  it('no header, key column by index: the row as a JSON array; bad CSV and bad key column → 422', async () => {
    const topic = uniqueTopic('csvidx');
    await createTopicOn(broker.bootstrap, topic, 1);
    const res = await rest(base, 'POST', `/topics/${topic}/csv?key_column=1`, 'a,k1,x\nb,k2,y\n', 'text/csv');
    expect(res.status, res.text).toBe(200);
    expect(res.body.partitions).toEqual([{ partition: 0, first_offset: 0, last_offset: 1, count: 2 }]);
    expect((await kcatConsumeFormat(broker.bootstrap, topic, '%k=%s\n')).stdout).toBe('k1=["a","k1","x"]\nk2=["b","k2","y"]\n');
    const ragged = await rest(base, 'POST', `/topics/${topic}/csv`, 'a,b\nc\n', 'text/csv');
    expect(ragged.status).toBe(422);
    expect(ragged.body.message).toMatch(/^CSV:/);
    const noColumn = await rest(base, 'POST', `/topics/${topic}/csv?header=true&key_column=nope`, 'a,b\n1,2\n', 'text/csv');
    expect(noColumn.status).toBe(422);
    expect(noColumn.body.message).toMatch(/key_column nope/);
    expect(await kcatConsumeJson(broker.bootstrap, topic)).toHaveLength(2);
  });
});
