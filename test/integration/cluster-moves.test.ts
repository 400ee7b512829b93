// Integration: partitions of remote-storage topics move between real brokers through a real
// S3-compatible bucket (radosgw, or AWS_ENDPOINT_URL_S3), coordinated in the real Redis. Under
// an idempotent acks=all librdkafka producer and a consumer that both run throughout:
//   - scale-out: one broker, then two more join — the controller moves a fair share of
//     partitions to them (each old leader seals and uploads its tail, the new one opens at the
//     handoff's end) — every record exactly once, in order per partition, and the running
//     consumer saw them all;
//   - controlled shutdown: SIGTERM of a broker hands its partitions to the others before it
//     exits (no partition ever leaderless), nothing lost or duplicated;
//   - by hand: AlterPartitionReassignments moves one partition (ListPartitionReassignments
//     shows it until done), every offset is then read through the new leader — the old ones
//     from the bucket; a topic without remote storage is refused with a reason; `strata
//     cluster move` moves one back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { durableClusterArgs, leadersOf, readValues, range } from '../helpers/cluster.js';
import { uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeJson } from '../helpers/kcat.js';
import { startS3Target, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { streamingConsumer, streamingProducer } from '../helpers/streaming-clients.js';
import { strataJson } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';

let s3: S3Target;
useS3Target(startS3Target, (target) => {
  s3 = target;
});
const redisPrefix = uniqueRedisPrefix();
const bucketPrefix = `moves${Date.now().toString(36)}/`;
const brokers = new Map<number, BrokerHandle>();

function clusterArgs(nodeId: number): string[] {
  return durableClusterArgs({ s3, bucketPrefix, redisPrefix: redisPrefix, nodeId });
}

async function start(nodeId: number): Promise<BrokerHandle> {
  const b = await startBroker({ args: clusterArgs(nodeId) });
  brokers.set(nodeId, b);
  return b;
}

beforeAll(async () => {
  await start(1);
}, 60_000);

afterAll(async () => {
  await Promise.all([...brokers.values()].map((b) => b.stop()));
});

/** Leader per partition as a broker's Metadata reports it (-1: none). */

const countOf = (leaders: number[], id: number) => leaders.filter((l) => l === id).length;

/** Every partition's values in offset order, read through `b`; asserts order per partition and returns all values. */


describe('partitions move between brokers through object storage', () => {
  const PARTITIONS = 6;
  const topic = uniqueTopic('moves');

  it('scale-out under load: two brokers join, partitions spread to them, every record exactly once and in order', async () => {
    const first = brokers.get(1)!;
    await createTopicOn(first.bootstrap, topic, PARTITIONS);
    await waitFor(async () => (await leadersOf(first, topic)).filter((l) => l === 1).length === PARTITIONS || undefined, { timeoutMs: 15_000, what: 'broker 1 to lead every partition' });
    const producer = streamingProducer(first.bootstrap, topic);
    const consumer = streamingConsumer(first.bootstrap, topic);
    try {
      await producer.write(3000);
      await Promise.all([start(2), start(3)]);
      await producer.write(1000);
      // The controller spreads the partitions: two per broker, every broker agreeing.
      await waitFor(
        async () => {
          const views = await Promise.all([...brokers.values()].map((b) => leadersOf(b, topic)));
          return views.every((v) => JSON.stringify(v) === JSON.stringify(views[0])) && [1, 2, 3].every((id) => countOf(views[0]!, id) === 2) ? true : undefined;
        },
        { timeoutMs: 30_000, what: 'two partitions led by each of the three brokers' },
      );
      await producer.write(2000);
      const done = await producer.finish(90_000);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).not.toMatch(/Delivery failed|% ERROR: Failed/);
      // Everything, exactly once, in order — read through a broker that joined.
      expect(await readValues(brokers.get(3)!, topic, PARTITIONS)).toEqual(range(producer.sent));
      // The consumer that ran throughout saw every record, in order per partition.
      await waitFor(() => consumer.total >= producer.sent || undefined, { timeoutMs: 30_000, what: 'the running consumer to see every record' });
      const seen = [...consumer.seen.values()].flat().sort((x, y) => x - y);
      expect(new Set(seen).size).toBe(producer.sent);
      for (const values of consumer.seen.values()) expect(values).toEqual([...values].sort((x, y) => x - y));
      // Handoffs were counted and timed by the brokers that took partitions over.
      const taken = (await Promise.all([2, 3].map((id) => scrapeMetrics(httpPortOf(brokers.get(id)!))))).map((m) => m.get('strata_partition_handoffs_total{direction="taken-over"}') ?? 0);
      expect(taken.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
    } finally {
      consumer.stop();
    }
  }, 180_000);

  it('SIGTERM hands the stopping broker’s partitions to the others first: never leaderless, nothing lost or duplicated', async () => {
    const before = await leadersOf(brokers.get(1)!, topic);
    const victimId = [1, 2, 3].sort((a, b) => countOf(before, b) - countOf(before, a))[0]!;
    const other = brokers.get(victimId === 1 ? 2 : 1)!;
    const earlier = await readValues(other, topic, PARTITIONS);
    // Values go on from the first test's, so every partition stays in ascending order.
    const producer = streamingProducer(other.bootstrap, topic, { from: earlier.length });
    await producer.write(2000);
    // Watch leadership while the victim stops: no partition may be reported without a leader.
    let watching = true;
    const leaderless: number[][] = [];
    const watcher = (async () => {
      while (watching) {
        const v = await leadersOf(other, topic).catch(() => undefined);
        if (v !== undefined && v.includes(-1)) leaderless.push(v);
      }
    })();
    const stopped = await brokers.get(victimId)!.stop('SIGTERM');
    watching = false;
    await watcher;
    expect(stopped.code).toBe(0);
    expect(brokers.get(victimId)!.logs()).toMatch(/controlled shutdown: partitions handed over/);
    expect(leaderless).toEqual([]);
    const after = await leadersOf(other, topic);
    expect(after).not.toContain(victimId);
    expect(after).not.toContain(-1);
    await producer.write(2000);
    const done = await producer.finish(90_000);
    expect(done.code, done.stderr).toBe(0);
    expect(await readValues(other, topic, PARTITIONS)).toEqual(range(earlier.length + producer.sent));
    // Back to three brokers for the next test; it rejoins and is given partitions again.
    brokers.set(victimId, await brokers.get(victimId)!.restart());
    await waitFor(async () => countOf(await leadersOf(other, topic), victimId) === 2 || undefined, { timeoutMs: 30_000, what: 'the restarted broker to lead its share again' });
  }, 180_000);

  it('moves one partition by hand (AlterPartitionReassignments, strata cluster move); every offset is served by the new leader', async () => {
    const b1 = brokers.get(1)!;
    const leaders = await leadersOf(b1, topic);
    const from = leaders[0]!;
    const to = [1, 2, 3].find((id) => id !== from)!;
    const admin = kafkaClient(b1.bootstrap).admin();
    await admin.connect();
    try {
      const expected = (await kcatConsumeJson(b1.bootstrap, topic, { partition: 0, timeoutMs: 30_000 })).map((r) => r.payload);
      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [to] }] }] });
      await waitFor(async () => (await leadersOf(b1, topic))[0] === to || undefined, { timeoutMs: 20_000, what: `partition 0 to move to broker ${to}` });
      await waitFor(async () => (await admin.listPartitionReassignments({})).topics.length === 0 || undefined, { timeoutMs: 20_000, what: 'the reassignment to finish' });
      // Every offset through the new leader: what was before the move is in the bucket.
      expect((await kcatConsumeJson(brokers.get(to)!.bootstrap, topic, { partition: 0, timeoutMs: 30_000 })).map((r) => r.payload)).toEqual(expected);
      // The pin holds: balancing does not move it back (every broker's share stays fair).
      expect((await leadersOf(b1, topic))[0]).toBe(to);

      // A topic without remote storage stays on its broker, and says so.
      const local = uniqueTopic('local');
      await admin.createTopics({ topics: [{ topic: local, numPartitions: 1, configEntries: [{ name: 'remote.storage.enable', value: 'false' }] }] });
      const localLeader = await waitFor(async () => (await leadersOf(b1, local))[0]! > 0 ? (await leadersOf(b1, local))[0] : undefined, { timeoutMs: 15_000, what: 'a leader for the local topic' });
      const err = await admin.alterPartitionReassignments({ topics: [{ topic: local, partitionAssignment: [{ partition: 0, replicas: [[1, 2, 3].find((id) => id !== localLeader)!] }] }] }).catch((e: unknown) => e);
      expect(JSON.stringify(err) + String(err)).toMatch(/INVALID_REPLICA_ASSIGNMENT|replica assignment is invalid/i);
      // A broker that is not live is refused too.
      const dead = await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 1, replicas: [42] }] }] }).catch((e: unknown) => e);
      expect(JSON.stringify(dead) + String(dead)).toMatch(/INVALID_REPLICA_ASSIGNMENT|replica assignment is invalid/i);
    } finally {
      await admin.disconnect();
    }
    // strata cluster move: back to where it was.
    const moved = await strataJson<{ topic: string; partition: number; broker: number }>(['cluster', 'move', topic, '0', '--broker', String(from), '--bootstrap-server', b1.bootstrap]);
    expect(moved).toMatchObject({ topic, partition: 0, broker: from });
    await waitFor(async () => (await leadersOf(b1, topic))[0] === from || undefined, { timeoutMs: 20_000, what: `partition 0 back on broker ${from}` });
    const shown = await strataJson<{ partitions: Array<{ partition: number; leader: number; movable: boolean }> }>(['cluster', '--topic', topic, '--bootstrap-server', b1.bootstrap]);
    expect(shown.partitions.every((p) => p.movable)).toBe(true);
  }, 120_000);
});
