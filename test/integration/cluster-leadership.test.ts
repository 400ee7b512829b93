// Integration: three real brokers on 127.0.0.1 form one cluster with partition leadership
// (cluster.enable, cluster.metadata.store=redis, cluster.partition.leadership.enable, one Redis
// prefix). A topic created through one broker gets its partitions spread over all three by the
// controller; every broker's Metadata names the same leaders and lists all three brokers;
// KafkaJS (bootstrapped to one broker only) produces acks=all to every partition and kcat
// (bootstrapped to another) reads every record back from the leaders; a raw Produce to a
// broker that does not lead the partition is answered NOT_LEADER_OR_FOLLOWER. A consumer group
// whose coordinator is not the bootstrap broker consumes every record and commits. A broker
// killed (-9) or stopped (SIGTERM) and restarted loses nothing acknowledged: its partitions are
// offline meanwhile, an idempotent librdkafka producer retries through it, every record once.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { uniqueRedisPrefix } from '../helpers/groups.js';
import { clusterArgs as clusterArgsOf, leaders } from '../helpers/cluster.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatBinary, kcatConsumeJson, kcatProduce } from '../helpers/kcat.js';
import { withConnection } from '../helpers/raw-kafka.js';
import { produce } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';
import { coordinatorFor } from '../../src/cluster/group-placement.js';
import { strataJson } from '../helpers/strata-cli.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';

const prefix = uniqueRedisPrefix();
const PARTITIONS = 6;
const brokers: BrokerHandle[] = [];

const clusterArgs = (nodeId: number) => clusterArgsOf(prefix, nodeId);

beforeAll(async () => {
  // The first broker creates the cluster id in Redis; the others join it.
  brokers.push(await startBroker({ args: clusterArgs(1) }));
  brokers.push(...(await Promise.all([2, 3].map((id) => startBroker({ args: clusterArgs(id) })))));
});

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
});

describe('a three-broker cluster with partition leadership', () => {
  it('spreads a new topic over the brokers; clients produce and consume through the leaders; a non-leader refuses', async () => {
    const topic = uniqueTopic('spread');
    await createTopicOn(brokers[0]!.bootstrap, topic, PARTITIONS);
    // Every broker agrees on a leader for every partition, using all three brokers.
    const agreed = await waitFor(
      async () => {
        const views = await Promise.all(brokers.map((b) => leaders(b, topic)));
        const first = JSON.stringify(views[0]!.leaders);
        const ok = views.every((v) => JSON.stringify(v.leaders) === first && JSON.stringify(v.brokerIds) === '[1,2,3]') && views[0]!.leaders.length === PARTITIONS && !views[0]!.leaders.includes(-1);
        return ok ? views[0]!.leaders : undefined;
      },
      { timeoutMs: 15_000, what: 'every broker to report the same leaders for every partition' },
    );
    expect(new Set(agreed)).toEqual(new Set([1, 2, 3]));
    // Metrics: every broker sees three, one is the controller, together they lead every partition.
    const metrics = await Promise.all(brokers.map((b) => scrapeMetrics(httpPortOf(b))));
    expect(metrics.map((m) => m.get('strata_cluster_live_brokers'))).toEqual([3, 3, 3]);
    expect(metrics.map((m) => m.get('strata_cluster_controller')).reduce((a, b) => a! + b!, 0)).toBe(1);
    expect(metrics.map((m) => m.get('strata_cluster_partitions_led')).reduce((a, b) => a! + b!, 0)).toBe(PARTITIONS);
    expect(metrics.map((m) => m.get('strata_cluster_partitions_without_leader'))).toEqual([0, 0, 0]);
    // strata cluster (through any broker) shows the three brokers and who leads what.
    const shown = await strataJson<{ controllerId: number; brokers: Array<{ nodeId: number; partitionsLed: number }>; partitions: Array<{ partition: number; leader: number }> }>(['cluster', '--bootstrap-server', brokers[2]!.bootstrap, '--topic', topic]);
    expect(shown.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    expect([1, 2, 3]).toContain(shown.controllerId);
    expect(shown.partitions.map((p) => p.leader)).toEqual(agreed);
    expect(shown.brokers.map((b) => b.partitionsLed)).toEqual([2, 2, 2]);

    // KafkaJS, bootstrapped to broker 1 only, follows Metadata to each partition's leader.
    const producer = kafkaClient(brokers[0]!.bootstrap).producer();
    await producer.connect();
    const sent: string[][] = Array.from({ length: PARTITIONS }, () => []);
    for (let round = 0; round < 5; round++) {
      const messages = Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `p${p}-r${round}` }));
      await producer.send({ topic, acks: -1, messages });
      messages.forEach((m) => sent[m.partition]!.push(m.value));
    }
    await producer.disconnect();

    // kcat, bootstrapped to broker 2, reads every partition from its leader.
    for (let p = 0; p < PARTITIONS; p++) {
      const records = await kcatConsumeJson(brokers[1]!.bootstrap, topic, { partition: p });
      expect(records.map((r) => r.payload)).toEqual(sent[p]);
    }

    // A broker that does not lead partition 0 answers NOT_LEADER_OR_FOLLOWER for it.
    const other = brokers.find((b, i) => i + 1 !== agreed[0])!;
    const answer = await withConnection(other.host, other.port, (c) => produce(c, topic, 0, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('stray') }] })));
    expect(answer.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // ...and nothing of it reached the log.
    expect((await kcatConsumeJson(brokers[2]!.bootstrap, topic, { partition: 0 })).map((r) => r.payload)).toEqual(sent[0]);
  }, 90_000);

  it('a consumer group coordinated by another broker than the bootstrap one reads every record and commits', async () => {
    const topic = uniqueTopic('group');
    await createTopicOn(brokers[0]!.bootstrap, topic, 3);
    // A group id whose coordinator is broker 3 (the consumer bootstraps through broker 1).
    let groupId = '';
    for (let i = 0; coordinatorFor(groupId, [1, 2, 3]) !== 3; i++) groupId = `${topic}-g${i}`;
    const producer = kafkaClient(brokers[0]!.bootstrap).producer();
    await producer.connect();
    const values = Array.from({ length: 30 }, (_, i) => `v${i}`);
    await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ value, partition: i % 3 })) });
    await producer.disconnect();
    const consumer = kafkaClient(brokers[0]!.bootstrap).consumer({ groupId, maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= values.length || undefined, { timeoutMs: 30_000, what: 'the group to consume every record' });
    expect([...seen].sort()).toEqual([...values].sort());
    await consumer.disconnect();
    // The commit went to the coordinator: a fresh admin reads the group's offsets through it.
    const admin = kafkaClient(brokers[1]!.bootstrap).admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(offsets[0]!.partitions.map((p) => Number(p.offset)).sort()).toEqual([10, 10, 10]);
  }, 60_000);

  it('accepts a replication factor up to the live brokers and refuses one above with INVALID_REPLICATION_FACTOR', async () => {
    const admin = kafkaClient(brokers[1]!.bootstrap).admin();
    await admin.connect();
    try {
      const ok = uniqueTopic('rf3');
      expect(await admin.createTopics({ topics: [{ topic: ok, numPartitions: 1, replicationFactor: 3 }] })).toBe(true);
      const err = await admin.createTopics({ topics: [{ topic: uniqueTopic('rf4'), numPartitions: 1, replicationFactor: 4 }] }).catch((e: unknown) => e);
      expect(JSON.stringify(err)).toContain('INVALID_REPLICATION_FACTOR');
    } finally {
      await admin.disconnect();
    }
  });

  it('the partitions of a killed broker are offline (LEADER_NOT_AVAILABLE) while the others serve, and come back whole when it restarts', async () => {
    const topic = uniqueTopic('offline');
    await createTopicOn(brokers[0]!.bootstrap, topic, 3);
    const placed = await waitFor(async () => {
      const v = await leaders(brokers[0]!, topic);
      return v.leaders.length === 3 && !v.leaders.includes(-1) ? v.leaders : undefined;
    }, { timeoutMs: 15_000, what: 'leaders for every partition' });
    const producer = kafkaClient(brokers[0]!.bootstrap).producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((p) => ({ partition: p, value: `before-${p}` })) });
    await producer.disconnect();
    // Kill the broker leading partition 2 (not broker 1, which the clients bootstrap through).
    const victimId = placed[2]! === 1 ? placed.find((l) => l !== 1)! : placed[2]!;
    const victim = brokers[victimId - 1]!;
    const lost = placed.map((l, p) => (l === victimId ? p : -1)).filter((p) => p >= 0);
    await victim.kill9();
    await waitFor(async () => {
      const v = await leaders(brokers[0]!, topic);
      return lost.every((p) => v.leaders[p] === -1) && !v.brokerIds.includes(victimId) ? true : undefined;
    }, { timeoutMs: 15_000, what: 'the partitions of the dead broker to be reported offline' });
    // The other partitions still take writes (librdkafka, which serves each partition on its own;
    // KafkaJS refuses to send to a topic while any of its partitions has no leader).
    const alive = [0, 1, 2].filter((p) => !lost.includes(p));
    for (const p of alive) await kcatProduce(brokers[0]!.bootstrap, topic, `during-${p}\n`, { partition: p });
    // Restarted with its data dir and node.id, the broker leads its partitions again, with every acknowledged record.
    brokers[victimId - 1] = await victim.restart();
    await waitFor(async () => {
      const v = await leaders(brokers[0]!, topic);
      return JSON.stringify(v.leaders) === JSON.stringify(placed) ? true : undefined;
    }, { timeoutMs: 20_000, what: 'the restarted broker to lead its partitions again' });
    for (const p of [0, 1, 2]) {
      const records = await kcatConsumeJson(brokers[0]!.bootstrap, topic, { partition: p });
      expect(records.map((r) => r.payload)).toEqual(lost.includes(p) ? [`before-${p}`] : [`before-${p}`, `during-${p}`]);
    }
  }, 90_000);

  it('Kafka reassignment APIs: nothing in progress; the current leader is accepted as is; a move between brokers is refused with a reason', async () => {
    const topic = uniqueTopic('reassign');
    await createTopicOn(brokers[0]!.bootstrap, topic, 1);
    const leader = await waitFor(async () => {
      const v = await leaders(brokers[0]!, topic);
      return v.leaders[0] !== undefined && v.leaders[0] !== -1 ? v.leaders[0] : undefined;
    }, { timeoutMs: 15_000, what: 'a leader for the partition' });
    const admin = kafkaClient(brokers[1]!.bootstrap).admin();
    await admin.connect();
    try {
      expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [leader] }] }] });
      const other = [1, 2, 3].find((id) => id !== leader)!;
      const err = await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [other] }] }] }).catch((e: unknown) => e as Error);
      expect(JSON.stringify(err) + String(err)).toMatch(/INVALID_REPLICA_ASSIGNMENT|replica assignment is invalid|data stays on that broker/i);
      expect((await leaders(brokers[0]!, topic)).leaders).toEqual([leader]);
    } finally {
      await admin.disconnect();
    }
  });

  it('SIGTERM of a broker under an idempotent librdkafka producer: it retries through the restart, every record exactly once, in order per partition', async () => {
    const topic = uniqueTopic('sigterm');
    await createTopicOn(brokers[0]!.bootstrap, topic, 3);
    const placed = await waitFor(async () => {
      const v = await leaders(brokers[0]!, topic);
      return v.leaders.length === 3 && !v.leaders.includes(-1) ? v.leaders : undefined;
    }, { timeoutMs: 15_000, what: 'leaders for every partition' });
    const victimId = placed.find((l) => l !== 1) ?? 2;
    // kcat reads stdin as the test writes it: records keep coming while the broker stops and returns.
    const producer = spawn(kcatBinary(), ['-P', '-b', brokers[0]!.bootstrap, '-t', topic, '-K', ':', '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'message.timeout.ms=60000', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    producer.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => producer.on('close', (code) => resolve(code)));
    const total = 3000;
    let sent = 0;
    const write = async (n: number) => {
      for (const end = sent + n; sent < end; sent++) producer.stdin!.write(`k${sent % 30}:v${sent}\n`);
      await new Promise((resolve) => setImmediate(resolve));
    };
    await write(1000);
    const victim = brokers[victimId - 1]!;
    const stopped = await victim.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    await write(1000);
    brokers[victimId - 1] = await victim.restart();
    await write(total - 2000);
    producer.stdin!.end();
    expect(await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000, 'timeout'))]), stderr).toBe(0);
    expect(stderr).not.toMatch(/Delivery failed|% ERROR: Failed/);
    // Every record exactly once; per partition in the order sent.
    const seen: number[] = [];
    for (let p = 0; p < 3; p++) {
      const values = (await kcatConsumeJson(brokers[0]!.bootstrap, topic, { partition: p, timeoutMs: 30_000 })).map((r) => Number(r.payload!.slice(1)));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      seen.push(...values);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  }, 120_000);
});
