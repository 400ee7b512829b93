// Integration: the console of one broker of a 3-broker cluster (cluster.enable, metadata and
// leadership in Redis) shows the whole cluster: every live broker and the controller, the
// offsets of partitions led by the other brokers (asked of their consoles), messages of a
// partition another broker leads, and a group another broker coordinates (its lag from a third
// broker's end offset) — with the numbers a
// Kafka client (kcat, the strata CLI) sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { clusterArgs, findCoordinator, leaders } from '../helpers/cluster.js';
import { consoleApi } from '../helpers/console.js';
import { GROUP_TEST_FLAGS, uniqueRedisPrefix } from '../helpers/groups.js';
import { kcatProduce } from '../helpers/kcat.js';
import { httpPortOf } from '../helpers/metrics.js';
import { strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

const prefix = uniqueRedisPrefix();
const brokers: BrokerHandle[] = [];

beforeAll(async () => {
  for (const id of [1, 2, 3]) brokers.push(await startBroker({ args: [...clusterArgs(prefix, id), ...GROUP_TEST_FLAGS] }));
  // Every broker sees the other two.
  await waitFor(async () => (await leaders(brokers[0]!, '')).brokerIds.length === 3 || undefined, { timeoutMs: 15_000, what: '3 live brokers' });
}, 90_000);

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
});

describe('console in a cluster', () => {
  it('shows every broker, partitions of other leaders, their messages and groups they coordinate', async () => {
    const port = httpPortOf(brokers[0]!);
    const topic = uniqueTopic();
    expect((await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 6 } })).status).toBe(201);
    const led = await waitFor(
      async () => {
        const l = (await leaders(brokers[0]!, topic)).leaders;
        return l.length === 6 && l.every((x) => x > 0) && new Set(l).size === 3 ? l : undefined;
      },
      { timeoutMs: 20_000, what: 'the 6 partitions led by all 3 brokers' },
    );

    const cluster = await consoleApi(port, '/cluster');
    expect(cluster.body.mode).toBe('cluster');
    expect(cluster.body.brokers.map((b: { nodeId: number }) => b.nodeId)).toEqual([1, 2, 3]);
    expect(cluster.body.brokers.filter((b: { controller: boolean }) => b.controller)).toHaveLength(1);
    for (const id of [1, 2, 3]) {
      expect(cluster.body.brokers.find((b: { nodeId: number }) => b.nodeId === id).partitionsLed).toBeGreaterThanOrEqual(led.filter((l) => l === id).length);
    }

    // i + 1 records in partition i, produced by kcat through the leaders.
    for (let p = 0; p < 6; p++) {
      await kcatProduce(brokers[0]!.bootstrap, topic, Array.from({ length: p + 1 }, (_, i) => `p${p}-v${i}`).join('\n') + '\n', { partition: p });
    }
    const detail = await consoleApi(port, `/topics/${topic}`);
    expect(detail.status).toBe(200);
    expect(detail.body.partitions.map((p: { leader: number }) => p.leader)).toEqual(led);
    expect(detail.body.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const p of detail.body.partitions) expect(p.localBytes, `partition ${p.partition}`).toBeGreaterThan(0);

    // A partition led by another broker, read through broker 1's console.
    const elsewhere = led.findIndex((l) => l !== 1);
    const msgs = await consoleApi(port, `/topics/${topic}/messages?partition=${elsewhere}&offset=0`);
    expect(msgs.status).toBe(200);
    expect(msgs.body.messages.map((m: { value: { text: string } }) => m.value.text)).toEqual(Array.from({ length: elsewhere + 1 }, (_, i) => `p${elsewhere}-v${i}`));

    // A group coordinated by another broker than broker 1 and than partition 5's leader: its lag
    // through broker 1's console needs the coordinator (offsets) and the leader (end offset).
    let group = '';
    for (let i = 0; i < 100 && group === ''; i++) {
      const g = `g-${topic}-${i}`;
      const coordinator = await findCoordinator(brokers[0]!, g);
      if (coordinator > 1 && coordinator !== led[5]) group = g;
    }
    expect(group).not.toBe('');
    await strataOk(['consume', topic, '--group', group, '--from-beginning', '--partition', '5', '--max-messages', '2', '--bootstrap-server', brokers[0]!.bootstrap]);
    const g = await consoleApi(port, `/groups/${group}`);
    expect(g.status).toBe(200);
    expect(g.body.partitions).toEqual([{ topic, partition: 5, committedOffset: 2, endOffset: 6, lag: 4 }]);
    expect(g.body.lagHistory.at(-1)).toMatchObject({ lag: 4 });
    const list = await consoleApi(port, '/groups');
    expect(list.body.unreachable).toEqual([]);
    expect(list.body.groups.map((x: { groupId: string }) => x.groupId)).toContain(group);
  }, 120_000);
});
