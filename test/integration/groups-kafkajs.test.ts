// Integration: consumer groups with real KafkaJS consumers against the real broker process,
// offsets in the real Redis (unique key prefix per file). Two members split a 4-partition
// topic, every record is delivered exactly once, commits are read back, and a new member
// resumes exactly after the committed offsets; a member joining triggers a rebalance.
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import {
  GROUP_TEST_FLAGS,
  committedOffsets,
  describeGroup,
  produceSpread,
  recordingConsumer,
  redisFlags,
  waitForBalancedGroup,
  type RecordingConsumer,
} from '../helpers/groups.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let kafka: Kafka;
const running: RecordingConsumer[] = [];

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS, ...redisFlags()] });
  kafka = kafkaClient(broker.bootstrap);
});

afterAll(async () => {
  await Promise.all(running.map((c) => c.stop().catch(() => undefined)));
});

async function consumer(groupId: string, topic: string): Promise<RecordingConsumer> {
  const c = await recordingConsumer(kafka, groupId, topic);
  running.push(c);
  return c;
}

const createTopic = (topic: string, numPartitions: number) => createTopicOn(broker.bootstrap, topic, numPartitions);

function keyOf(r: { partition: number; offset: number }): string {
  return `${r.partition}@${r.offset}`;
}

describe('consumer groups with KafkaJS', () => {
  it('two members split a topic, consume each record once, and a new member resumes after the commits', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopic(topic, 4);

    const a = await consumer(groupId, topic);
    const b = await consumer(groupId, topic);
    const d = await waitForBalancedGroup(kafka, groupId, topic, 2, 4);
    const [pa, pb] = d.members.map((m) => m.assignment[topic]!);
    expect(pa!.length).toBeGreaterThan(0);
    expect(pb!.length).toBeGreaterThan(0);

    const first = await produceSpread(kafka, topic, 4, 10, 'first');
    await waitFor(() => a.received.length + b.received.length >= first.length, { timeoutMs: 20_000, what: 'all 40 records consumed' });
    const all = [...a.received, ...b.received];
    expect(all.map((r) => r.value).sort()).toEqual([...first].sort());
    expect(new Set(all.map(keyOf)).size).toBe(first.length); // exactly once across the group
    // Each member only received records of its own partitions.
    const aParts = new Set(a.assignment()[topic]);
    const bParts = new Set(b.assignment()[topic]);
    expect([...aParts].some((p) => bParts.has(p))).toBe(false);
    for (const r of a.received) expect(aParts.has(r.partition)).toBe(true);
    for (const r of b.received) expect(bParts.has(r.partition)).toBe(true);

    // Commits read back: the next offset to consume is 10 on every partition.
    await waitFor(
      async () => {
        const c = await committedOffsets(kafka, groupId, topic);
        return [0, 1, 2, 3].every((p) => c.get(p) === 10);
      },
      { timeoutMs: 10_000, what: 'committed offsets at 10' },
    );

    await a.stop();
    await b.stop();
    running.length = 0;
    await waitFor(async () => (await describeGroup(kafka, groupId)).state === 'Empty', { what: 'group empty after both left' });

    const second = await produceSpread(kafka, topic, 4, 5, 'second');
    const c = await consumer(groupId, topic);
    await waitFor(() => c.received.length >= second.length, { timeoutMs: 20_000, what: 'new member consumed the new records' });
    expect(c.received.map((r) => r.value).sort()).toEqual([...second].sort());
    for (let p = 0; p < 4; p++) {
      expect(Math.min(...c.received.filter((r) => r.partition === p).map((r) => r.offset))).toBe(10);
    }
    await waitFor(
      async () => {
        const offs = await committedOffsets(kafka, groupId, topic);
        return [0, 1, 2, 3].every((p) => offs.get(p) === 15);
      },
      { timeoutMs: 10_000, what: 'committed offsets at 15' },
    );
    expect(c.received).toHaveLength(second.length);
  });

  it('rebalances when a member joins: the partitions are split anew and consumption continues', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopic(topic, 4);
    const a = await consumer(groupId, topic);
    await waitForBalancedGroup(kafka, groupId, topic, 1, 4);
    const before = await produceSpread(kafka, topic, 4, 3, 'before');
    await waitFor(() => a.received.length >= before.length, { timeoutMs: 15_000, what: 'first member consumed everything' });

    const b = await consumer(groupId, topic);
    const d = await waitForBalancedGroup(kafka, groupId, topic, 2, 4);
    expect(d.members.every((m) => (m.assignment[topic] ?? []).length === 2)).toBe(true);

    const after = await produceSpread(kafka, topic, 4, 3, 'after');
    await waitFor(
      () => {
        const got = new Set([...a.received, ...b.received].map((r) => r.value));
        return after.every((v) => got.has(v));
      },
      { timeoutMs: 20_000, what: 'records produced after the rebalance consumed' },
    );
    expect(b.received.length).toBeGreaterThan(0);
    expect(a.crashed).toBeUndefined();
    expect(b.crashed).toBeUndefined();
  });
});
