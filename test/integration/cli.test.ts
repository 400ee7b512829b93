// Integration: the `strata` command against a real broker process — topic admin, produce from
// stdin then consume, group describe with lag after a KafkaJS consumer committed, offset
// reset — and against a broker that is not there (clear error, non-zero exit).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS, freePort, recordingConsumer } from '../helpers/groups.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeJson } from '../helpers/kcat.js';
import { runStrata, strataJson, strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let kafka: Kafka;
let bs: string[];

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS, '--redis.url=', '--worker.threads=2'] });
  kafka = kafkaClient(broker.bootstrap);
  bs = ['--bootstrap-server', broker.bootstrap];
});

interface TopicDescription {
  name: string;
  partitions: Array<{ partition: number; leader: number; logStartOffset: number; logEndOffset: number }>;
  overrides: Record<string, string>;
}

describe('strata topics', () => {
  it('creates, lists, describes, alters and deletes a topic', async () => {
    const topic = uniqueTopic('cli-admin');
    const created = await strataOk(['topics', 'create', topic, '--partitions', '3', '--config', 'retention.ms=3600000', ...bs]);
    expect(created.stdout).toContain(`Created topic ${topic} (3 partitions)`);

    const list = await strataJson<Array<{ name: string; partitions: number }>>(['topics', 'list', ...bs]);
    expect(list).toContainEqual({ name: topic, partitions: 3 });
    expect((await strataOk(['topics', 'list', ...bs])).stdout).toMatch(new RegExp(`^${topic}\\s+3$`, 'm'));

    let d = await strataJson<TopicDescription>(['topics', 'describe', topic, ...bs]);
    expect(d.partitions.map((p) => [p.partition, p.leader, p.logEndOffset])).toEqual([
      [0, 1, 0],
      [1, 1, 0],
      [2, 1, 0],
    ]);
    expect(d.overrides).toEqual({ 'retention.ms': '3600000' });

    await strataOk(['topics', 'alter', topic, '--config', 'retention.ms=7200000', '--config', 'max.message.bytes=2000000', '--partitions', '4', ...bs]);
    d = await strataJson<TopicDescription>(['topics', 'describe', topic, ...bs]);
    expect(d.partitions).toHaveLength(4);
    expect(d.overrides).toEqual({ 'retention.ms': '7200000', 'max.message.bytes': '2000000' });
    await strataOk(['topics', 'alter', topic, '--delete-config', 'max.message.bytes', ...bs]);
    d = await strataJson<TopicDescription>(['topics', 'describe', topic, ...bs]);
    expect(d.overrides).toEqual({ 'retention.ms': '7200000' });

    const dup = await runStrata(['topics', 'create', topic, '--partitions', '1', ...bs]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('TOPIC_ALREADY_EXISTS');

    await strataOk(['topics', 'delete', topic, ...bs]);
    const after = await strataJson<Array<{ name: string }>>(['topics', 'list', ...bs]);
    expect(after.map((t) => t.name)).not.toContain(topic);
    const gone = await runStrata(['topics', 'describe', topic, ...bs]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });
});

describe('strata produce / consume', () => {
  it('produces stdin lines (keys, headers, gzip) and consumes them back from the beginning', async () => {
    const topic = uniqueTopic('cli-pc');
    await strataOk(['topics', 'create', topic, '--partitions', '2', ...bs]);
    const lines = Array.from({ length: 50 }, (_, i) => `k${i % 5}|value-${i}`);
    const produced = await strataOk(['produce', topic, '--key-separator', '|', '--header', 'source=cli', '--compression', 'gzip', '--batch-size', '7', ...bs], {
      input: lines.join('\n') + '\n',
    });
    expect(produced.stderr).toMatch(/Produced 50 records .* to /);

    const consumed = await strataOk(['consume', topic, '--from-beginning', '--max-messages', '50', '--output', 'json', ...bs]);
    const records = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: number; key: string; value: string; headers: Record<string, string> });
    expect(records).toHaveLength(50);
    expect(records.map((r) => r.value).sort()).toEqual(lines.map((l) => l.split('|')[1]).sort());
    for (const r of records) {
      expect(r.headers).toEqual({ source: 'cli' });
      expect(r.value).toMatch(new RegExp(`^value-\\d+$`));
      expect(Number(r.value.slice(6)) % 5).toBe(Number(r.key.slice(1)));
    }
    // Same key → same partition (murmur2), and per-partition offsets are dense from 0.
    const partitionOfKey = new Map<string, number>();
    for (const r of records) {
      expect(partitionOfKey.get(r.key) ?? r.partition).toBe(r.partition);
      partitionOfKey.set(r.key, r.partition);
    }
    for (const p of [0, 1]) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }

    // An independent client sees the same records (real Kafka batches, headers included).
    const viaKcat = await kcatConsumeJson(broker.bootstrap, topic, { count: 50 });
    expect(viaKcat.map((r) => r.payload).sort()).toEqual(records.map((r) => r.value).sort());

    // --format template, one partition, from an offset, stop after N.
    const formatted = await strataOk(['consume', topic, '--partition', '0', '--offset', '1', '--max-messages', '2', '--format', '{partition}:{offset}:{key}={value}:{headers}', ...bs]);
    const want = records.filter((r) => r.partition === 0 && r.offset >= 1 && r.offset <= 2).map((r) => `0:${r.offset}:${r.key}=${r.value}:source=cli`);
    expect(formatted.stdout.trim().split('\n')).toEqual(want);
  });
});

describe('strata groups', () => {
  it('describes a group with correct lag after a KafkaJS consumer committed, and resets its offsets', async () => {
    const topic = uniqueTopic('cli-groups');
    const groupId = `g-${topic}`;
    await strataOk(['topics', 'create', topic, '--partitions', '2', ...bs]);
    // Keyless lines go to one partition per batch (sticky): place them explicitly.
    const first = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await strataOk(['produce', topic, '--partition', '0', ...bs], { input: first.slice(0, 12).join('\n') + '\n' });
    await strataOk(['produce', topic, '--partition', '1', ...bs], { input: first.slice(12).join('\n') + '\n' });

    const consumer = await recordingConsumer(kafka, groupId, topic);
    await waitFor(() => consumer.received.length === 20, { timeoutMs: 30_000, what: 'KafkaJS consumed 20 records' });
    // While it runs: one member owning both partitions.
    const live = await waitFor(
      async () => {
        const d = await strataJson<{ state: string; members: Array<{ assignment: Array<{ topic: string; partitions: number[] }> }> }>(['groups', 'describe', groupId, ...bs]);
        return d.state === 'Stable' && d.members.length === 1 ? d : undefined;
      },
      { what: 'stable group with one member' },
    );
    expect(live.members[0]!.assignment).toEqual([{ topic, partitions: [0, 1] }]);
    await consumer.stop(); // KafkaJS commits what it consumed on disconnect

    const byPartition = new Map<number, number>();
    for (const r of consumer.received) byPartition.set(r.partition, Math.max(byPartition.get(r.partition) ?? -1, r.offset + 1));

    const more = Array.from({ length: 7 }, (_, i) => `late${i}`);
    await strataOk(['produce', topic, '--partition', '1', ...bs], { input: more.join('\n') + '\n' });

    type Described = { state: string; members: unknown[]; totalLag: number; partitions: Array<{ topic: string; partition: number; committedOffset: number; logEndOffset: number; lag: number }> };
    const d = await strataJson<Described>(['groups', 'describe', groupId, ...bs]);
    expect(d.state).toBe('Empty');
    expect(d.members).toEqual([]);
    expect(d.partitions).toEqual([
      { topic, partition: 0, committedOffset: byPartition.get(0), logEndOffset: byPartition.get(0), lag: 0, memberId: null, clientId: null },
      { topic, partition: 1, committedOffset: byPartition.get(1), logEndOffset: byPartition.get(1)! + 7, lag: 7, memberId: null, clientId: null },
    ]);
    expect(d.totalLag).toBe(7);
    expect((await strataOk(['groups', 'describe', groupId, ...bs])).stdout).toMatch(new RegExp(`^${topic}\\s+1\\s+${byPartition.get(1)}\\s+${byPartition.get(1)! + 7}\\s+7\\b`, 'm'));

    const list = await strataJson<Array<{ groupId: string; state: string }>>(['groups', 'list', ...bs]);
    expect(list).toContainEqual(expect.objectContaining({ groupId, state: 'Empty' }));

    // Dry run changes nothing.
    const plan = await strataJson<{ executed: boolean; partitions: Array<{ partition: number; newOffset: number }> }>(['groups', 'reset-offsets', groupId, '--topic', topic, '--to-earliest', ...bs]);
    expect(plan.executed).toBe(false);
    expect(plan.partitions.map((p) => p.newOffset)).toEqual([0, 0]);
    expect((await strataJson<Described>(['groups', 'describe', groupId, ...bs])).totalLag).toBe(7);

    await strataOk(['groups', 'reset-offsets', groupId, '--topic', topic, '--to-earliest', '--execute', ...bs]);
    const reset = await strataJson<Described>(['groups', 'describe', groupId, ...bs]);
    expect(reset.partitions.map((p) => [p.partition, p.committedOffset, p.lag])).toEqual([
      [0, 0, byPartition.get(0)],
      [1, 0, byPartition.get(1)! + 7],
    ]);
    expect(reset.totalLag).toBe(27);

    // A KafkaJS consumer in the group now starts from the reset offsets: all 27 again.
    const again = await recordingConsumer(kafka, groupId, topic);
    await waitFor(() => again.received.length === 27, { timeoutMs: 30_000, what: 'all 27 records re-consumed after reset' });
    await again.stop();

    await strataOk(['groups', 'reset-offsets', groupId, '--topic', topic, '--to-offset', '3', '--partition', '1', '--execute', ...bs]);
    const one = await strataJson<Described>(['groups', 'describe', groupId, ...bs]);
    expect(one.partitions.find((p) => p.partition === 1)!.committedOffset).toBe(3);

    await strataOk(['groups', 'delete', groupId, ...bs]);
    const afterDelete = await strataJson<Array<{ groupId: string }>>(['groups', 'list', ...bs]);
    expect(afterDelete.map((g) => g.groupId)).not.toContain(groupId);
  });

  it('consume --group starts from and commits the group offsets', async () => {
    const topic = uniqueTopic('cli-consume-group');
    const groupId = `g-${topic}`;
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    await strataOk(['produce', topic, ...bs], { input: 'a\nb\nc\nd\ne\n' });
    const firstTwo = await strataOk(['consume', topic, '--group', groupId, '--from-beginning', '--max-messages', '2', ...bs]);
    expect(firstTwo.stdout).toBe('a\nb\n');
    const next = await strataOk(['consume', topic, '--group', groupId, '--max-messages', '3', ...bs]);
    expect(next.stdout).toBe('c\nd\ne\n');
    const d = await strataJson<{ partitions: Array<{ committedOffset: number; lag: number }> }>(['groups', 'describe', groupId, ...bs]);
    expect(d.partitions).toEqual([expect.objectContaining({ committedOffset: 5, lag: 0 })]);
  });
});

describe('strata consume --group as a group member', () => {
  it('joins beside a KafkaJS consumer, splits the partitions with it and reads only its own', async () => {
    const topic = uniqueTopic('cli-member');
    const groupId = `g-${topic}`;
    await strataOk(['topics', 'create', topic, '--partitions', '4', ...bs]);
    const kafkaMember = await recordingConsumer(kafka, groupId, topic);
    try {
      await waitFor(() => Object.values(kafkaMember.assignment()).flat().length === 4, { timeoutMs: 30_000, what: 'KafkaJS member owning all 4 partitions' });
      // The CLI member stays until it has been idle for 8 s.
      const cli = runStrata(['consume', topic, '--group', groupId, '--output', 'json', '--timeout-ms', '8000', ...bs], { timeoutMs: 90_000 });
      type Described = { state: string; members: Array<{ clientId: string; assignment: Array<{ topic: string; partitions: number[] }> }> };
      const split = await waitFor(
        async () => {
          const d = await strataJson<Described>(['groups', 'describe', groupId, ...bs]);
          return d.state === 'Stable' && d.members.length === 2 && d.members.every((m) => m.assignment.length > 0) ? d : undefined;
        },
        { timeoutMs: 30_000, what: 'stable group of two members' },
      );
      const owned = split.members.map((m) => m.assignment.flatMap((a) => a.partitions));
      expect(owned.flat().sort()).toEqual([0, 1, 2, 3]);
      await waitFor(() => Object.values(kafkaMember.assignment()).flat().length === 2, { timeoutMs: 30_000, what: 'KafkaJS member down to 2 partitions' });
      const kafkaOwned = Object.values(kafkaMember.assignment()).flat().sort();
      const cliOwned = [0, 1, 2, 3].filter((p) => !kafkaOwned.includes(p));

      // 10 records per partition after the split: each member reads exactly its own.
      for (let p = 0; p < 4; p++) {
        await strataOk(['produce', topic, '--partition', String(p), ...bs], { input: Array.from({ length: 10 }, (_, i) => `p${p}-${i}`).join('\n') + '\n' });
      }
      await waitFor(() => kafkaMember.received.filter((r) => r.value.startsWith('p')).length === 20, { timeoutMs: 30_000, what: 'KafkaJS member read its 20' });
      const result = await cli;
      expect(result.code, result.stderr).toBe(0);
      const cliRecords = result.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { partition: number; value: string });
      expect(cliRecords.length).toBe(20);
      expect([...new Set(cliRecords.map((r) => r.partition))].sort()).toEqual(cliOwned);
      expect([...new Set(kafkaMember.received.map((r) => r.partition))].sort()).toEqual(kafkaOwned);
      // It left the group on exit and committed what it read.
      const after = await strataJson<Described & { partitions: Array<{ partition: number; committedOffset: number }> }>(['groups', 'describe', groupId, ...bs]);
      for (const p of cliOwned) expect(after.partitions.find((x) => x.partition === p)?.committedOffset).toBe(10);
    } finally {
      await kafkaMember.stop();
    }
  }, 120_000);
});

describe('strata against a broker that is down', () => {
  it('fails with a clear error and a non-zero exit code', async () => {
    const port = await freePort();
    for (const args of [['topics', 'list'], ['groups', 'describe', 'g'], ['consume', 't', '--max-messages', '1']]) {
      const r = await runStrata([...args, '--bootstrap-server', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`strata: error: cannot connect to broker at 127.0.0.1:${port}: ECONNREFUSED`);
      expect(r.stdout).toBe('');
    }
  });

  it('usage errors exit 2 before connecting', async () => {
    const r = await runStrata(['topics', 'frobnicate', '--bootstrap-server', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown action "frobnicate"');
    const typo = await runStrata(['topics', 'list', '--bootstrap-servers', broker.bootstrap]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown option --bootstrap-servers');
  });
});
