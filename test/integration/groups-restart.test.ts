// Integration: committed offsets and group metadata survive a broker restart, with offsets
// in Redis and in the embedded local store (which must also survive SIGKILL: every commit is
// fsynced before it is acknowledged). A consumer kept running across the restart carries on.
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import {
  GROUP_TEST_FLAGS,
  LOCAL_STORE_FLAGS,
  committedOffsets,
  describeGroup,
  produceSpread,
  recordingConsumer,
  redisFlags,
} from '../helpers/groups.js';
import { withGroupWire } from '../helpers/group-wire.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';


async function listGroupIds(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId);
  } finally {
    await admin.disconnect();
  }
}

const stores: Array<{ name: string; flags: () => string[]; hard: boolean }> = [
  { name: 'redis', flags: () => redisFlags(), hard: false },
  { name: 'embedded local store', flags: () => LOCAL_STORE_FLAGS, hard: true },
];

describe.each(stores)('broker restart with $name', ({ name, flags, hard }) => {
  it(`keeps committed offsets and groups across a ${hard ? 'SIGKILL' : 'SIGTERM'} restart`, async () => {
    const broker: BrokerHandle = await startBroker({ args: [...GROUP_TEST_FLAGS, ...flags()] });
    expect(broker.logLines().some((l) => l.msg === 'group coordinator started' && l.store === (name === 'redis' ? 'redis' : 'local'))).toBe(true);
    const kafka = kafkaClient(broker.bootstrap);
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopicOn(broker.bootstrap, topic, 2);
    const first = await produceSpread(kafka, topic, 2, 6, 'first');

    const c = await recordingConsumer(kafka, groupId, topic);
    await waitFor(() => c.received.length >= first.length, { timeoutMs: 20_000, what: 'first records consumed' });
    await waitFor(async () => [...(await committedOffsets(kafka, groupId, topic)).values()].every((o) => o === 6), {
      what: 'offsets committed',
    });
    await c.stop();

    // A simple-consumer commit (generation -1) into another group, with metadata.
    const simpleGroup = `simple-${topic}`;
    const commit = await withGroupWire(broker.host, broker.port, (g) => g.offsetCommit(simpleGroup, [{ topic, partition: 1, offset: 4, metadata: 'm' }]));
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);

    if (hard) await broker.kill9();
    await broker.restart();

    const after = await committedOffsets(kafka, groupId, topic);
    expect([after.get(0), after.get(1)]).toEqual([6, 6]);
    expect((await committedOffsets(kafka, simpleGroup, topic)).get(1)).toBe(4);
    expect(await listGroupIds(kafka)).toEqual(expect.arrayContaining([groupId, simpleGroup]));
    const d = await describeGroup(kafka, groupId);
    expect(d.state).toBe('Empty');

    // A new member resumes right after the commits.
    const second = await produceSpread(kafka, topic, 2, 3, 'second');
    const c2 = await recordingConsumer(kafka, groupId, topic);
    try {
      await waitFor(() => c2.received.length >= second.length, { timeoutMs: 20_000, what: 'records after restart consumed' });
      expect(c2.received.map((r) => r.value).sort()).toEqual([...second].sort());
    } finally {
      await c2.stop();
    }
    await broker.stop();
  });
});

describe('a running consumer across a broker restart (redis)', () => {
  it('the restored group keeps its member: consumption and commits continue', async () => {
    const broker = await startBroker({ args: [...GROUP_TEST_FLAGS, ...redisFlags()] });
    const kafka = kafkaClient(broker.bootstrap);
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopicOn(broker.bootstrap, topic, 2);
    const c = await recordingConsumer(kafka, groupId, topic, { sessionTimeout: 10_000 });
    try {
      const first = await produceSpread(kafka, topic, 2, 2, 'first');
      await waitFor(() => c.received.length >= first.length, { timeoutMs: 20_000, what: 'first records' });
      await waitFor(async () => (await describeGroup(kafka, groupId)).state === 'Stable', { what: 'stable group' });
      await broker.restart();
      // Restored from the stored metadata, before the member even reconnects.
      const restored = broker.logLines().filter((l) => l.msg === 'consumer groups loaded');
      expect(restored.length).toBeGreaterThanOrEqual(2);
      const second = await produceSpread(kafka, topic, 2, 2, 'second');
      await waitFor(() => second.every((v) => c.received.some((r) => r.value === v)), { timeoutMs: 30_000, what: 'consumer continues after restart' });
      await waitFor(async () => [...(await committedOffsets(kafka, groupId, topic)).values()].every((o) => o === 4), {
        timeoutMs: 15_000,
        what: 'commits after restart',
      });
    } finally {
      await c.stop();
    }
  });
});
