// Integration: produce and consume with kcat (librdkafka 2.x) — every compression codec,
// keys, headers, null keys, empty and null values, a 1 MiB record, consuming from the middle
// of a batch, LogAppendTime, auto-creation, and ListOffsets by timestamp. Comparisons are
// byte-exact: `-f` output against a string built from what was produced, and `-J` fields.
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import {
  kcatConsumeFormat,
  kcatConsumeJson,
  kcatMetadata,
  kcatProduce,
  kcatQueryOffset,
  runKcat,
  type Codec,
  type KcatRecord,
} from '../helpers/kcat.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let admin: Admin;

beforeAll(async () => {
  broker = await startBroker({ args: ['--num.partitions=3', '--auto.create.topics.enable=true'] });
  admin = kafkaClient(broker.bootstrap).admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

const createTopic = (topic: string, numPartitions: number, configs: Record<string, string> = {}) => createTopicOn(broker.bootstrap, topic, numPartitions, configs);

/** Groups -J records by partition, each list in offset order. */
function byPartition(records: KcatRecord[]): Map<number, KcatRecord[]> {
  const out = new Map<number, KcatRecord[]>();
  for (const r of records) {
    if (!out.has(r.partition)) out.set(r.partition, []);
    out.get(r.partition)!.push(r);
  }
  for (const list of out.values()) list.sort((a, b) => a.offset - b.offset);
  return out;
}

const CODECS: Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

describe('every codec', () => {
  it.each(CODECS)('%s: keyed records with headers round-trip byte-exact, in order per partition', async (codec) => {
    const topic = uniqueTopic(codec);
    await createTopic(topic, 3);
    const headers: Array<[string, string]> = [
      ['trace-id', `abc-${codec}`],
      ['h2', 'x=y'], // '=' inside the value: kcat splits at the first one
      ['empty', ''],
    ];
    // Compressible values (repetition) plus unique parts, no tabs/newlines/commas.
    const records = Array.from({ length: 200 }, (_, i) => ({
      key: `key-${i % 7}`,
      value: `value-${codec}-${i}-${'payload '.repeat(i % 13)}${randomBytes(6).toString('hex')}`,
    }));
    const started = Date.now();
    await kcatProduce(broker.bootstrap, topic, records.map((r) => `${r.key}\t${r.value}\n`).join(''), {
      keyDelimiter: '\t',
      headers,
      compression: codec,
    });
    const finished = Date.now();

    const consumed = await kcatConsumeJson(broker.bootstrap, topic);
    expect(consumed).toHaveLength(records.length);
    const parts = byPartition(consumed);

    // Same key → same partition; per partition, produce order and contiguous offsets from 0.
    const partitionOfKey = new Map<string, number>();
    for (const r of consumed) {
      const seen = partitionOfKey.get(r.key!);
      if (seen !== undefined) expect(r.partition, `key ${r.key}`).toBe(seen);
      partitionOfKey.set(r.key!, r.partition);
    }
    for (const [partition, list] of parts) {
      const expected = records.filter((r) => partitionOfKey.get(r.key) === partition);
      expect(list.map((r) => r.offset)).toEqual(expected.map((_, i) => i));
      expect(list.map((r) => [r.key, r.payload])).toEqual(expected.map((r) => [r.key, r.value]));
      for (const r of list) {
        expect(r.headers).toEqual(headers.flat());
        expect(r.tstype).toBe('create');
        expect(r.ts).toBeGreaterThanOrEqual(started - 1000);
        expect(r.ts).toBeLessThanOrEqual(finished + 1000);
      }
    }

    // Byte-exact text rendering of one partition via -f.
    const [partition, list] = [...parts.entries()][0]!;
    const formatted = await kcatConsumeFormat(broker.bootstrap, topic, '%k\t%s\t%h\t%p\t%o\n', { partition });
    const expectedText = records
      .filter((r) => partitionOfKey.get(r.key) === partition)
      .map((r, offset) => `${r.key}\t${r.value}\ttrace-id=abc-${codec},h2=x=y,empty=\t${partition}\t${offset}\n`)
      .join('');
    expect(formatted.stdout).toBe(expectedText);
    expect(list).toHaveLength(expectedText.split('\n').length - 1);
  });
});

describe('keys and values', () => {
  it('null keys, empty keys, empty values', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    // Keyless: no -K, so every key is null.
    await kcatProduce(broker.bootstrap, topic, 'no-key-1\nno-key-2\n', { partition: 0 });
    // Keyed with an empty key and an empty value.
    await kcatProduce(broker.bootstrap, topic, '\tempty-key\nkey-with-empty-value\t\n', { partition: 0, keyDelimiter: '\t' });

    const consumed = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0 });
    expect(consumed.map((r) => [r.offset, r.key, r.payload])).toEqual([
      [0, null, 'no-key-1'],
      [1, null, 'no-key-2'],
      [2, '', 'empty-key'],
      [3, 'key-with-empty-value', ''],
    ]);
    // %K/%S print the key/value length, -1 for null: null and empty told apart byte-exact.
    const formatted = await kcatConsumeFormat(broker.bootstrap, topic, '[%K:%k|%S:%s]', { partition: 0 });
    expect(formatted.stdout).toBe('[-1:|8:no-key-1][-1:|8:no-key-2][0:|9:empty-key][20:key-with-empty-value|0:]');
  });

  it('null values (kcat -Z turns empty messages into NULL)', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    await kcatProduce(broker.bootstrap, topic, 'tombstone-key\t\nlive-key\tlive\n', { partition: 0, keyDelimiter: '\t', emptyAsNull: true });
    const consumed = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0 });
    expect(consumed.map((r) => [r.offset, r.key, r.payload])).toEqual([
      [0, 'tombstone-key', null],
      [1, 'live-key', 'live'],
    ]);
    const formatted = await kcatConsumeFormat(broker.bootstrap, topic, '[%K:%k|%S:%s]', { partition: 0 });
    expect(formatted.stdout).toBe('[13:tombstone-key|-1:][8:live-key|4:live]');
  });

  it('a 1 MiB record round-trips when the topic allows it, and is MESSAGE_TOO_LARGE when it does not', async () => {
    const big = randomBytes(512 * 1024).toString('hex'); // 1 MiB of [0-9a-f]
    expect(big.length).toBe(1024 * 1024);
    const producerConfig = { 'message.max.bytes': 2_000_000, 'batch.size': 2_000_000 };

    const roomy = uniqueTopic('roomy');
    await createTopic(roomy, 1, { 'max.message.bytes': '2097152' });
    await kcatProduce(broker.bootstrap, roomy, `big-key\t${big}\nsmall-key\tafter\n`, {
      partition: 0,
      keyDelimiter: '\t',
      config: producerConfig,
      timeoutMs: 60_000,
    });
    const formatted = await kcatConsumeFormat(broker.bootstrap, roomy, '%k\t%s\t%o\n', {
      partition: 0,
      config: { 'fetch.message.max.bytes': 2_097_152 },
      timeoutMs: 60_000,
    });
    expect(formatted.stdout.length).toBe(`big-key\t${big}\t0\nsmall-key\tafter\t1\n`.length);
    expect(formatted.stdout === `big-key\t${big}\t0\nsmall-key\tafter\t1\n`).toBe(true);

    // Default max.message.bytes (1048588) is smaller than this record's batch.
    const tight = uniqueTopic('tight');
    await createTopic(tight, 1);
    const rejected = await runKcat(
      ['-P', '-b', broker.bootstrap, '-t', tight, '-p', '0', '-X', 'message.max.bytes=2000000', '-X', 'batch.size=2000000', '-X', 'message.timeout.ms=20000'],
      { input: `${big}\n`, timeoutMs: 60_000 },
    );
    expect(rejected.timedOut).toBe(false);
    expect(rejected.stderr).toMatch(/too large/i);
    expect(await kcatConsumeJson(broker.bootstrap, tight, { partition: 0 })).toEqual([]);
  });
});

describe('fetch positions', () => {
  it('consuming from an offset inside a batch returns exactly the records from that offset', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const lines = Array.from({ length: 50 }, (_, i) => `record-${i}`);
    // One kcat call: librdkafka packs these into one or a few batches.
    await kcatProduce(broker.bootstrap, topic, lines.join('\n') + '\n', { partition: 0, config: { 'linger.ms': 100 } });
    for (const start of [0, 1, 17, 49]) {
      const out = await kcatConsumeFormat(broker.bootstrap, topic, '%o:%s\n', { partition: 0, offset: start });
      expect(out.stdout).toBe(lines.slice(start).map((l, i) => `${start + i}:${l}\n`).join(''));
    }
    // From the end: nothing.
    const end = await kcatConsumeFormat(broker.bootstrap, topic, '%o:%s\n', { partition: 0, offset: 'end' });
    expect(end.stdout).toBe('');
    // Relative from the end (-o -3).
    const tail = await kcatConsumeFormat(broker.bootstrap, topic, '%o\n', { partition: 0, offset: -3 });
    expect(tail.stdout).toBe('47\n48\n49\n');
  });

  it('appends after many small batches keep offsets contiguous across batches', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const expected: string[] = [];
    for (let call = 0; call < 5; call++) {
      const lines = Array.from({ length: 10 }, (_, i) => `c${call}-r${i}`);
      expected.push(...lines);
      await kcatProduce(broker.bootstrap, topic, lines.join('\n') + '\n', { partition: 0, config: { 'batch.num.messages': 3 } });
    }
    const out = await kcatConsumeFormat(broker.bootstrap, topic, '%o:%s\n', { partition: 0 });
    expect(out.stdout).toBe(expected.map((l, i) => `${i}:${l}\n`).join(''));
  });
});

describe('topics and timestamps', () => {
  it('auto-creates a topic on first produce with num.partitions partitions', async () => {
    const topic = uniqueTopic();
    await kcatProduce(broker.bootstrap, topic, 'auto\n', { partition: 1 });
    const meta = await kcatMetadata(broker.bootstrap, topic);
    expect(meta.topics[0]!.partitions).toHaveLength(3);
    const consumed = await kcatConsumeJson(broker.bootstrap, topic);
    expect(consumed.map((r) => [r.partition, r.offset, r.payload])).toEqual([[1, 0, 'auto']]);
  });

  it('message.timestamp.type=LogAppendTime: the broker stamps records', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { 'message.timestamp.type': 'LogAppendTime' });
    const before = Date.now();
    await kcatProduce(broker.bootstrap, topic, 'a\nb\nc\n', { partition: 0 });
    const after = Date.now();
    const consumed = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0 });
    expect(consumed.map((r) => r.payload)).toEqual(['a', 'b', 'c']);
    for (const r of consumed) {
      expect(r.tstype).toBe('logappend');
      expect(r.ts).toBeGreaterThanOrEqual(before);
      expect(r.ts).toBeLessThanOrEqual(after);
    }
  });

  it('ListOffsets by timestamp (kcat -Q and KafkaJS), earliest and latest', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    // Three produce calls; each waits for its acks, so their timestamps are ordered.
    for (let call = 0; call < 3; call++) {
      const lines = Array.from({ length: 4 }, (_, i) => `t${call}-${i}`).join('\n') + '\n';
      await kcatProduce(broker.bootstrap, topic, lines, { partition: 0 });
    }
    const consumed = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0 });
    expect(consumed).toHaveLength(12);
    const firstAtOrAfter = (ts: number) => {
      const hit = consumed.find((r) => r.ts >= ts);
      return hit ? hit.offset : -1;
    };

    const probes = new Set<number>([consumed[0]!.ts, consumed[4]!.ts, consumed[8]!.ts, consumed[11]!.ts, consumed[5]!.ts + 1, consumed[0]!.ts - 1000]);
    for (const ts of probes) {
      expect(await kcatQueryOffset(broker.bootstrap, topic, 0, ts), `timestamp ${ts}`).toBe(firstAtOrAfter(ts));
    }
    // After the last record: no offset (-1).
    expect(await kcatQueryOffset(broker.bootstrap, topic, 0, consumed[11]!.ts + 3_600_000)).toBe(-1);
    // -1 = latest (high watermark), -2 = earliest (log start).
    expect(await kcatQueryOffset(broker.bootstrap, topic, 0, -1)).toBe(12);
    expect(await kcatQueryOffset(broker.bootstrap, topic, 0, -2)).toBe(0);

    // The same through KafkaJS's ListOffsets.
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, consumed[4]!.ts);
    expect(byTime).toEqual([{ partition: 0, offset: String(firstAtOrAfter(consumed[4]!.ts)) }]);
    const latest = await admin.fetchTopicOffsets(topic);
    expect(latest).toEqual([expect.objectContaining({ partition: 0, offset: '12', high: '12', low: '0' })]);
  });
});
