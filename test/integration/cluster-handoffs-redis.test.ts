// Integration (real Redis at REDIS_URL or 127.0.0.1:6379, a unique key prefix per test): the
// handoff records of partitions moving between brokers. A handoff is published only by the
// broker the current leadership names as handing over (`from`), at exactly the current epoch;
// anything else writes nothing. The controller reads the epochs; every broker is notified;
// move requests and draining marks round-trip and notify too.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { controllerKey } from '../../src/cluster/cluster-keys.js';
import { HandoffStore, type HandoffRecord } from '../../src/cluster/handoff-store.js';
import { LeadershipStore } from '../../src/cluster/leadership-store.js';
import { MoveRequests } from '../../src/cluster/move-requests.js';
import { PartitionLoads } from '../../src/cluster/partition-loads.js';
import { partitionId } from '../../src/ipc/partition-id.js';
import { waitFor } from '../helpers/broker.js';
import { redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';

const logger = pino({ level: 'silent' });
const T = 'ef'.repeat(16);
const p = (n: number) => partitionId(T, n);
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(() => redis.disconnect());

const record = (epoch: number, from: number, endOffset: number): HandoffRecord => ({ epoch, from, endOffset, deleteRecordsOffset: 0, producers: Buffer.from('state').toString('base64'), fencedAtMs: Date.now() });

async function setup(): Promise<{ prefix: string; leadership: LeadershipStore; handoffs: HandoffStore }> {
  const prefix = uniqueRedisPrefix();
  await redis.set(controllerKey(prefix), JSON.stringify({ nodeId: 1, incarnation: 'ctl', epoch: 1 }), 'PX', 10_000);
  const leadership = new LeadershipStore({ redis, keyPrefix: prefix, logger, pollMs: 100 });
  await leadership.start();
  const handoffs = new HandoffStore({ redis, keyPrefix: prefix, logger });
  await handoffs.start();
  onTestFinished(() => {
    leadership.stop();
    handoffs.stop();
  });
  return { prefix, leadership, handoffs };
}

describe('HandoffStore against Redis', () => {
  it('publishes the handoff of the broker named in `from` at the current epoch, and notifies', async () => {
    const { leadership, handoffs } = await setup();
    await leadership.write('ctl', [{ id: p(0), from: 1, to: 2, epoch: 3, reason: 'balance' }]);
    expect(leadership.get(p(0))).toEqual({ leader: 2, epoch: 3, from: 1 });
    const notified: string[] = [];
    handoffs.onWritten((id) => notified.push(id));
    await handoffs.write(p(0), record(3, 1, 1234));
    expect(await handoffs.get(p(0))).toMatchObject({ epoch: 3, from: 1, endOffset: 1234 });
    expect(await handoffs.epochs()).toEqual(new Map([[p(0), 3]]));
    await waitFor(() => notified.includes(p(0)), { timeoutMs: 5_000, what: 'the handoff notification' });
  });

  it('refuses a handoff from another broker, at another epoch, or for a change that needs none — writing nothing', async () => {
    const { leadership, handoffs } = await setup();
    await leadership.write('ctl', [
      { id: p(0), from: 1, to: 2, epoch: 3, reason: 'drain' },
      { id: p(1), from: undefined, to: 2, epoch: 0, reason: 'new' },
    ]);
    expect(leadership.get(p(1))).toEqual({ leader: 2, epoch: 0 });
    await expect(handoffs.write(p(0), record(3, 3, 10))).rejects.toMatchObject({ code: 'STRATA_ERR_STALE_LEADER_EPOCH' });
    await expect(handoffs.write(p(0), record(2, 1, 10))).rejects.toMatchObject({ code: 'STRATA_ERR_STALE_LEADER_EPOCH' });
    await expect(handoffs.write(p(1), record(0, 1, 10))).rejects.toMatchObject({ code: 'STRATA_ERR_STALE_LEADER_EPOCH' });
    await expect(handoffs.write(p(9), record(0, 1, 10))).rejects.toMatchObject({ code: 'STRATA_ERR_STALE_LEADER_EPOCH' });
    expect(await handoffs.get(p(0))).toBeUndefined();
    expect(await handoffs.epochs()).toEqual(new Map());
    // Moved on again before the handoff: the old epoch's handoff is refused, the new one accepted.
    await leadership.write('ctl', [{ id: p(0), from: 2, to: 3, epoch: 4, reason: 'reassign' }]);
    await expect(handoffs.write(p(0), record(3, 1, 10))).rejects.toMatchObject({ code: 'STRATA_ERR_STALE_LEADER_EPOCH' });
    await handoffs.write(p(0), record(4, 2, 10));
    expect(await handoffs.epochs()).toEqual(new Map([[p(0), 4]]));
  });

  it('move requests and draining marks round-trip and wake every broker', async () => {
    const { prefix, handoffs } = await setup();
    const requests = new MoveRequests(redis, prefix);
    const notified: string[] = [];
    handoffs.onWritten((id) => notified.push(id));
    await requests.requestLeader(p(0), 3);
    await requests.setDraining(2, true);
    expect(await requests.requestedLeaders()).toEqual(new Map([[p(0), 3]]));
    expect(await requests.draining()).toEqual([2]);
    expect(await requests.cancel(p(0))).toBe(true);
    expect(await requests.cancel(p(0))).toBe(false);
    await requests.setDraining(2, false);
    expect(await requests.draining()).toEqual([]);
    await waitFor(() => notified.filter((n) => n === '*').length >= 4, { timeoutMs: 5_000, what: 'a notification per request change' });
  });

  it('partition loads reported by the brokers serving them reach the controller, the latest report winning', async () => {
    const { prefix } = await setup();
    const a = new PartitionLoads(redis, prefix);
    const b = new PartitionLoads(redis, prefix);
    await a.report([{ id: p(0), bytesPerSec: 1000.4 }, { id: p(1), bytesPerSec: 0 }]);
    await b.report([{ id: p(1), bytesPerSec: 52_000 }]);
    await b.report([]);
    expect(await a.loads()).toEqual(new Map([[p(0), 1000], [p(1), 52_000]]));
  });

  it('commits a write-ahead object only for partitions its writer still leads at the appended epoch, atomically with the leadership', async () => {
    const { leadership, handoffs } = await setup();
    await leadership.write('ctl', [
      { id: p(0), from: undefined, to: 2, epoch: 0, reason: 'new' },
      { id: p(1), from: undefined, to: 2, epoch: 0, reason: 'new' },
    ]);
    expect([...(await handoffs.commitWal('wal/2/a.wal', [{ p: p(0), e: 0, l: 9 }, { p: p(1), e: 0, l: 4 }, { p: p(0), e: 0, l: 12 }], 2))]).toEqual([]);
    // p(1) fails over to broker 3: broker 2 (a zombie now) cannot commit it any more.
    await leadership.write('ctl', [{ id: p(1), from: 2, to: 3, epoch: 1, reason: 'failover', source: { lost: 2 } }]);
    expect([...(await handoffs.commitWal('wal/2/b.wal', [{ p: p(0), e: 0, l: 20 }, { p: p(1), e: 0, l: 8 }], 2))]).toEqual([p(1)]);
    expect([...(await handoffs.commitWal('wal/2/c.wal', [{ p: p(1), e: 0, l: 9 }], 2))]).toEqual([p(1)]);
    const commits = await handoffs.walCommits(2);
    expect(commits).toEqual(new Map([['wal/2/a.wal', new Map([[p(0), 12], [p(1), 4]])], ['wal/2/b.wal', new Map([[p(0), 20]])]]));
    // Written back as they were (Redis lost them).
    await handoffs.forgetWalCommits(2, ['wal/2/a.wal', 'wal/2/b.wal']);
    await handoffs.restoreWalCommits(2, commits);
    expect(await handoffs.walCommits(2)).toEqual(commits);
    // p(0) moves gracefully from broker 2 to 3: until broker 2 publishes the handoff, its commits
    // of p(0) at the old epoch are accepted (its whole log goes with the handoff); after, refused.
    await leadership.write('ctl', [{ id: p(0), from: 2, to: 3, epoch: 1, reason: 'balance' }]);
    expect([...(await handoffs.commitWal('wal/2/d.wal', [{ p: p(0), e: 0, l: 21 }], 2))]).toEqual([]);
    expect([...(await handoffs.commitWal('wal/3/x.wal', [{ p: p(0), e: 0, l: 21 }], 3))]).toEqual([p(0)]);
    await handoffs.write(p(0), record(1, 2, 22));
    expect([...(await handoffs.commitWal('wal/2/e.wal', [{ p: p(0), e: 0, l: 22 }], 2))]).toEqual([p(0)]);
    await handoffs.forgetWalCommits(2, ['wal/2/d.wal']);
    // p(1) was rebuilt elsewhere from broker 2's objects: its commits go; a.wal still holds p(0).
    expect(await handoffs.releaseWalCommits(2, p(1))).toEqual([]);
    expect((await handoffs.walCommits(2)).get('wal/2/a.wal')).toEqual(new Map([[p(0), 12]]));
    await handoffs.forgetWalCommits(2, ['wal/2/a.wal']);
    expect([...(await handoffs.walCommits(2)).keys()]).toEqual(['wal/2/b.wal']);
    // p(0) rebuilt elsewhere too: b.wal now holds nothing committed — its key is answered to delete.
    expect(await handoffs.releaseWalCommits(2, p(0))).toEqual(['wal/2/b.wal']);
    expect((await handoffs.walCommits(2)).size).toBe(0);
  });
});
