// Integration: consumer groups with librdkafka (`kcat -G`) members against the real broker,
// offsets in the real Redis: two members split a topic and a new member resumes after their
// commits; a member that dies (SIGKILL, no LeaveGroup) is expired by its session timeout and
// its partitions move; a static member (group.instance.id) restarts without a rebalance; and
// cooperative-sticky members rebalance incrementally (only moved partitions are revoked).
import type { Kafka } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import {
  GROUP_TEST_FLAGS,
  committedOffsets,
  describeGroup,
  produceSpread,
  redisFlags,
  startKcatGroupConsumer,
  type KcatGroupConsumer,
} from '../helpers/groups.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS, ...redisFlags()] });
  kafka = kafkaClient(broker.bootstrap);
});

const createTopic = (topic: string, numPartitions: number) => createTopicOn(broker.bootstrap, topic, numPartitions);

/** Waits until the members' assignments of `topic` are disjoint and cover every partition. */
async function waitForSplit(members: KcatGroupConsumer[], topic: string, partitions: number, what: string): Promise<number[][]> {
  return waitFor(
    () => {
      const sets = members.map((m) => m.assigned(topic));
      if (sets.some((s) => s.length === 0)) return undefined;
      const all = sets.flat().sort((a, b) => a - b);
      return all.length === partitions && all.every((p, i) => p === i) ? sets : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 50, what },
  );
}

/** Broker log lines about `groupId` with message `msg`. */
function groupLog(groupId: string, msg: string): Array<Record<string, unknown>> {
  return broker.logLines().filter((l) => l.group === groupId && l.msg === msg);
}

describe('consumer groups with kcat -G (librdkafka)', () => {
  it('two members split a topic, each record once; a new member resumes after the committed offsets', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopic(topic, 4);
    const k1 = startKcatGroupConsumer(broker.bootstrap, groupId, topic);
    const k2 = startKcatGroupConsumer(broker.bootstrap, groupId, topic);
    const [a1, a2] = await waitForSplit([k1, k2], topic, 4, 'two kcat members splitting 4 partitions');
    expect(a1!.filter((p) => a2!.includes(p))).toEqual([]);

    const first = await produceSpread(kafka, topic, 4, 10, 'first');
    await waitFor(() => k1.records.length + k2.records.length >= first.length, { timeoutMs: 20_000, what: '40 records consumed by kcat' });
    const all = [...k1.records, ...k2.records];
    expect(all.map((r) => r.value).sort()).toEqual([...first].sort());
    for (const r of k1.records) expect(a1).toContain(r.partition);
    for (const r of k2.records) expect(a2).toContain(r.partition);

    // SIGTERM: kcat commits its final offsets and leaves the group.
    await Promise.all([k1.stop(), k2.stop()]);
    const offsets = await committedOffsets(kafka, groupId, topic);
    expect([0, 1, 2, 3].map((p) => offsets.get(p))).toEqual([10, 10, 10, 10]);
    await waitFor(async () => (await describeGroup(kafka, groupId)).state === 'Empty', { what: 'group empty' });

    const second = await produceSpread(kafka, topic, 4, 5, 'second');
    const k3 = startKcatGroupConsumer(broker.bootstrap, groupId, topic);
    try {
      await waitFor(() => k3.records.length >= second.length, { timeoutMs: 20_000, what: 'new member consumed the new records' });
      expect(k3.records.map((r) => r.value).sort()).toEqual([...second].sort());
      expect(Math.min(...k3.records.map((r) => r.offset))).toBe(10);
    } finally {
      await k3.stop();
    }
  });

  it('a member that dies is expired after its session timeout and the survivor takes its partitions', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopic(topic, 4);
    const session = { 'session.timeout.ms': 1500 };
    const survivor = startKcatGroupConsumer(broker.bootstrap, groupId, topic, session);
    const victim = startKcatGroupConsumer(broker.bootstrap, groupId, topic, session);
    try {
      await waitForSplit([survivor, victim], topic, 4, 'two members');
      const killedAt = Date.now();
      await victim.stop('SIGKILL');
      await waitFor(() => survivor.assigned(topic).length === 4, { timeoutMs: 15_000, what: 'survivor owns all partitions' });
      const tookMs = Date.now() - killedAt;
      expect(tookMs).toBeGreaterThanOrEqual(1000); // not before the session timeout…
      expect(groupLog(groupId, 'member removed').some((l) => String(l.reason).startsWith('session timeout'))).toBe(true);
      const values = await produceSpread(kafka, topic, 4, 2, 'after');
      await waitFor(() => values.every((v) => survivor.records.some((r) => r.value === v)), { timeoutMs: 15_000, what: 'survivor consumes every partition' });
    } finally {
      await survivor.stop();
    }
  });

  it('a static member (group.instance.id) restarts without a rebalance and gets its partitions back', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopic(topic, 4);
    const cfg = (id: string) => ({ 'group.instance.id': id, 'session.timeout.ms': 10_000 });
    const s1 = startKcatGroupConsumer(broker.bootstrap, groupId, topic, cfg('static-1'));
    const s2 = startKcatGroupConsumer(broker.bootstrap, groupId, topic, cfg('static-2'));
    let s2b: KcatGroupConsumer | undefined;
    try {
      const [, before] = await waitForSplit([s1, s2], topic, 4, 'two static members');
      await waitFor(() => groupLog(groupId, 'group stable').length > 0, { what: 'group stable' });
      const rebalancesBefore = groupLog(groupId, 'preparing rebalance').length;
      const s1NoticesBefore = s1.rebalances();

      await s2.stop(); // a static member does not leave on close
      s2b = startKcatGroupConsumer(broker.bootstrap, groupId, topic, cfg('static-2'));
      await waitFor(() => s2b!.assigned(topic).length > 0, { timeoutMs: 15_000, what: 'restarted static member assigned' });
      expect(s2b.assigned(topic)).toEqual(before);
      expect(groupLog(groupId, 'static member replaced')).toHaveLength(1);
      expect(groupLog(groupId, 'preparing rebalance')).toHaveLength(rebalancesBefore);
      expect(s1.rebalances()).toBe(s1NoticesBefore);

      const values = await produceSpread(kafka, topic, 4, 2, 'after-restart');
      await waitFor(
        () => values.every((v) => [...s1.records, ...s2b!.records].some((r) => r.value === v)),
        { timeoutMs: 15_000, what: 'both static members consuming' },
      );
    } finally {
      await s1.stop();
      await s2b?.stop();
    }
  });

  it('cooperative-sticky: a joining member takes partitions without the first member revoking the rest', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await createTopic(topic, 4);
    const cfg = { 'partition.assignment.strategy': 'cooperative-sticky' };
    const c1 = startKcatGroupConsumer(broker.bootstrap, groupId, topic, cfg);
    let c2: KcatGroupConsumer | undefined;
    try {
      await waitFor(() => c1.assigned(topic).length === 4, { timeoutMs: 15_000, what: 'first member owns all partitions' });
      const first = await produceSpread(kafka, topic, 4, 5, 'first');
      await waitFor(() => c1.records.length >= first.length, { timeoutMs: 15_000, what: 'first member consumed' });

      c2 = startKcatGroupConsumer(broker.bootstrap, groupId, topic, cfg);
      const [kept, moved] = await waitForSplit([c1, c2], topic, 4, 'cooperative split');
      expect(kept).toHaveLength(2);
      expect(moved).toHaveLength(2);
      // Only the moved partitions were revoked from the first member: incremental, never all four.
      const revokes = c1.lines().filter((l) => /incremental revoke/.test(l));
      expect(revokes).toHaveLength(1);
      expect(revokes[0]).toMatch(/revoke of 2 partition/);
      expect(c1.lines().some((l) => /\): revoked: /.test(l))).toBe(false);
      expect(c1.lines().every((l) => /COOPERATIVE/.test(l))).toBe(true);

      const second = await produceSpread(kafka, topic, 4, 5, 'second');
      await waitFor(
        () => second.every((v) => [...c1.records, ...c2!.records].some((r) => r.value === v)),
        { timeoutMs: 15_000, what: 'records after the cooperative rebalance consumed' },
      );
      expect(c2.records.every((r) => moved!.includes(r.partition))).toBe(true);
      expect(c2.records.map((r) => r.value).every((v) => v.startsWith('second'))).toBe(true); // moved partitions resumed after commits
    } finally {
      await c1.stop();
      await c2?.stop();
    }
  });
});
