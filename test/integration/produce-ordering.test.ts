// Integration: pipelined produce requests to one partition land in request order, even when
// more requests are in flight than a worker slot runs at once (worker.concurrent.tasks=4
// here, so most of them wait in the router's per-slot queue). librdkafka (kcat) sends small
// batches back to back without waiting for answers; a reordering shows as a record whose
// value is not its offset + 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { kcatConsumeJson, kcatProduce } from '../helpers/kcat.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ args: ['--worker.concurrent.tasks=4', '--num.partitions=1'] });
});
afterAll(async () => {
  await broker?.stop();
});

describe('produce ordering', () => {
  it.each(['all', '1'])('keeps 100 pipelined requests in order with acks=%s', async (acks) => {
    const topic = uniqueTopic('ordering');
    const count = 2000;
    const lines = Array.from({ length: count }, (_, i) => String(i + 1)).join('\n') + '\n';
    await kcatProduce(broker.bootstrap, topic, lines, {
      config: { 'batch.num.messages': 20, 'linger.ms': 0, 'max.in.flight': 100, acks },
    });
    const records = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0, timeoutMs: 60_000 });
    expect(records.length).toBe(count);
    const misplaced = records.filter((r) => r.payload !== String(r.offset + 1));
    expect(misplaced.slice(0, 5)).toEqual([]);
  });
});
