// Integration: the group APIs on the wire (raw requests built with the generated codecs), for
// every advertised version and the exact error codes real clients depend on: MEMBER_ID_REQUIRED,
// REBALANCE_IN_PROGRESS heartbeats, followers waiting in SyncGroup, rebalance timeouts,
// protocol selection, static-member fencing, offset commit checks, OffsetFetch batching,
// OffsetDelete, ListGroups filters, DescribeGroups, DeleteGroups and batched LeaveGroup.
// Embedded local offset store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GroupWire, subscription, withGroupWire } from '../helpers/group-wire.js';
import { GROUP_TEST_FLAGS, LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
const opened: GroupWire[] = [];

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS, ...LOCAL_STORE_FLAGS, '--auto.create.topics.enable=false'] });
});

afterAll(() => {
  for (const w of opened) w.close();
});

async function wire(): Promise<GroupWire> {
  const w = await GroupWire.connect(broker.host, broker.port);
  opened.push(w);
  return w;
}

const createTopic = (topic: string, numPartitions = 2) => createTopicOn(broker.bootstrap, topic, numPartitions);

async function deleteTopic(topic: string): Promise<void> {
  const admin = kafkaClient(broker.bootstrap).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}

/** A one-member group, Stable: joined (v5) and synced with `assignment`. */
async function stableMember(w: GroupWire, groupId: string, extra: { groupInstanceId?: string; topics?: string[]; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number } = {}) {
  const join = await w.join({
    groupId,
    groupInstanceId: extra.groupInstanceId ?? null,
    sessionTimeoutMs: extra.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: extra.rebalanceTimeoutMs ?? 10_000,
    protocols: [{ name: 'range', metadata: subscription(extra.topics ?? ['t']) }],
  });
  expect(join.errorCode).toBe(ErrorCode.NONE);
  const sync = await w.syncGroup({
    groupId,
    memberId: join.memberId,
    generationId: join.generationId,
    groupInstanceId: extra.groupInstanceId ?? null,
    assignments: join.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`assignment-of-${m.memberId}`) })),
  });
  expect(sync.errorCode).toBe(ErrorCode.NONE);
  return { memberId: join.memberId, generationId: join.generationId };
}

describe('every advertised version', () => {
  it('FindCoordinator v0–6: this broker for groups and transactional ids, batched keys from v4', async () => {
    const w = await wire();
    for (let v = 0; v <= 6; v++) {
      if (v < 4) {
        const r = await w.findCoordinator({ key: `g-${v}`, keyType: 0 }, v);
        expect([r.errorCode, r.nodeId, r.host, r.port]).toEqual([ErrorCode.NONE, 1, broker.host, broker.port]);
      } else {
        const r = await w.findCoordinator({ keyType: 0, coordinatorKeys: ['a', 'b'] }, v);
        expect(r.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.port])).toEqual([
          ['a', 0, 1, broker.port],
          ['b', 0, 1, broker.port],
        ]);
      }
    }
    expect((await w.findCoordinator({ key: 'txn', keyType: 1 }, 3)).errorCode).toBe(ErrorCode.NONE);
    expect((await w.findCoordinator({ key: 'x', keyType: 7 }, 3)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('JoinGroup v0–9 with SyncGroup, Heartbeat and LeaveGroup at the matching versions; MEMBER_ID_REQUIRED from v4', async () => {
    const topic = uniqueTopic();
    for (let v = 0; v <= 9; v++) {
      const w = await wire();
      const groupId = `g-v${v}-${topic}`;
      const first = await w.joinGroup({ groupId }, v);
      let join = first;
      if (v >= 4) {
        expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
        expect(first.memberId).toMatch(/^strata-raw-test-/);
        join = await w.joinGroup({ groupId, memberId: first.memberId }, v);
      }
      expect(join.errorCode).toBe(ErrorCode.NONE);
      expect(join.generationId).toBe(1);
      expect(join.leader).toBe(join.memberId);
      expect(join.protocolName).toBe('range');
      if (v >= 7) expect(join.protocolType).toBe('consumer');
      expect(join.members.map((m) => m.memberId)).toEqual([join.memberId]);

      const sv = Math.min(v, 5);
      const sync = await w.syncGroup(
        {
          groupId,
          memberId: join.memberId,
          generationId: 1,
          protocolType: sv >= 5 ? 'consumer' : null,
          protocolName: sv >= 5 ? 'range' : null,
          assignments: [{ memberId: join.memberId, assignment: Buffer.from('mine') }],
        },
        sv,
      );
      expect(sync.errorCode).toBe(ErrorCode.NONE);
      expect(sync.assignment.toString()).toBe('mine');
      if (sv >= 5) expect([sync.protocolType, sync.protocolName]).toEqual(['consumer', 'range']);

      expect((await w.heartbeat({ groupId, memberId: join.memberId, generationId: 1 }, Math.min(v, 4))).errorCode).toBe(ErrorCode.NONE);
      expect((await w.heartbeat({ groupId, memberId: join.memberId, generationId: 7 }, Math.min(v, 4))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      const lv = Math.min(v, 5);
      const leave =
        lv < 3
          ? await w.leaveGroup({ groupId, memberId: join.memberId }, lv)
          : await w.leaveGroup({ groupId, members: [{ memberId: join.memberId, groupInstanceId: null, reason: 'bye' }] }, lv);
      expect(leave.errorCode).toBe(ErrorCode.NONE);
      if (lv >= 3) expect(leave.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE]);
      expect((await w.heartbeat({ groupId, memberId: join.memberId, generationId: 1 }, Math.min(v, 4))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  });

  it('OffsetCommit v0–9 and OffsetFetch v0–9 (v8+ batched groups)', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 2);
    const w = await wire();
    for (let v = 0; v <= 9; v++) {
      const groupId = `simple-v${v}-${topic}`;
      const commit = await w.offsetCommit(groupId, [{ topic, partition: 1, offset: 100 + v, metadata: `meta-${v}`, leaderEpoch: 3 }], {}, v);
      expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      const named = [{ name: topic, partitionIndexes: [0, 1] }];
      const fetched =
        v >= 8
          ? (await w.offsetFetch({ groups: [{ groupId, memberId: null, memberEpoch: -1, topics: named }] }, v)).groups[0]!.topics
          : (await w.offsetFetch({ groupId, topics: named }, v)).topics;
      const [p0, p1] = fetched[0]!.partitions;
      expect([Number(p0!.committedOffset), p0!.metadata]).toEqual([-1, '']);
      expect([Number(p1!.committedOffset), p1!.metadata, p1!.errorCode]).toEqual([100 + v, `meta-${v}`, 0]);
      if (v >= 5) expect(p1!.committedLeaderEpoch).toBe(v >= 6 ? 3 : -1);
    }
  });

  it('ListGroups v0–5, DescribeGroups v0–5, DeleteGroups v0–2', async () => {
    const w = await wire();
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    const member = await stableMember(w, groupId, { groupInstanceId: 'inst-1' });
    for (let v = 0; v <= 5; v++) {
      const listed = (await w.listGroups([], v)).groups.find((g) => g.groupId === groupId);
      expect(listed?.protocolType).toBe('consumer');
      if (v >= 4) expect(listed?.groupState).toBe('Stable');
      if (v >= 5) expect(listed?.groupType).toBe('classic');
      const d = (await w.describeGroups([groupId], v, true)).groups[0]!;
      expect([d.errorCode, d.groupState, d.protocolType, d.protocolData]).toEqual([0, 'Stable', 'consumer', 'range']);
      expect(d.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.memberAssignment.toString()])).toEqual([
        [member.memberId, 'strata-raw-test', '/127.0.0.1', `assignment-of-${member.memberId}`],
      ]);
      if (v >= 4) expect(d.members[0]!.groupInstanceId).toBe('inst-1');
      if (v >= 3) expect(d.authorizedOperations).toBeGreaterThan(0);
    }
    expect((await w.describeGroups(['no-such-group'])).groups[0]).toMatchObject({ errorCode: 0, groupState: 'Dead' });
    for (let v = 0; v <= 2; v++) {
      expect((await w.deleteGroups([groupId], v)).results[0]!.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    }
    await w.leaveGroup({ groupId, members: [{ memberId: '', groupInstanceId: 'inst-1', reason: null }] });
    for (let v = 0; v <= 2; v++) {
      const g = `del-v${v}-${topic}`;
      await w.offsetCommit(g, []);
      await stableMember(w, g);
      const d = (await w.describeGroups([g])).groups[0]!;
      await w.leaveGroup({ groupId: g, members: [{ memberId: d.members[0]!.memberId, groupInstanceId: null, reason: null }] });
      expect((await w.deleteGroups([g, `missing-${g}`], v)).results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.GROUP_ID_NOT_FOUND]);
    }
  });
});

describe('group membership', () => {
  it('Heartbeat answers REBALANCE_IN_PROGRESS while a member joins; followers wait in SyncGroup for the leader', async () => {
    const groupId = `g-${uniqueTopic()}`;
    const w1 = await wire();
    const w2 = await wire();
    const m1 = await stableMember(w1, groupId);
    const joining = w2.join({ groupId });
    await waitFor(async () => (await w1.heartbeat({ groupId, memberId: m1.memberId, generationId: m1.generationId })).errorCode === ErrorCode.REBALANCE_IN_PROGRESS, {
      what: 'REBALANCE_IN_PROGRESS heartbeat',
    });
    const [rejoin1, join2] = await Promise.all([w1.join({ groupId, memberId: m1.memberId }), joining]);
    expect(rejoin1.generationId).toBe(m1.generationId + 1);
    expect(join2.generationId).toBe(m1.generationId + 1);
    expect(rejoin1.leader).toBe(m1.memberId); // the leader stays leader
    expect(rejoin1.members).toHaveLength(2);
    expect(join2.members).toEqual([]);

    // The follower syncs first and waits for the leader's assignment.
    const followerSync = w2.syncGroup({ groupId, memberId: join2.memberId, generationId: join2.generationId });
    let followerDone = false;
    void followerSync.then(() => (followerDone = true));
    expect((await w1.heartbeat({ groupId, memberId: m1.memberId, generationId: rejoin1.generationId })).errorCode).toBe(ErrorCode.NONE);
    expect(followerDone).toBe(false);
    const w3 = await wire();
    const leaderSync = await w3.syncGroup({
      groupId,
      memberId: m1.memberId,
      generationId: rejoin1.generationId,
      assignments: [
        { memberId: m1.memberId, assignment: Buffer.from('L') },
        { memberId: join2.memberId, assignment: Buffer.from('F') },
      ],
    });
    expect(leaderSync.assignment.toString()).toBe('L');
    expect((await followerSync).assignment.toString()).toBe('F');
  });

  it('a member that does not rejoin within the rebalance timeout is removed; the others complete the rebalance', async () => {
    const groupId = `g-${uniqueTopic()}`;
    const w1 = await wire();
    const w2 = await wire();
    const m1 = await stableMember(w1, groupId, { rebalanceTimeoutMs: 800 });
    const started = Date.now();
    const join2 = await w2.join({ groupId, rebalanceTimeoutMs: 800 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(join2.errorCode).toBe(ErrorCode.NONE);
    expect(join2.leader).toBe(join2.memberId);
    expect(join2.members.map((m) => m.memberId)).toEqual([join2.memberId]);
    expect((await w1.heartbeat({ groupId, memberId: m1.memberId, generationId: m1.generationId })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('selects the protocol every member supports by vote; rejects members with no common protocol', async () => {
    const groupId = `g-${uniqueTopic()}`;
    const w1 = await wire();
    const w2 = await wire();
    const meta = subscription(['t']);
    const both = [{ name: 'range', metadata: meta }, { name: 'roundrobin', metadata: meta }];
    const j1 = await w1.join({ groupId, protocols: both });
    expect(j1.protocolName).toBe('range'); // alone: its first choice
    const joining2 = w2.join({ groupId, protocols: [{ name: 'roundrobin', metadata: meta }] });
    await waitFor(async () => (await w1.heartbeat({ groupId, memberId: j1.memberId, generationId: j1.generationId })).errorCode === ErrorCode.REBALANCE_IN_PROGRESS, {
      what: 'rebalance for the second member',
    });
    const [r1, r2] = await Promise.all([w1.join({ groupId, memberId: j1.memberId, protocols: both }), joining2]);
    expect(r1.generationId).toBe(r2.generationId);
    // The only protocol both support wins.
    expect([r1.protocolName, r2.protocolName]).toEqual(['roundrobin', 'roundrobin']);
    const w3 = await wire();
    const bad = await w3.join({ groupId, protocols: [{ name: 'sticky', metadata: meta }] });
    expect(bad.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const badType = await w3.join({ groupId, protocolType: 'connect' });
    expect(badType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('rejects session timeouts outside the broker range', async () => {
    const w = await wire();
    expect((await w.joinGroup({ groupId: 'g-session', sessionTimeoutMs: 100 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await w.joinGroup({ groupId: 'g-session', sessionTimeoutMs: 1_900_000 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await w.joinGroup({ groupId: '' })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('static membership: a new instance with the same group.instance.id fences the old member id', async () => {
    const groupId = `g-${uniqueTopic()}`;
    const w1 = await wire();
    const old = await stableMember(w1, groupId, { groupInstanceId: 'inst' });
    const w2 = await wire();
    const rejoin = await w2.joinGroup({ groupId, groupInstanceId: 'inst' });
    expect(rejoin.errorCode).toBe(ErrorCode.NONE);
    expect(rejoin.memberId).not.toBe(old.memberId);
    expect(rejoin.generationId).toBe(old.generationId); // no rebalance
    const sync = await w2.syncGroup({ groupId, memberId: rejoin.memberId, generationId: rejoin.generationId, groupInstanceId: 'inst' });
    expect(sync.assignment.toString()).toBe(`assignment-of-${old.memberId}`); // assignment handed back
    expect((await w1.heartbeat({ groupId, memberId: old.memberId, generationId: old.generationId, groupInstanceId: 'inst' })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const commit = await w1.offsetCommit(groupId, [], { generationId: old.generationId, memberId: old.memberId, groupInstanceId: 'inst' });
    expect(commit.topics).toEqual([]);
    expect((await w2.heartbeat({ groupId, memberId: rejoin.memberId, generationId: rejoin.generationId, groupInstanceId: 'inst' })).errorCode).toBe(ErrorCode.NONE);
  });

  it('LeaveGroup v3+ removes several members at once, static ones by instance id', async () => {
    const groupId = `g-${uniqueTopic()}`;
    const w1 = await wire();
    const w2 = await wire();
    const j1 = await w1.join({ groupId, groupInstanceId: 'a' });
    const joining2 = w2.join({ groupId, groupInstanceId: 'b' });
    await waitFor(async () => (await w1.heartbeat({ groupId, memberId: j1.memberId, generationId: j1.generationId, groupInstanceId: 'a' })).errorCode === ErrorCode.REBALANCE_IN_PROGRESS, {
      what: 'rebalance for the second member',
    });
    const [final1, final2] = await Promise.all([w1.join({ groupId, memberId: j1.memberId, groupInstanceId: 'a' }), joining2]);
    expect(final1.generationId).toBe(final2.generationId);
    const w3 = await wire();
    const leave = await w3.leaveGroup({
      groupId,
      members: [
        { memberId: '', groupInstanceId: 'a', reason: null },
        { memberId: final2.memberId, groupInstanceId: 'b', reason: 'done' },
        { memberId: 'nobody', groupInstanceId: null, reason: null },
      ],
    });
    expect(leave.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    await waitFor(async () => (await w3.describeGroups([groupId])).groups[0]!.groupState === 'Empty', { what: 'group empty' });
  });
});

describe('offsets', () => {
  it('OffsetCommit checks member, generation, topic and metadata size', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 2);
    const groupId = `g-${topic}`;
    const w = await wire();
    const m = await stableMember(w, groupId, { topics: [topic] });
    const ok = await w.offsetCommit(groupId, [{ topic, partition: 0, offset: 5 }], { generationId: m.generationId, memberId: m.memberId });
    expect(ok.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    const code = async (member: { generationId?: number; memberId?: string }, offsets = [{ topic, partition: 0, offset: 6 }]) =>
      (await w.offsetCommit(groupId, offsets, member)).topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
    expect(await code({ generationId: m.generationId + 1, memberId: m.memberId })).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await code({ generationId: m.generationId, memberId: 'stranger' })).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(await code({})).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]); // anonymous commit into a managed group
    expect(
      await code({ generationId: m.generationId, memberId: m.memberId }, [
        { topic, partition: 1, offset: 7 },
        { topic, partition: 9, offset: 1 },
        { topic: 'no-such-topic', partition: 0, offset: 1 },
      ]),
    ).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const big = await w.offsetCommit(groupId, [{ topic, partition: 0, offset: 8, metadata: 'x'.repeat(5000) }], { generationId: m.generationId, memberId: m.memberId });
    expect(big.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
    // Unknown group with a generation: ILLEGAL_GENERATION.
    expect((await w.offsetCommit(`nobody-${topic}`, [{ topic, partition: 0, offset: 1 }], { generationId: 3, memberId: 'x' })).topics[0]!.partitions[0]!.errorCode).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    // OffsetFetch v2+ with null topics: every committed partition.
    const all = await w.offsetFetch({ groupId, topics: null }, 3);
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset)])])).toEqual([
      [
        topic,
        [
          [0, 5],
          [1, 7],
        ],
      ],
    ]);
  });

  it('OffsetCommit answers REBALANCE_IN_PROGRESS between JoinGroup and SyncGroup, and is accepted while a rebalance is being prepared', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const groupId = `g-${topic}`;
    const w1 = await wire();
    const w2 = await wire();
    const m1 = await stableMember(w1, groupId, { topics: [topic] });
    const joining = w2.join({ groupId });
    await waitFor(async () => (await w1.heartbeat({ groupId, memberId: m1.memberId, generationId: m1.generationId })).errorCode === ErrorCode.REBALANCE_IN_PROGRESS, {
      what: 'preparing rebalance',
    });
    // PreparingRebalance: the current generation may still commit (eager revocation commits).
    const during = await w1.offsetCommit(groupId, [{ topic, partition: 0, offset: 3 }], { generationId: m1.generationId, memberId: m1.memberId });
    expect(during.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    const [r1] = await Promise.all([w1.join({ groupId, memberId: m1.memberId }), joining]);
    const completing = await w1.offsetCommit(groupId, [{ topic, partition: 0, offset: 4 }], { generationId: r1.generationId, memberId: m1.memberId });
    expect(completing.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('OffsetFetch v8 fetches several groups at once; unknown groups have nothing committed', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 3);
    const w = await wire();
    await w.offsetCommit(`a-${topic}`, [{ topic, partition: 0, offset: 1 }]);
    await w.offsetCommit(`b-${topic}`, [
      { topic, partition: 1, offset: 2 },
      { topic, partition: 2, offset: 3 },
    ]);
    const r = await w.offsetFetch(
      {
        groups: [
          { groupId: `a-${topic}`, memberId: null, memberEpoch: -1, topics: null },
          { groupId: `b-${topic}`, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [2] }] },
          { groupId: `c-${topic}`, memberId: null, memberEpoch: -1, topics: null },
        ],
      },
      8,
    );
    expect(r.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset)]))])).toEqual([
      [`a-${topic}`, 0, [[0, 1]]],
      [`b-${topic}`, 0, [[2, 3]]],
      [`c-${topic}`, 0, []],
    ]);
  });

  it('OffsetDelete refuses partitions of subscribed topics while the group has members, deletes them once it is empty', async () => {
    const topic = uniqueTopic();
    const other = uniqueTopic('other');
    await createTopic(topic, 1);
    await createTopic(other, 1);
    const groupId = `g-${topic}`;
    const w = await wire();
    const m = await stableMember(w, groupId, { topics: [topic] });
    await w.offsetCommit(groupId, [{ topic, partition: 0, offset: 1 }, { topic: other, partition: 0, offset: 2 }], { generationId: m.generationId, memberId: m.memberId });
    const r = await w.offsetDelete(groupId, [
      { name: topic, partitions: [0] },
      { name: other, partitions: [0] },
    ]);
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    await w.leaveGroup({ groupId, members: [{ memberId: m.memberId, groupInstanceId: null, reason: null }] });
    expect((await w.offsetDelete(groupId, [{ name: topic, partitions: [0] }])).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await w.offsetFetch({ groupId, topics: null })).topics).toEqual([]);
    expect((await w.offsetDelete(`missing-${groupId}`, [{ name: topic, partitions: [0] }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('ListGroups v4 filters by state (case-insensitive)', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const w = await wire();
    const stable = `stable-${topic}`;
    const empty = `empty-${topic}`;
    await stableMember(w, stable);
    await w.offsetCommit(empty, [{ topic, partition: 0, offset: 1 }]);
    const ids = async (states: string[]) => (await w.listGroups(states)).groups.map((g) => g.groupId).filter((g) => g.endsWith(topic)).sort();
    expect(await ids(['stable'])).toEqual([stable]);
    expect(await ids(['Empty'])).toEqual([empty]);
    expect(await ids(['Empty', 'Stable'])).toEqual([empty, stable].sort());
    expect(await ids([])).toEqual([empty, stable].sort());
    expect((await w.listGroups([], 5, ['consumer'])).groups.filter((g) => g.groupId.endsWith(topic))).toEqual([]);
  });

  it('offsets of a deleted topic are removed (a re-created topic of the same name starts with none)', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const groupId = `g-${topic}`;
    await withGroupWire(broker.host, broker.port, async (w) => {
      expect((await w.offsetCommit(groupId, [{ topic, partition: 0, offset: 9 }])).topics[0]!.partitions[0]!.errorCode).toBe(0);
      await deleteTopic(topic);
      await createTopic(topic, 1);
      await waitFor(
        async () => Number((await w.offsetFetch({ groupId, topics: [{ name: topic, partitionIndexes: [0] }] })).topics[0]!.partitions[0]!.committedOffset) === -1,
        { timeoutMs: 10_000, what: 'offsets of the deleted topic removed' },
      );
    });
  });
});
