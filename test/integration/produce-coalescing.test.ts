// Integration (issue 13): produce requests that reach the broker in the same event-loop turn
// cross to their worker slot as one append task. Coalescing must not change semantics: many
// pipelined single-record requests on several connections to one partition, with acks=0, 1 and
// all mixed in one turn, all land exactly once, in request order per connection, each
// acknowledged offset holding the record its request carried — and /metrics shows that far
// fewer tasks than requests crossed to the worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { fetch, metadata, PRODUCE_VERSION, produceRequestBody } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';
import { decodeProduceResponse, encodeProduceRequest, produceApi } from '../../src/protocol/generated/messages/00-produce.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ args: ['--num.partitions=1', '--worker.threads=1', '--http.listeners=127.0.0.1:0'] });
});
afterAll(async () => {
  await broker?.stop();
});

const CONNECTIONS = 4;
const REQUESTS = 300;

describe('produce coalescing', () => {
  it.each([
    { name: 'acks=0, 1 and all mixed in one turn', acksPattern: [1, -1, 0, 1, 1, -1, 0, 1], maxTaskShare: 1 },
    // One durability class: the requests of a turn share a task.
    { name: 'acks=1 only', acksPattern: [1], maxTaskShare: 0.25 },
    { name: 'acks=all only', acksPattern: [-1], maxTaskShare: 0.25 },
  ])('keeps every record exactly once and in request order per connection ($name)', async ({ acksPattern, maxTaskShare }) => {
    const ACKS = acksPattern;
    const topic = uniqueTopic('coalesce');
    const setup = await RawKafkaConnection.connect(broker.host, broker.port);
    expect((await metadata(setup, [topic], 12, { autoCreate: true })).topics[0]!.errorCode).toBe(0);
    const before = await scrapeMetrics(httpPortOf(broker));

    const connections = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawKafkaConnection.connect(broker.host, broker.port)));
    const expected = new Map<string, { conn: number; i: number; acks: number }>();
    const pendingAnswers = connections.map((c, conn) => {
      const frames: Buffer[] = [];
      const answered: Array<{ correlationId: number; value: string }> = [];
      for (let i = 0; i < REQUESTS; i++) {
        const acks = ACKS[i % ACKS.length]!;
        const value = `c${conn}-${String(i).padStart(4, '0')}-a${acks}`;
        expected.set(value, { conn, i, acks });
        const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });
        const { payload, correlationId } = c.buildRequest(produceApi.apiKey, PRODUCE_VERSION, encodeProduceRequest, produceRequestBody(topic, 0, records, acks));
        const size = Buffer.alloc(4);
        size.writeInt32BE(payload.length);
        frames.push(size, payload);
        if (acks !== 0) answered.push({ correlationId, value });
      }
      // One socket write: the broker reads the whole pipeline in one or a few turns.
      c.writeRaw(Buffer.concat(frames));
      return answered;
    });

    // Answers arrive in request order per connection (readResponse checks each correlation id).
    const acknowledged = new Map<number, string>();
    await Promise.all(
      connections.map(async (c, conn) => {
        let last = -1;
        for (const { correlationId, value } of pendingAnswers[conn]!) {
          const r = await c.readResponse(produceApi.apiKey, PRODUCE_VERSION, correlationId, 30_000);
          const p = decodeProduceResponse(r, PRODUCE_VERSION).responses[0]!.partitionResponses[0]!;
          expect(p.errorCode).toBe(0);
          const offset = Number(p.baseOffset);
          expect(offset).toBeGreaterThan(last);
          last = offset;
          expect(acknowledged.has(offset)).toBe(false); // nothing acknowledged twice
          acknowledged.set(offset, value);
        }
      }),
    );
    for (const c of connections) c.close();

    // Every record (acks=0 ones too) is in the log exactly once, in request order per connection,
    // and each acknowledged offset holds the record its request carried.
    const total = CONNECTIONS * REQUESTS;
    const log: string[] = [];
    await waitFor(
      async () => {
        while (log.length < total) {
          const f = await fetch(setup, topic, 0, log.length, { maxBytes: 1 << 20 });
          const values = f.batches.flatMap((b) => b.records.filter((rec) => Number(rec.offset) >= log.length).map((rec) => rec.value!.toString()));
          if (values.length === 0) return false;
          log.push(...values);
        }
        return true;
      },
      { timeoutMs: 30_000, what: `${total} records in the log` },
    );
    setup.close();
    expect(log).toHaveLength(total);
    expect(new Set(log).size).toBe(total);
    expect([...expected.keys()].every((v) => log.includes(v))).toBe(true);
    for (let conn = 0; conn < CONNECTIONS; conn++) {
      const mine = log.filter((v) => v.startsWith(`c${conn}-`)).map((v) => expected.get(v)!.i);
      expect(mine).toEqual(Array.from({ length: REQUESTS }, (_, i) => i));
    }
    for (const [offset, value] of acknowledged) expect(log[offset]).toBe(value);

    // The requests crossed to the worker in far fewer tasks than there were requests.
    const after = await scrapeMetrics(httpPortOf(broker));
    const tasks = after.get('strata_append_tasks_total')! - (before.get('strata_append_tasks_total') ?? 0);
    const submissions = after.get('strata_append_submissions_total')! - (before.get('strata_append_submissions_total') ?? 0);
    expect(submissions).toBe(total);
    expect(tasks).toBeLessThanOrEqual(total * maxTaskShare);
  });
});
