// Integration: Redis trouble. The test runs its own redis-server (own port, append-only file
// fsynced always, so a restart keeps the data) and stops/starts it by PID. The broker starts
// while Redis is still down; group requests answer COORDINATOR_NOT_AVAILABLE promptly while
// Redis is unreachable, produce and fetch keep working, nothing committed is lost, and group
// service (including a running KafkaJS consumer's commits) resumes by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GroupWire } from '../helpers/group-wire.js';
import { GROUP_TEST_FLAGS, RedisServer, committedOffsets, freePort, produceSpread, recordingConsumer, uniqueRedisPrefix } from '../helpers/groups.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeJson } from '../helpers/kcat.js';
import { uniqueTopic } from '../helpers/topics.js';

let redis: RedisServer;
let broker: BrokerHandle;
let kafka: Kafka;
let wire: GroupWire;

beforeAll(async () => {
  redis = new RedisServer(await freePort());
  broker = await startBroker({
    args: [...GROUP_TEST_FLAGS, `--redis.url=${redis.url}`, `--redis.key.prefix=${uniqueRedisPrefix()}`, '--redis.command.timeout.ms=1000'],
  });
  kafka = kafkaClient(broker.bootstrap);
  wire = await GroupWire.connect(broker.host, broker.port);
});

afterAll(async () => {
  wire?.close();
  await redis?.stop();
});

/** Every kind of group request answers COORDINATOR_NOT_AVAILABLE, each within `withinMs`. */
async function expectCoordinatorNotAvailable(topic: string, withinMs: number): Promise<void> {
  const timed = async <T>(p: Promise<T>): Promise<T> => {
    const t = Date.now();
    const r = await p;
    expect(Date.now() - t).toBeLessThan(withinMs);
    return r;
  };
  const groupId = `g-${topic}`;
  expect((await timed(wire.findCoordinator({ key: groupId }))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const v4 = await timed(wire.findCoordinator({ keyType: 0, coordinatorKeys: [groupId] }, 4));
  expect(v4.coordinators[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect((await timed(wire.joinGroup({ groupId }))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect((await timed(wire.heartbeat({ groupId, memberId: 'm', generationId: 1 }))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect((await timed(wire.syncGroup({ groupId, memberId: 'm', generationId: 1 }))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const commit = await timed(wire.offsetCommit(groupId, [{ topic, partition: 0, offset: 1 }]));
  expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect((await timed(wire.offsetFetch({ groupId, topics: null }))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect((await timed(wire.listGroups())).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
}

async function coordinatorAvailable(groupId: string): Promise<boolean> {
  return (await wire.findCoordinator({ key: groupId })).errorCode === ErrorCode.NONE;
}

describe('Redis outage', () => {
  it('starts without Redis, serves groups once Redis is up, survives a Redis stop and restart without losing commits', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    // 1. Redis not started yet: the broker is up, groups are unavailable, data flows.
    await expectCoordinatorNotAvailable(topic, 1_000);
    await produceSpread(kafka, topic, 2, 1, 'before-redis');

    // 2. Redis comes up: the coordinator notices by itself.
    await redis.start();
    await waitFor(() => coordinatorAvailable(groupId), { timeoutMs: 10_000, what: 'coordinator available after Redis started' });

    // An idle offsets-only group: its commit must be exactly the same after the outage.
    const idleGroup = `idle-${topic}`;
    const idleCommit = await wire.offsetCommit(idleGroup, [{ topic, partition: 1, offset: 1, metadata: 'kept' }]);
    expect(idleCommit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);

    const consumer = await recordingConsumer(kafka, groupId, topic);
    try {
      const first = await produceSpread(kafka, topic, 2, 4, 'first');
      await waitFor(() => first.every((v) => consumer.received.some((r) => r.value === v)), { timeoutMs: 20_000, what: 'first records consumed' });
      await waitFor(async () => [...(await committedOffsets(kafka, groupId, topic)).values()].every((o) => o === 5), {
        what: 'first commits',
      });

      // 3. Redis goes away: group requests fail fast and retriably, produce and fetch keep working.
      await redis.stop();
      await waitFor(async () => !(await coordinatorAvailable(groupId)), { timeoutMs: 5_000, what: 'coordinator unavailable' });
      await expectCoordinatorNotAvailable(topic, 2_500);
      const during = await produceSpread(kafka, topic, 2, 3, 'during');
      const fetched = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0 });
      expect(fetched.map((r) => r.payload)).toEqual(expect.arrayContaining(during.filter((v) => v.startsWith('during-0-'))));

      // 4. Redis is back (same data dir): earlier commits are still there, new commits land.
      await redis.start();
      await waitFor(() => coordinatorAvailable(groupId), { timeoutMs: 10_000, what: 'coordinator available again' });
      const idleBack = await wire.offsetFetch({ groupId: idleGroup, topics: [{ name: topic, partitionIndexes: [1] }] });
      expect(idleBack.errorCode).toBe(ErrorCode.NONE);
      expect(idleBack.topics[0]!.partitions.map((p) => [Number(p.committedOffset), p.metadata])).toEqual([[1, 'kept']]);
      // The running consumer's commits are there too (it may already have committed further).
      const fetchedBack = await wire.offsetFetch({ groupId, topics: [{ name: topic, partitionIndexes: [0, 1] }] });
      expect(fetchedBack.errorCode).toBe(ErrorCode.NONE);
      for (const p of fetchedBack.topics[0]!.partitions) expect(Number(p.committedOffset)).toBeGreaterThanOrEqual(5);
      await waitFor(() => during.every((v) => consumer.received.some((r) => r.value === v)), { timeoutMs: 30_000, what: 'consumer caught up after the outage' });
      // KafkaJS retries a failed auto-commit with its next batch: give it one. Its commit then
      // covers everything consumed, including what it read while Redis was down.
      const after = await produceSpread(kafka, topic, 2, 1, 'after');
      await waitFor(() => after.every((v) => consumer.received.some((r) => r.value === v)), { timeoutMs: 20_000, what: 'records after the outage consumed' });
      await waitFor(async () => [...(await committedOffsets(kafka, groupId, topic)).values()].every((o) => o === 9), {
        timeoutMs: 20_000,
        what: 'commits resumed after the outage',
      });
      expect(broker.running).toBe(true);
    } finally {
      await consumer.stop();
    }
  });
});
