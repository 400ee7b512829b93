// Integration: Redis restarted WITHOUT its data in the middle of a load (a private
// redis-server, stopped, its files removed, started again on the same port), under three real
// brokers sharing a real bucket and an idempotent acks=all librdkafka producer. Every broker
// notices (versions in Redis went backwards) and writes back what it knows: topics, the version
// and producer-id counters, partition leadership with its epochs, serving marks. Afterwards
// epochs are where they were or higher (never back), the topic is still there, a topic created
// through one broker is seen through another, and every record the producer had acknowledged is
// there exactly once, in order per partition; a consumer group's committed offsets are written
// back by the broker coordinating it — also after the broker leading the most of its
// partitions is then killed (kill -9) and they are rebuilt elsewhere from the write-ahead objects:
// batches whose commit Redis refused while empty were stored again, so no committed chain has a
// gap a rebuild would stop at.
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadershipKey } from '../../src/cluster/leadership-store.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { durableClusterArgs, leadersOf, range, readValues } from '../helpers/cluster.js';
import { freePort, RedisServer } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { startS3Target, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { streamingProducer } from '../helpers/streaming-clients.js';
import { uniqueTopic } from '../helpers/topics.js';

let s3: S3Target;
useS3Target(startS3Target, (target) => {
  s3 = target;
});
const prefix = 'restart:';
const bucketPrefix = `redisrestart${Date.now().toString(36)}/`;
let server: RedisServer;
const brokers = new Map<number, BrokerHandle>();

function clusterArgs(nodeId: number): string[] {
  return durableClusterArgs({ s3, bucketPrefix, redisPrefix: prefix, nodeId, redisUrl: server.url, extra: ['--redis.command.timeout.ms=500'] });
}

beforeAll(async () => {
  server = new RedisServer(await freePort());
  await server.start();
  for (const id of [1, 2, 3]) brokers.set(id, await startBroker({ args: clusterArgs(id) }));
}, 90_000);

afterAll(async () => {
  await Promise.all([...brokers.values()].map((b) => b.stop()));
  await server.stop();
});

async function epochsIn(redis: Redis): Promise<Map<string, number>> {
  const raw = await redis.hgetall(leadershipKey(prefix));
  return new Map(Object.entries(raw).map(([id, json]) => [id, (JSON.parse(json) as { epoch: number }).epoch]));
}


describe('Redis restarted without its data mid-load', () => {
  it('brokers write back topics, leadership and epochs; nothing acknowledged is lost; metadata works afterwards', async () => {
    const b1 = brokers.get(1)!;
    const topic = uniqueTopic('redisloss');
    await createTopicOn(b1.bootstrap, topic, 6);
    await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === 6 && !l.includes(-1) ? true : undefined;
    }, { timeoutMs: 20_000, what: 'leaders for every partition' });
    const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    await redis.connect();
    try {
      const producer = streamingProducer(b1.bootstrap, topic);
      await producer.write(3000);
      const before = await epochsIn(redis);
      expect(before.size).toBeGreaterThanOrEqual(6);
      // A consumer group's offsets, committed through the broker that coordinates the group.
      const group = `${topic}-readers`;
      const committed = Array.from({ length: 6 }, (_, partition) => ({ partition, offset: String(10 + partition) }));
      const admin = kafkaClient(b1.bootstrap).admin();
      await admin.connect();
      await admin.setOffsets({ groupId: group, topic, partitions: committed });

      // Restart without persistence: stop, remove its files, start empty on the same port — while
      // the producer keeps sending (5,000 records/s), so commits meet Redis down, then empty.
      producer.keepFeeding(100, 20);
      await server.stop();
      for (const f of fs.readdirSync(server.dir)) fs.rmSync(`${server.dir}/${f}`, { recursive: true, force: true });
      await server.start();
      await producer.write(3000);

      // Written back: every partition's epoch at least what it was, and the topic.
      await waitFor(async () => {
        const after = await epochsIn(redis).catch(() => new Map<string, number>());
        return [...before].every(([id, e]) => (after.get(id) ?? -1) >= e) ? true : undefined;
      }, { timeoutMs: 20_000, what: 'the leadership and its epochs written back' });
      await waitFor(async () => (await redis.hexists(`${prefix}meta:topics`, topic).catch(() => 0)) === 1 || undefined, { timeoutMs: 20_000, what: 'the topic written back' });
      // The group's offsets too, as committed.
      const offsetsOf = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map(({ partition, offset }) => ({ partition, offset })).sort((x, y) => x.partition - y.partition);
      await waitFor(async () => JSON.stringify(await offsetsOf().catch(() => [])) === JSON.stringify(committed) || undefined, { timeoutMs: 20_000, what: 'the committed offsets written back' });
      await admin.disconnect();
      await producer.write(2000);
      const done = await producer.finish(120_000);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).not.toMatch(/Delivery failed|% ERROR: Failed/);

      // Metadata works afterwards: a topic created through broker 2 is seen through broker 3.
      const later = uniqueTopic('afterloss');
      await createTopicOn(brokers.get(2)!.bootstrap, later, 2);
      await waitFor(async () => (await leadersOf(brokers.get(3)!, later)).filter((l) => l > 0).length === 2 || undefined, { timeoutMs: 20_000, what: 'the new topic through another broker' });

      // Every acknowledged record, once, in order per partition.
      expect(await readValues(b1, topic, 6)).toEqual(range(producer.sent));
      // Every broker noticed the loss and wrote its own state back (its write-ahead commits among it).
      for (const b of brokers.values()) expect(b.logs()).toContain('partition leadership in Redis went backwards (Redis lost its data)');

      // (How often the write-ahead commits met Redis down and were retried, or were refused and stored again.)
      const count = (text: string) => [...brokers.values()].map((b) => b.logs().split(text).length - 1).join(',');
      console.log(`write-ahead commits retried per broker: ${count('its commit failed')}; refused and stored again: ${count('storing batches whose commit was refused again')}`);
      // Then a leader dies: its partitions are rebuilt from what it committed, across the loss.
      const leaders = await leadersOf(b1, topic);
      const victimId = [2, 3].sort((x, y) => leaders.filter((l) => l === y).length - leaders.filter((l) => l === x).length)[0]!;
      expect(leaders).toContain(victimId);
      await brokers.get(victimId)!.kill9();
      await waitFor(async () => {
        const l = await leadersOf(b1, topic);
        return l.length === 6 && !l.includes(-1) && !l.includes(victimId) ? true : undefined;
      }, { timeoutMs: 30_000, what: 'the dead broker’s partitions to fail over' });
      expect(await readValues(b1, topic, 6)).toEqual(range(producer.sent));
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});
