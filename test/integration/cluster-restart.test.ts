// Integration: a leader killed (kill -9) and restarted at once, before its session lapses, keeps
// its partitions — and of each durable one only what it had committed to its write-ahead objects.
// Its local log may end with batches that were appended but never committed (never acknowledged):
// serving those and appending after them would leave a gap in its committed batches, and a later
// failover's rebuild stops at the first gap, dropping everything acknowledged after it. Two real
// brokers on 127.0.0.1 (a 10 s session: the restarted process registers as soon as its old
// registration expires, well within the controller's grace of two heartbeats), one Redis, a real
// bucket, an idempotent acks=all kcat producer sending throughout. After the quick restart every
// acknowledged record is there once; then the same broker is killed for good, its partitions are
// rebuilt on the other broker, and every acknowledged record is still there once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { durableClusterArgs, leadersOf, readValues, range } from '../helpers/cluster.js';
import { uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { startS3Target, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { streamingProducer } from '../helpers/streaming-clients.js';
import { uniqueTopic } from '../helpers/topics.js';

let s3: S3Target;
useS3Target(startS3Target, (target) => {
  s3 = target;
});
const redisPrefix = uniqueRedisPrefix();
const bucketPrefix = `restart${Date.now().toString(36)}/`;
const brokers = new Map<number, BrokerHandle>();
const PARTITIONS = 4;

function clusterArgs(nodeId: number): string[] {
  return durableClusterArgs({ s3, bucketPrefix, redisPrefix, nodeId, extra: ['--broker.heartbeat.interval.ms=1000', '--broker.session.timeout.ms=10000'] });
}

beforeAll(async () => {
  brokers.set(1, await startBroker({ args: clusterArgs(1) }));
  brokers.set(2, await startBroker({ args: clusterArgs(2) }));
}, 90_000);

afterAll(async () => {
  await Promise.all([...brokers.values()].map((b) => b.stop()));
});

describe('a durable leader restarted at once keeps only what it committed', () => {
  it('kill -9 and restart within the session: it keeps its partitions, reopened with their committed batches; a later failover loses nothing acknowledged', async () => {
    const b1 = brokers.get(1)!;
    const topic = uniqueTopic('quickrestart');
    await createTopicOn(b1.bootstrap, topic, PARTITIONS);
    const placed = await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === PARTITIONS && l.includes(1) && l.includes(2) ? l : undefined;
    }, { timeoutMs: 20_000, what: 'leaders on both brokers' });
    const producer = streamingProducer(b1.bootstrap, topic, { report: true, extra: ['-X', 'retries=1000000'] });
    producer.keepFeeding(20, 10); // ~2,000 records/s: batches are in flight when the broker dies
    await producer.write(2000);
    await waitFor(() => producer.deliveries.length >= 2000 || undefined, { timeoutMs: 30_000, what: 'records acknowledged before the kill' });

    const victim = brokers.get(2)!;
    await victim.kill9();
    await victim.restart();
    // Back within its session: no failover, it leads what it led.
    await waitFor(async () => victim.logs().split('restarted leader: partition reopened with its committed batches only').length - 1 === placed.filter((l) => l === 2).length || undefined, { timeoutMs: 30_000, what: 'the restarted broker to reopen its partitions' });
    expect(await leadersOf(b1, topic)).toEqual(placed);
    expect(victim.logs()).not.toMatch(/local copy dropped/);
    await producer.write(2000);
    const target = producer.sent;
    await waitFor(() => producer.deliveries.length >= target || undefined, { timeoutMs: 60_000, what: 'records acknowledged after the restart' });

    // Now it dies for good: broker 1 rebuilds its partitions from what it committed.
    await victim.kill9();
    await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === PARTITIONS && l.every((x) => x === 1) ? true : undefined;
    }, { timeoutMs: 30_000, what: 'its partitions to fail over' });
    await producer.write(1000);
    const done = await producer.finish(90_000);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).not.toMatch(/Delivery failed|% ERROR: Failed/);
    expect(producer.deliveries.length).toBe(producer.sent);
    expect(await readValues(b1, topic, PARTITIONS)).toEqual(range(producer.sent));
  }, 180_000);
});
