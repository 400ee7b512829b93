// Integration: crash safety. kill -9 the broker while acks=all producers stream into it,
// restart on the same data dir, and check that every acknowledged record is there exactly
// once, in order, with contiguous offsets, that the log reads cleanly (kcat exits 0), and
// that appends continue after the recovered end. Then torn and garbage tails written into
// the active segment by hand are truncated at start-up.
import fs from 'node:fs';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { kcatConsumeJson, kcatProduce } from '../helpers/kcat.js';
import { uniqueTopic } from '../helpers/topics.js';

const open: Producer[] = [];
afterAll(async () => {
  await Promise.all(open.map((p) => p.disconnect().catch(() => undefined)));
});

const createTopic = (broker: BrokerHandle, topic: string, numPartitions: number) => createTopicOn(broker.bootstrap, topic, numPartitions);

/** Reads a whole partition with kcat; fails unless kcat exits 0. Checks offsets are 0..n-1. */
async function readPartition(broker: BrokerHandle, topic: string, partition: number): Promise<string[]> {
  const records = await kcatConsumeJson(broker.bootstrap, topic, { partition, timeoutMs: 60_000 });
  expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
  return records.map((r) => r.payload ?? '<null>');
}

function activeSegment(dataDir: string, topic: string, partition: number): string {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  const logs = fs.readdirSync(dir).filter((f) => /^\d{20}\.log$/.test(f)).sort();
  expect(logs.length, `segments in ${dir}`).toBeGreaterThan(0);
  return path.join(dir, logs[logs.length - 1]!);
}

describe('kill -9 under load', () => {
  it('every acknowledged acks=all record survives exactly once, in order; appends continue', async () => {
    // Small segments so the stream rolls segments while it runs.
    const broker = await startBroker({ args: ['--num.partitions=1', '--log.segment.bytes=262144'] });
    const topic = uniqueTopic();
    const partitions = [0, 1];
    await createTopic(broker, topic, partitions.length);

    const kafka = kafkaClient(broker.bootstrap, { retry: { retries: 0 } });
    const acked = partitions.map(() => [] as string[]);
    /** The batch that was in flight when its producer failed: appended entirely or not at all. */
    const uncertain = partitions.map(() => [] as string[]);
    let stop = false;
    const pad = 'x'.repeat(180);

    // One sequential, non-retrying producer per partition: the log must be exactly the acked
    // batches in order, plus at most the one batch in flight at the kill.
    const loops = partitions.map(async (partition) => {
      const producer = kafka.producer({ retry: { retries: 0 }, maxInFlightRequests: 1 });
      open.push(producer);
      await producer.connect();
      for (let batchNo = 0; !stop; batchNo++) {
        const values = Array.from({ length: 20 }, (_, i) => `p${partition}-b${batchNo}-r${i}-${pad}`);
        try {
          const result = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition, value })) });
          expect(result[0]!.errorCode).toBe(0);
          acked[partition]!.push(...values);
        } catch {
          uncertain[partition] = values;
          return;
        }
      }
    });

    await waitFor(() => acked.every((a) => a.length >= 2_000), { timeoutMs: 45_000, what: '100 acknowledged batches per partition' });
    await broker.kill9();
    stop = true;
    await Promise.all(loops);
    expect(acked.every((a) => a.length >= 2_000)).toBe(true);

    await broker.restart();
    for (const partition of partitions) {
      const values = await readPartition(broker, topic, partition);
      const ack = acked[partition]!;
      expect(values.length).toBeGreaterThanOrEqual(ack.length);
      // Exactly the acknowledged records, in order…
      expect(values.slice(0, ack.length)).toEqual(ack);
      // …then nothing, or the whole in-flight batch (batches are atomic).
      const rest = values.slice(ack.length);
      expect([0, uncertain[partition]!.length]).toContain(rest.length);
      if (rest.length > 0) expect(rest).toEqual(uncertain[partition]);
      expect(new Set(values).size).toBe(values.length);
    }
    // Several segments were rolled and survive.
    const segments = fs.readdirSync(path.join(broker.dataDir, `${topic}-0`)).filter((f) => f.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(1);

    // Appends continue right after the recovered end.
    const before = (await readPartition(broker, topic, 0)).length;
    await kcatProduce(broker.bootstrap, topic, 'after-1\nafter-2\n', { partition: 0 });
    const after = await readPartition(broker, topic, 0);
    expect(after.length).toBe(before + 2);
    expect(after.slice(-2)).toEqual(['after-1', 'after-2']);
    expect((await broker.stop()).code).toBe(0);
  });
});

describe('torn and corrupt tails', () => {
  it('start-up truncates a torn batch or garbage at the end of the active segment', async () => {
    const broker = await startBroker({ args: ['--num.partitions=1'] });
    const topic = uniqueTopic();
    await createTopic(broker, topic, 1);
    const first = Array.from({ length: 50 }, (_, i) => `first-${i}`);
    await kcatProduce(broker.bootstrap, topic, first.join('\n') + '\n', { partition: 0 });
    expect(await readPartition(broker, topic, 0)).toEqual(first);

    // 1. Clean stop, then half a batch appended (a torn write).
    expect((await broker.stop()).code).toBe(0);
    const segment = activeSegment(broker.dataDir, topic, 0);
    const sizeBefore = fs.statSync(segment).size;
    const batch = encodeRecordBatch({ baseOffset: 50, records: [{ key: null, value: Buffer.from('torn-record-'.repeat(10)) }] });
    fs.appendFileSync(segment, batch.subarray(0, Math.floor(batch.length / 2)));
    await broker.restart();
    expect(await readPartition(broker, topic, 0)).toEqual(first);
    expect(fs.statSync(activeSegment(broker.dataDir, topic, 0)).size).toBe(sizeBefore);
    await kcatProduce(broker.bootstrap, topic, 'second-0\nsecond-1\n', { partition: 0 });
    const second = [...first, 'second-0', 'second-1'];
    expect(await readPartition(broker, topic, 0)).toEqual(second);

    // 2. kill -9 (no clean checkpoint), then a whole batch with a bad CRC plus random garbage.
    await broker.kill9();
    const bad = encodeRecordBatch({ baseOffset: 52, records: [{ key: null, value: Buffer.from('bad-crc') }] });
    bad[bad.length - 1] ^= 0xff;
    fs.appendFileSync(activeSegment(broker.dataDir, topic, 0), Buffer.concat([bad, Buffer.from('\x00\x00\x00\x00garbage garbage garbage')]));
    await broker.restart();
    expect(await readPartition(broker, topic, 0)).toEqual(second);
    await kcatProduce(broker.bootstrap, topic, 'third-0\n', { partition: 0 });
    expect(await readPartition(broker, topic, 0)).toEqual([...second, 'third-0']);
    expect((await broker.stop()).code).toBe(0);
  });
});
