// Integration: a consumer group carries on when the broker coordinating it stops. Three real
// brokers on 127.0.0.1 form one cluster (one Redis prefix, partition leadership); a KafkaJS
// group of two members consumes a six-partition topic while a producer produces N records;
// the group's coordinator (found with FindCoordinator) is stopped with SIGTERM. The members
// look the coordinator up again, rejoin on a live broker (one rebalance) and, with the
// offsets committed in Redis, consume every record: at least once, the duplicates only
// re-deliveries around the move, bounded. The group ends Stable on a live coordinator with
// both members.
//
// The topic does not use remote storage (no bucket), so its partitions stay on the brokers
// that lead them: a stopped broker's partitions would be offline until it came back. To keep
// this test about groups, the topic is created while only brokers 1 and 2 are up (they lead
// all six partitions; nothing moves to a broker that joins later), broker 3 joins after, and
// the group id is one whose coordinator over {1, 2, 3} is broker 3: stopping it takes the
// coordinator away and no partition. Metadata is read to check both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinatorFor } from '../../src/cluster/group-placement.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { clusterArgs, findCoordinator, leaders } from '../helpers/cluster.js';
import { committedOffsets, deleteRedisPrefix, describeGroup, GROUP_TEST_FLAGS, recordingConsumer, redisUrl, uniqueRedisPrefix, type RecordingConsumer } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';

const prefix = uniqueRedisPrefix();
const PARTITIONS = 6;
const TOTAL = 6_000;
const BATCH = 60;
const brokers: BrokerHandle[] = [];
const args = (nodeId: number) => [...clusterArgs(prefix, nodeId), ...GROUP_TEST_FLAGS];

beforeAll(async () => {
  brokers.push(await startBroker({ args: args(1) }));
  brokers.push(await startBroker({ args: args(2) }));
});

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
  await deleteRedisPrefix(redisUrl(), prefix);
});

describe('a consumer group whose coordinator broker stops (SIGTERM)', () => {
  it('carries on with at most a rebalance on a live coordinator; every record consumed, duplicates only re-deliveries around the move', async () => {
    const topic = uniqueTopic('cgroups');
    await createTopicOn(brokers[0]!.bootstrap, topic, PARTITIONS);
    const placed = await waitFor(async () => {
      const v = await leaders(brokers[0]!, topic);
      return v.leaders.length === PARTITIONS && !v.leaders.includes(-1) ? v.leaders : undefined;
    }, { timeoutMs: 15_000, what: 'leaders for every partition on brokers 1 and 2' });
    expect(new Set(placed)).toEqual(new Set([1, 2]));
    brokers.push(await startBroker({ args: args(3) }));
    // Every broker sees three brokers; the partitions stay where they are.
    await waitFor(async () => {
      const views = await Promise.all(brokers.map((b) => leaders(b, topic)));
      return views.every((v) => JSON.stringify(v.brokerIds) === '[1,2,3]' && JSON.stringify(v.leaders) === JSON.stringify(placed)) || undefined;
    }, { timeoutMs: 15_000, what: 'every broker to list three brokers and the same leaders' });

    let groupId = '';
    for (let i = 0; coordinatorFor(groupId, [1, 2, 3]) !== 3; i++) groupId = `${topic}-g${i}`;
    for (const b of brokers) expect(await findCoordinator(b, groupId)).toBe(3);

    // Clients bootstrap through brokers 1 and 2 (they stay up).
    const kafka = kafkaClient([brokers[0]!.bootstrap, brokers[1]!.bootstrap]);
    const members: RecordingConsumer[] = [];
    const receivedAt: Array<{ partition: number; offset: number; value: string; atMs: number }> = [];
    for (let i = 0; i < 2; i++) {
      const rc = await recordingConsumer(kafka, groupId, topic);
      members.push(rc);
    }
    const all = () => members.flatMap((m) => m.received);
    await waitFor(async () => {
      const d = await describeGroup(kafka, groupId);
      return d.state === 'Stable' && d.members.length === 2 || undefined;
    }, { timeoutMs: 30_000, what: 'the group to be Stable with both members on broker 3' });

    // When each message arrived: every 10 ms, what each member recorded since the last look.
    const seen = [0, 0];
    const stampNew = () => {
      const now = Date.now();
      members.forEach((m, i) => {
        for (const r of m.received.slice(seen[i])) receivedAt.push({ ...r, atMs: now });
        seen[i] = m.received.length;
      });
    };
    const stamp = setInterval(stampNew, 10);

    // The producer runs in the background for the whole test: N records, round-robin over the partitions.
    const producer = kafka.producer();
    await producer.connect();
    let produced = 0;
    // Paced by the group: at most AHEAD records beyond what it consumed (a condition, not a sleep),
    // so production spans the move and the records in flight around it stay few.
    const AHEAD = 600;
    const production = (async () => {
      while (produced < TOTAL) {
        await waitFor(() => all().length >= produced - AHEAD || undefined, { timeoutMs: 60_000, intervalMs: 10, what: 'the group to catch up with the producer' });
        const messages = Array.from({ length: BATCH }, (_, i) => ({ partition: (produced + i) % PARTITIONS, value: `v${produced + i}` }));
        await producer.send({ topic, acks: -1, messages });
        produced += BATCH;
      }
    })();

    try {
      // Stop the coordinator once a third is produced and the group has consumed some of it.
      await waitFor(() => (produced >= TOTAL / 3 && all().length >= TOTAL / 6) || undefined, { timeoutMs: 30_000, what: 'a third of the records produced and some consumed' });
      const stopAtMs = Date.now();
      const consumedBeforeStop = all().length;
      const joinsBeforeStop = members.map((m) => m.joins);
      const exit = await brokers[2]!.stop('SIGTERM');
      expect(exit.code).toBe(0);

      // FindCoordinator names a live broker; the group is Stable there with both members.
      const newCoordinator = await waitFor(async () => {
        const ids = await Promise.all(brokers.slice(0, 2).map((b) => findCoordinator(b, groupId)));
        return ids[0] === ids[1] && (ids[0] === 1 || ids[0] === 2) ? ids[0] : undefined;
      }, { timeoutMs: 15_000, what: 'FindCoordinator to name a live broker' });
      expect(newCoordinator).toBe(coordinatorFor(groupId, [1, 2]));
      const stable = await waitFor(async () => {
        const d = await describeGroup(kafka, groupId);
        return d.state === 'Stable' && d.members.length === 2 ? d : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100, what: 'the group to be Stable with both members on the new coordinator' });
      const stableAtMs = Date.now();
      const covered = stable.members.flatMap((m) => m.assignment[topic] ?? []).sort((a, b) => a - b);
      expect(covered).toEqual([0, 1, 2, 3, 4, 5]);
      // The members rejoined: one rebalance each, or two for a member that rejoined alone first
      // (group.initial.rebalance.delay.ms is 0 here, so the first to rejoin forms a generation alone).
      const rejoins = members.map((m, i) => m.joins - joinsBeforeStop[i]!);
      for (const n of rejoins) expect(n).toBeGreaterThanOrEqual(1);
      for (const n of rejoins) expect(n).toBeLessThanOrEqual(2);

      await production;
      expect(produced).toBe(TOTAL);
      await waitFor(() => new Set(all().map((r) => r.value)).size === TOTAL || undefined, { timeoutMs: 60_000, intervalMs: 100, what: `every one of ${TOTAL} records to be consumed` });
      // Still Stable with both members after consuming everything.
      expect(await describeGroup(kafka, groupId)).toMatchObject({ state: 'Stable', members: [expect.anything(), expect.anything()] });
      expect(await findCoordinator(brokers[0]!, groupId)).toBe(newCoordinator);

      // Committed offsets (in Redis, served by the new coordinator) reach the end of every partition.
      await waitFor(async () => {
        const committed = await committedOffsets(kafka, groupId, topic);
        return Array.from({ length: PARTITIONS }, (_, p) => committed.get(p) === TOTAL / PARTITIONS).every(Boolean) || undefined;
      }, { timeoutMs: 30_000, what: 'committed offsets at the end of every partition' });

      // Every record at least once; duplicates are re-deliveries of records first delivered
      // around the move (uncommitted when the group moved), delivered again after the stop.
      clearInterval(stamp);
      stampNew();
      const firstSeen = new Map<string, number>();
      const duplicates: Array<{ value: string; firstMs: number; againMs: number }> = [];
      for (const r of receivedAt) {
        const first = firstSeen.get(r.value);
        if (first === undefined) firstSeen.set(r.value, r.atMs);
        else duplicates.push({ value: r.value, firstMs: first, againMs: r.atMs });
      }
      expect(firstSeen.size).toBe(TOTAL);
      // The members go on consuming partitions led by live brokers while the group moves, and
      // their commits fail until it is Stable again: at most those records come back, plus the
      // batch whose commit was in flight at the stop (2 s slack for it).
      const consumedInWindow = receivedAt.filter((r) => r.atMs >= stopAtMs - 2_000 && r.atMs <= stableAtMs).length;
      for (const d of duplicates) {
        expect(d.againMs).toBeGreaterThanOrEqual(stopAtMs);
        expect(d.firstMs).toBeGreaterThanOrEqual(stopAtMs - 2_000);
      }
      expect(duplicates.length).toBeLessThanOrEqual(consumedInWindow);
      // Nothing consumed well before the stop was read again: never a restart from the beginning.
      expect(duplicates.length).toBeLessThan(TOTAL - consumedBeforeStop + BATCH);
      console.log(JSON.stringify({ groupId, oldCoordinator: 3, newCoordinator, consumedBeforeStop, duplicates: duplicates.length, consumedInWindow, rejoins }));
    } finally {
      clearInterval(stamp);
      await production.catch(() => undefined);
      await producer.disconnect();
      await Promise.all(members.map((m) => m.stop()));
    }
  }, 180_000);
});
