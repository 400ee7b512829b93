// Integration: partitions moved between worker slots of a real broker while real clients use
// them. An idempotent acks=all KafkaJS producer and a KafkaJS consumer group run throughout
// 100 forced moves (POST /admin/placement/moves): every acknowledged record is in the log
// exactly once and in order, the consumer sees each once in order, and neither client sees
// an error it does not retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeJson } from '../helpers/kcat.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { getPlacement, movePartition, slotOf, type PlacementView } from '../helpers/placement.js';
import { runStrata, strataJson, strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

const SLOTS = 3;
const PARTITIONS = 4;
const MOVES = 100;

let broker: BrokerHandle;

beforeAll(async () => {
  broker = await startBroker({ args: [`--worker.threads=${SLOTS}`] });
});

afterAll(async () => {
  await broker?.stop();
});

/** Polls `check` until it is true, failing after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('partition moves between worker slots', () => {
  it('100 forced moves under an idempotent acks=all producer and a consumer: every record exactly once, in order', async () => {
    const topic = uniqueTopic('moves');
    await createTopicOn(broker.bootstrap, topic, PARTITIONS);
    const client = kafkaClient(broker.bootstrap);
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = client.consumer({ groupId: `${topic}-g`, maxWaitTimeInMs: 100 });
    const crashes: unknown[] = [];
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload.error));
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const consumed: string[][] = Array.from({ length: PARTITIONS }, () => []);
    await consumer.run({ eachMessage: async ({ partition, message }) => void consumed[partition]!.push(message.value!.toString()) });

    const acked: string[][] = Array.from({ length: PARTITIONS }, () => []);
    const sendErrors: unknown[] = [];
    let producing = true;
    let sends = 0;
    const produceLoop = (async () => {
      for (let n = 0; producing; n++) {
        // One request with a small batch for every partition.
        const batch = Array.from({ length: PARTITIONS }, (_, p) => [0, 1].map((i) => `${p}-${n}-${i}`));
        try {
          await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch.flatMap((values, p) => values.map((value) => ({ value, partition: p }))) }] });
          batch.forEach((values, p) => acked[p]!.push(...values));
          sends++;
        } catch (err) {
          sendErrors.push(err);
          return;
        }
      }
    })();

    const pauses: number[] = [];
    for (let m = 0; m < MOVES; m++) {
      const partition = m % PARTITIONS;
      const view = await getPlacement(broker);
      const from = slotOf(view, topic, partition)!;
      const before = sends;
      const moved = await movePartition(broker, topic, partition, (from + 1 + (m % 2)) % SLOTS);
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      pauses.push(moved.body.pauseMs as number);
      // Let the producer get at least one request through between moves.
      await until('the producer to make progress', () => sends > before || sendErrors.length > 0);
      expect(sendErrors).toEqual([]);
    }
    producing = false;
    await produceLoop;
    expect(sendErrors).toEqual([]);
    expect(sends).toBeGreaterThanOrEqual(MOVES);

    // The log: exactly the acknowledged records, in order, offsets dense from 0.
    for (let p = 0; p < PARTITIONS; p++) {
      const records = await kcatConsumeJson(broker.bootstrap, topic, { partition: p });
      expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
      expect(records.map((r) => r.payload)).toEqual(acked[p]);
    }
    // The consumer: each record once, in order, and nothing it had to give up on.
    await until('the consumer to catch up', () => consumed.every((c, p) => c.length >= acked[p]!.length));
    expect(consumed).toEqual(acked);
    expect(crashes).toEqual([]);
    await consumer.disconnect();
    await producer.disconnect();

    const metrics = await scrapeMetrics(httpPortOf(broker));
    expect(metrics.get('strata_partition_moves_total{reason="requested"}')).toBe(MOVES);
    expect(metrics.get('strata_partition_move_pause_seconds_count')).toBe(MOVES);
    const sorted = [...pauses].sort((a, b) => a - b);
    // Recorded for the eye; the bench (bench/slot-moves.mjs) measures pauses under load.
    console.log(`move pauses: p50 ${sorted[Math.floor(MOVES / 2)]} ms, max ${sorted.at(-1)} ms`);
  }, 120_000);

  it('refuses moves that cannot be made with a readable reason and a 4xx status', async () => {
    const topic = uniqueTopic('refuse');
    await createTopicOn(broker.bootstrap, topic, 1);
    const view = await getPlacement(broker);
    const here = slotOf(view, topic, 0)!;
    const same = await movePartition(broker, topic, 0, here);
    expect(same.status).toBe(409);
    expect(same.body.error).toMatch(/already there/);
    const noSlot = await movePartition(broker, topic, 0, SLOTS);
    expect(noSlot.status).toBe(409);
    expect(noSlot.body.error).toMatch(/slots are 0\.\.2/);
    const noTopic = await movePartition(broker, `${topic}-missing`, 0, 0);
    expect(noTopic.status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${httpPortOf(broker)}/admin/placement/moves`, { method: 'POST', body: '{"topic": 5}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/topic/);
    expect(slotOf(await getPlacement(broker), topic, 0)).toBe(here);
  });

  it('strata placement shows the slots and moves a partition by hand', async () => {
    const topic = uniqueTopic('cli');
    await createTopicOn(broker.bootstrap, topic, 2);
    const http = `127.0.0.1:${httpPortOf(broker)}`;
    const shown = await strataOk(['placement', '--http', http]);
    expect(shown.stdout).toMatch(/^SLOT\s+BUSY\s+STATE\s+TOPIC\s+PARTITION\s+BYTES\/S/);
    expect(shown.stdout).toContain(topic);
    expect(shown.stdout).toMatch(new RegExp(`${SLOTS} slot\\(s\\)`));
    const here = slotOf(await getPlacement(broker), topic, 1)!;
    const to = (here + 1) % SLOTS;
    const moved = await strataOk(['placement', 'move', topic, '1', '--slot', String(to), '--http', http]);
    expect(moved.stdout).toContain(`moved ${topic}-1 from slot ${here} to slot ${to}`);
    const view = await strataJson<PlacementView>(['placement', '--http', http, '--output', 'json']);
    expect(slotOf(view, topic, 1)).toBe(to);
    const refused = await runStrata(['placement', 'move', topic, '1', '--slot', String(to), '--http', http]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already there/);
    const usage = await runStrata(['placement', 'move', topic, '1', '--http', http]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--slot N is required/);
    const unreachable = await runStrata(['placement', '--http', '127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the broker's HTTP listener/);
  });
});
