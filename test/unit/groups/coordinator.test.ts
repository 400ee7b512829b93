// Unit: GroupCoordinator over a real LocalOffsetStore in a temp dir, with a controlled clock
// for retention and session expiry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator, type GroupCoordinatorConfig, type JoinGroupParams, type TopicLookup } from '../../../src/groups/coordinator.js';
import { LocalOffsetStore } from '../../../src/groups/local-offset-store.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';

const dirs: string[] = [];
const coordinators: GroupCoordinator[] = [];
afterAll(async () => {
  for (const c of coordinators) await c.close().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const MINUTE = 60_000;
const baseConfig: GroupCoordinatorConfig = {
  minSessionTimeoutMs: 100,
  maxSessionTimeoutMs: 60_000,
  initialRebalanceDelayMs: 0,
  maxGroupSize: 1000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 10 * MINUTE,
  offsetsRetentionCheckIntervalMs: 3_600_000,
};

function topics(names: Record<string, number>): TopicLookup {
  return {
    partitionCount: (t) => names[t],
    topicId: (t) => (names[t] === undefined ? undefined : `id-${t}`),
    topicIds: () => new Map(Object.keys(names).map((t) => [t, `id-${t}`])),
  };
}

async function setup(opts: { config?: Partial<GroupCoordinatorConfig>; dir?: string; topics?: Record<string, number> } = {}) {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-coord-'));
  if (!opts.dir) dirs.push(dir);
  const clock = { now: 1_000_000 };
  const c = new GroupCoordinator(new LocalOffsetStore(dir), { ...baseConfig, ...opts.config }, topics(opts.topics ?? { t: 4 }), pino({ level: 'silent' }), () => clock.now);
  await c.start();
  coordinators.push(c);
  return { c, clock, dir };
}

function joinParams(groupId: string, extra: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 1_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    reason: null,
    ...extra,
  };
}

async function stable(c: GroupCoordinator, groupId: string, extra: Partial<JoinGroupParams> = {}) {
  const j = await c.join(joinParams(groupId, extra));
  expect(j.errorCode).toBe(ErrorCode.NONE);
  const s = await c.sync({ groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: extra.groupInstanceId ?? null, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }] });
  expect(s.errorCode).toBe(ErrorCode.NONE);
  return j;
}

describe('GroupCoordinator', () => {
  it('expires offsets of a simple (offsets-only) group by commit time and then forgets the group', async () => {
    const { c, clock } = await setup();
    expect(await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null }] })).toEqual([0]);
    clock.now += 5 * MINUTE;
    await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 1, offset: 6n, leaderEpoch: -1, metadata: null }] });
    clock.now += 6 * MINUTE; // partition 0 is 11 minutes old, partition 1 six
    await c.cleanup();
    expect((await c.fetchOffsets('s', null)).offsets.map((o) => o.partition)).toEqual([1]);
    clock.now += 5 * MINUTE;
    await c.cleanup();
    expect((await c.fetchOffsets('s', null)).offsets).toEqual([]);
    expect(c.listGroups().groups.map((g) => g.groupId)).not.toContain('s');
    expect(await c.store.listGroups()).not.toContain('s');
  });

  it('keeps offsets of a group with members; counts retention from when the group became empty', async () => {
    const { c, clock } = await setup();
    const j = await stable(c, 'g');
    await c.commitOffsets({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }] });
    clock.now += 30 * MINUTE;
    expect(c.heartbeat('g', j.memberId, null, j.generationId)).toBe(ErrorCode.NONE);
    await c.cleanup();
    expect((await c.fetchOffsets('g', null)).offsets).toHaveLength(1);
    c.leave('g', [{ memberId: j.memberId, groupInstanceId: null }]);
    expect(c.peek('g')?.state).toBe('Empty');
    clock.now += 9 * MINUTE;
    await c.cleanup();
    expect((await c.fetchOffsets('g', null)).offsets).toHaveLength(1);
    clock.now += 2 * MINUTE;
    await c.cleanup();
    expect((await c.fetchOffsets('g', null)).offsets).toHaveLength(0);
    expect(c.peek('g')).toBeUndefined();
  });

  it('removes offsets of topics that no longer exist', async () => {
    const names: Record<string, number> = { t: 1, u: 1 };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-coord-'));
    dirs.push(dir);
    const { c } = await setup({ dir, topics: names });
    await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }, { topic: 'u', partition: 0, offset: 2n, leaderEpoch: -1, metadata: null }] });
    delete names.u;
    expect((await c.fetchOffsets('s', null)).offsets.map((o) => o.topic)).toEqual(['t']); // hidden at once
    await c.cleanup();
    expect((await c.store.fetchOffsets('s', null)).map((o) => o.topic)).toEqual(['t']); // and deleted
  });

  it('expires a member whose session ran out and rebalances the rest', async () => {
    const { c, clock } = await setup();
    const j = await stable(c, 'g');
    clock.now += 999;
    c.checkSessions();
    expect(c.peek('g')).toMatchObject({ state: 'Stable', members: 1 });
    clock.now += 2;
    c.checkSessions();
    expect(c.peek('g')).toMatchObject({ state: 'Empty', members: 0, generationId: j.generationId + 1 });
    expect(c.heartbeat('g', j.memberId, null, j.generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('MEMBER_ID_REQUIRED ids expire when the member never comes back', async () => {
    const { c, clock } = await setup();
    const first = await c.join(joinParams('g', { requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    clock.now += 1_001;
    c.checkSessions();
    expect((await c.join(joinParams('g', { memberId: first.memberId, requireKnownMemberId: true }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('waits group.initial.rebalance.delay.ms for more members before the first generation', async () => {
    const { c } = await setup({ config: { initialRebalanceDelayMs: 300 } });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let settled = 0;
    const joined = (p: ReturnType<typeof c.join>) => p.then((r) => (settled++, r));
    let both: Awaited<ReturnType<typeof c.join>>[];
    try {
      const a = joined(c.join(joinParams('g')));
      await vi.advanceTimersByTimeAsync(100);
      const b = joined(c.join(joinParams('g'))); // a second member inside the delay window
      await vi.advanceTimersByTimeAsync(199);
      expect(settled).toBe(0); // 299 ms: still waiting for more members
      await vi.advanceTimersByTimeAsync(1_000);
      both = await Promise.all([a, b]);
    } finally {
      vi.useRealTimers();
    }
    const [ja, jb] = both;
    expect(settled).toBe(2);
    expect(ja.generationId).toBe(1);
    expect(jb.generationId).toBe(1);
    expect([ja.members.length, jb.members.length].sort()).toEqual([0, 2]);
  });

  it('restores a Stable group (generation, members, assignments) from the store after a restart', async () => {
    const first = await setup();
    const j = await stable(first.c, 'g', { groupInstanceId: 'i' });
    await first.c.close();
    const second = await setup({ dir: first.dir });
    expect(second.c.peek('g')).toMatchObject({ state: 'Stable', generationId: j.generationId, members: 1, leaderId: j.memberId });
    expect(second.c.heartbeat('g', j.memberId, 'i', j.generationId)).toBe(ErrorCode.NONE);
    const s = await second.c.sync({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'i', protocolType: null, protocolName: null, assignments: [] });
    expect(s.assignment.toString()).toBe('A');
  });

  it('DeleteGroups refuses groups with members and deletes empty ones with their offsets', async () => {
    const { c } = await setup();
    const j = await stable(c, 'g');
    await c.commitOffsets({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }] });
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    c.leave('g', [{ memberId: j.memberId, groupInstanceId: null }]);
    expect(await c.deleteGroup('g')).toBe(ErrorCode.NONE);
    expect(await c.deleteGroup('g')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(await c.store.fetchOffsets('g', null)).toEqual([]);
  });

  it("answers NOT_COORDINATOR for another broker's groups (cluster mode), and serves its own", async () => {
    const { c } = await setup();
    c.ownsGroup = (groupId) => groupId === 'mine';
    expect((await c.join(joinParams('theirs'))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.heartbeat('theirs', 'm', null, 1)).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.sync({ groupId: 'theirs', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.leave('theirs', [{ memberId: 'm', groupInstanceId: null }]).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await c.commitOffsets({ groupId: 'theirs', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }] })).toEqual([ErrorCode.NOT_COORDINATOR]);
    expect((await c.fetchOffsets('theirs', null)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.deleteOffsets('theirs', [])).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.describeGroup('theirs').errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await c.deleteGroup('theirs')).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.join(joinParams('mine'))).errorCode).toBe(ErrorCode.NONE);
  });

  describe('when the group moves to another coordinator (cluster mode)', () => {
    it('forgets a group it no longer owns: waiting JoinGroup and SyncGroup are answered NOT_COORDINATOR, heartbeats too, its timers stop', async () => {
      const { c, clock } = await setup();
      let owner = 1;
      c.ownsGroup = () => owner === 1;
      const a = await stable(c, 'g');
      // A second member joins: the group prepares a rebalance; the first member's rejoin and the new join wait.
      const joinB = c.join(joinParams('g'));
      const rejoinA = c.join(joinParams('g', { memberId: a.memberId }));
      const [ja, jb] = await Promise.all([rejoinA, joinB]);
      expect(ja.errorCode).toBe(ErrorCode.NONE);
      expect(jb.errorCode).toBe(ErrorCode.NONE);
      const leader = ja.members.length > 0 ? ja : jb;
      const follower = leader === ja ? jb : ja;
      // The follower's SyncGroup waits for the leader's assignment.
      const waitingSync = c.sync({ groupId: 'g', generationId: follower.generationId, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
      let settled = false;
      void waitingSync.then(() => (settled = true));
      await Promise.resolve();
      expect(settled).toBe(false);
      owner = 2;
      c.onOwnershipChange();
      expect((await waitingSync).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      expect(c.peek('g')).toBeUndefined();
      expect(c.heartbeat('g', leader.memberId, null, leader.generationId)).toBe(ErrorCode.NOT_COORDINATOR);
      // No session expiry of the forgotten members: nothing is written for the group any more.
      const storedBefore = await c.store.loadGroup('g');
      clock.now += 60_000;
      c.checkSessions();
      expect(await c.store.loadGroup('g')).toEqual(storedBefore);
      expect(c.listGroups().groups).toEqual([]);
    });

    it('answers a JoinGroup waiting in the join phase with NOT_COORDINATOR', async () => {
      const { c } = await setup({ config: { initialRebalanceDelayMs: 60_000 } });
      let owned = true;
      c.ownsGroup = () => owned;
      const waiting = c.join(joinParams('g', { rebalanceTimeoutMs: 60_000 }));
      await vi.waitFor(() => expect(c.peek('g')?.state).toBe('PreparingRebalance'));
      owned = false;
      c.onOwnershipChange();
      expect((await waiting).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      expect(c.peek('g')).toBeUndefined();
    });

    it('keeps committed offsets; when the group comes back it starts clean, with a generation above every earlier one', async () => {
      const { c } = await setup();
      let owned = true;
      c.ownsGroup = () => owned;
      const first = await stable(c, 'g');
      // Two more rebalances on this coordinator (the leader rejoins); the last one never synced.
      const again = await c.join(joinParams('g', { memberId: first.memberId }));
      expect((await c.sync({ groupId: 'g', generationId: again.generationId, memberId: again.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: again.memberId, assignment: Buffer.from('A') }] })).errorCode).toBe(ErrorCode.NONE);
      expect(await c.commitOffsets({ groupId: 'g', generationId: again.generationId, memberId: again.memberId, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 42n, leaderEpoch: -1, metadata: null }] })).toEqual([0]);
      const third = await c.join(joinParams('g', { memberId: first.memberId }));
      expect(third.generationId).toBe(again.generationId + 1);
      // The generation handed out last (third, never synced, so not in the stored group) is the floor.
      await vi.waitFor(async () => expect(await c.store.generationFloor('g')).toBe(third.generationId));
      owned = false;
      c.onOwnershipChange();
      expect(c.peek('g')).toBeUndefined();
      owned = true; // back again: a clean group, the old member is unknown here
      expect((await c.join(joinParams('g', { memberId: third.memberId }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect(c.heartbeat('g', third.memberId, null, third.generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      const fresh = await stable(c, 'g');
      expect(fresh.generationId).toBe(third.generationId + 1);
      expect((await c.fetchOffsets('g', null)).offsets.map((o) => o.committed.offset)).toEqual([42n]);
    });

    it('a new coordinator over the same store starts a group above the generations the old one handed out', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-coord-'));
      dirs.push(dir);
      const old = await setup({ dir });
      const j1 = await stable(old.c, 'g');
      const j2 = await old.c.join(joinParams('g', { memberId: j1.memberId })); // handed out, never stored as Stable
      await vi.waitFor(async () => expect(await old.c.store.generationFloor('g')).toBe(j2.generationId));
      await old.c.close();
      // A restart: the stored Stable state (generation j1) is superseded by j2, so the group starts Empty above it.
      const next = await setup({ dir });
      expect(next.c.peek('g')).toMatchObject({ state: 'Empty', members: 0, generationId: j2.generationId });
      expect((await stable(next.c, 'g')).generationId).toBe(j2.generationId + 1);
    });

    it('state loaded before the cluster view said who coordinates a group is dropped before the group is served', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-coord-'));
      dirs.push(dir);
      const first = await setup({ dir });
      const j = await stable(first.c, 'g');
      await first.c.close();
      // Cluster start-up: the groups are loaded before this broker knows the live brokers.
      const store = new LocalOffsetStore(dir);
      let view: 'none' | 'mine' = 'none';
      const c = new GroupCoordinator(store, baseConfig, topics({ t: 4 }), pino({ level: 'silent' }));
      coordinators.push(c);
      c.ownsGroup = () => view === 'mine';
      await c.start();
      expect(c.peek('g')).toMatchObject({ state: 'Stable', generationId: j.generationId });
      view = 'mine';
      // Whether the membership event or the request comes first, the stale state is not served.
      expect(c.heartbeat('g', j.memberId, null, j.generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect(c.peek('g')).toBeUndefined();
      expect((await stable(c, 'g')).generationId).toBe(j.generationId + 1);
    });
  });
});
