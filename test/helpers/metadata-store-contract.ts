// Thread: vitest test worker. The behaviour every MetadataStore implementation must have; run
// against the local file store (test/unit/metadata/local-metadata-store.test.ts) and against
// Redis (test/integration/redis-metadata-store.test.ts). "Two instances" are two brokers over
// the same metadata: for Redis two stores on one key prefix; for the local file, a cluster of
// one broker, the same store (the file belongs to one broker: its .lock keeps a second away).
import { describe, expect, it } from 'vitest';
import type { MetadataChange, MetadataStore } from '../../src/metadata/metadata-store.js';

export interface MetadataStoreFactory {
  /** A fresh, empty, started store; `clusterId` is its cluster.id setting. */
  create(opts?: { clusterId?: string }): Promise<MetadataStore>;
  /** A started store over the same metadata as `store`, while `store` stays open (another broker). */
  peer(store: MetadataStore): Promise<MetadataStore>;
  /** A started store over the same durable metadata after `store` was closed (a restart). */
  reopen(store: MetadataStore, opts?: { clusterId?: string }): Promise<MetadataStore>;
}

/** Polls `condition` every 10 ms until it holds or `boundMs` passes; returns whether it held. */
async function within(boundMs: number, condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

export function metadataStoreContract(name: string, factory: MetadataStoreFactory): void {
  describe(`MetadataStore contract: ${name}`, () => {
    it('creates, reads, alters and deletes topics', async () => {
      const s = await factory.create();
      try {
        expect(s.clusterId).toMatch(/^.{1,64}$/);
        const before = Date.now();
        const a = await s.createTopic('a', 3, { 'retention.ms': '1000' });
        expect(a.created).toBe(true);
        expect(a.topic).toMatchObject({ partitions: 3, configs: { 'retention.ms': '1000' } });
        expect(a.topic.topicId).toMatch(/^[0-9a-f]{32}$/);
        expect(a.topic.createdAtMs).toBeGreaterThanOrEqual(before);
        await s.createTopic('b.c_d-e', 1, {});
        expect(s.topicNames()).toEqual(['a', 'b.c_d-e']);
        expect(s.topic('a')).toEqual(a.topic);
        expect(s.topic('nope')).toBeUndefined();
        expect(s.topic('constructor')).toBeUndefined();
        expect(s.topicNameById(a.topic.topicId)).toBe('a');

        const grown = await s.setPartitionCount('a', 5);
        expect(grown).toEqual({ ...a.topic, partitions: 5 });
        expect(s.topic('a')!.partitions).toBe(5);
        // Partition counts never shrink, nor stay: undefined says "not raised by this call".
        expect(await s.setPartitionCount('a', 4)).toBeUndefined();
        expect(await s.setPartitionCount('a', 5)).toBeUndefined();
        expect(s.topic('a')!.partitions).toBe(5);
        expect(await s.setPartitionCount('nope', 9)).toBeUndefined();

        const reconfigured = await s.setTopicConfigs('a', { 'cleanup.policy': 'delete', 'segment.bytes': '1048576' });
        expect(reconfigured).toEqual({ ...a.topic, partitions: 5, configs: { 'cleanup.policy': 'delete', 'segment.bytes': '1048576' } });
        expect(await s.setTopicConfigs('a', {})).toEqual({ ...a.topic, partitions: 5, configs: {} });
        expect(s.topic('a')).toEqual({ ...a.topic, partitions: 5, configs: {} });
        expect(await s.setTopicConfigs('nope', {})).toBeUndefined();

        // A delete naming another id (the name was re-created meanwhile) leaves the topic alone.
        expect(await s.deleteTopic('a', { topicId: 'ab'.repeat(16) })).toBeUndefined();
        expect(s.topic('a')).toBeDefined();
        expect(await s.deleteTopic('a', { topicId: a.topic.topicId })).toEqual({ ...a.topic, partitions: 5, configs: {} });
        expect(s.topic('a')).toBeUndefined();
        expect(s.topicNameById(a.topic.topicId)).toBeUndefined();
        expect(s.topicNames()).toEqual(['b.c_d-e']);
        expect(await s.deleteTopic('a')).toBeUndefined();
        expect(s.deletedTopicIds()).toEqual([]);
      } finally {
        await s.close();
      }
    });

    it('gives every topic its own id, kept through alterations; a taken name keeps its topic', async () => {
      const s = await factory.create();
      try {
        const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => s.createTopic(`t${i}`, 1 + (i % 3), {})));
        const ids = outcomes.map((o) => o.topic.topicId);
        expect(new Set(ids).size).toBe(40);
        for (const [i, o] of outcomes.entries()) expect(s.topicNameById(o.topic.topicId)).toBe(`t${i}`);
        await s.setPartitionCount('t0', 7);
        await s.setTopicConfigs('t0', { 'retention.ms': '5' });
        expect(s.topic('t0')!.topicId).toBe(ids[0]);
        const again = await s.createTopic('t0', 9, { 'retention.ms': '1' });
        expect(again.created).toBe(false);
        expect(again.topic).toEqual({ topicId: ids[0], partitions: 7, configs: { 'retention.ms': '5' }, createdAtMs: outcomes[0]!.topic.createdAtMs });
        // Deleted and created again: a new id.
        await s.deleteTopic('t1');
        const recreated = await s.createTopic('t1', 1, {});
        expect(recreated.created).toBe(true);
        expect(recreated.topic.topicId).not.toBe(ids[1]);
        expect(s.topicNameById(ids[1]!)).toBeUndefined();
      } finally {
        await s.close();
      }
    });

    it('tombstones deleted ids until forgotten; restores a topic with its own id only under a free name', async () => {
      const s = await factory.create();
      try {
        const a = (await s.createTopic('a', 2, { 'remote.storage.enable': 'true' })).topic;
        await s.createTopic('b', 1, {});
        await s.deleteTopic('a', { tombstone: true });
        await s.deleteTopic('b');
        expect(s.deletedTopicIds()).toEqual([a.topicId]);
        await s.forgetDeletedTopic(a.topicId);
        await s.forgetDeletedTopic(a.topicId);
        expect(s.deletedTopicIds()).toEqual([]);
        expect(await s.restoreTopic('a', a)).toBe(true);
        expect(s.topic('a')).toEqual(a);
        expect(s.topicNameById(a.topicId)).toBe('a');
        expect(await s.restoreTopic('a', { ...a, topicId: 'cd'.repeat(16) })).toBe(false);
        expect(s.topic('a')).toEqual(a);
      } finally {
        await s.close();
      }
    });

    it('keeps everything across a reopen: cluster id, topics, tombstones; producer ids are never handed out twice', async () => {
      const s = await factory.create();
      const a = (await s.createTopic('a', 2, { 'retention.ms': '7' })).topic;
      await s.setPartitionCount('a', 4);
      const gone = (await s.createTopic('gone', 1, {})).topic;
      await s.deleteTopic('gone', { tombstone: true });
      const pids = [];
      for (let i = 0; i < 5; i++) pids.push(await s.allocateProducerId());
      const clusterId = s.clusterId;
      await s.close();
      const r = await factory.reopen(s);
      try {
        expect(r.clusterId).toBe(clusterId);
        expect(r.topicNames()).toEqual(['a']);
        expect(r.topic('a')).toEqual({ ...a, partitions: 4 });
        expect(r.topicNameById(a.topicId)).toBe('a');
        expect(r.deletedTopicIds()).toEqual([gone.topicId]);
        const later = await r.allocateProducerId();
        expect(pids).not.toContain(later);
        expect(later).toBeGreaterThan(Math.max(...pids));
      } finally {
        await r.close();
      }
    });

    it('producer ids are unique across two instances, across block boundaries', async () => {
      const a = await factory.create();
      const b = await factory.peer(a);
      try {
        const all = await Promise.all(Array.from({ length: 2600 }, (_, i) => (i % 2 === 0 ? a : b).allocateProducerId()));
        expect(new Set(all).size).toBe(all.length);
        for (const id of all) expect(Number.isSafeInteger(id) && id >= 0).toBe(true);
      } finally {
        await b.close();
        await a.close();
      }
    });

    it('concurrent creations of one name through two instances yield one topic', async () => {
      const a = await factory.create();
      const b = await factory.peer(a);
      try {
        for (let round = 0; round < 5; round++) {
          const name = `race-${round}`;
          const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).createTopic(name, 1 + i, {})));
          expect(outcomes.filter((o) => o.created)).toHaveLength(1);
          const winner = outcomes.find((o) => o.created)!.topic;
          for (const o of outcomes) expect(o.topic).toEqual(winner);
          // The loser's snapshot holds the winner's topic by the time its call resolves.
          expect(a.topic(name)).toEqual(winner);
          expect(b.topic(name)).toEqual(winner);
        }
      } finally {
        await b.close();
        await a.close();
      }
    });

    it('tells listeners of every change, made through it or through another instance, within 1.5 s', async () => {
      const a = await factory.create();
      const b = await factory.peer(a);
      const seenByA: MetadataChange[] = [];
      const seenByB: MetadataChange[] = [];
      a.onChange((c) => seenByA.push(c));
      const unsubscribe = b.onChange((c) => seenByB.push(c));
      b.onChange(() => {
        throw new Error('a failing listener stops nothing');
      });
      try {
        const has = (list: MetadataChange[], c: MetadataChange) => list.some((x) => x.kind === c.kind && x.name === c.name);
        const t = (await a.createTopic('watched', 1, {})).topic;
        // Own writes: heard before the write resolves.
        expect(seenByA).toContainEqual({ kind: 'created', name: 'watched' });
        expect(await within(1500, () => has(seenByB, { kind: 'created', name: 'watched' }) && b.topic('watched')?.topicId === t.topicId)).toBe(true);
        await a.setTopicConfigs('watched', { 'retention.ms': '100' });
        expect(await within(1500, () => has(seenByB, { kind: 'altered', name: 'watched' }) && b.topic('watched')?.configs['retention.ms'] === '100')).toBe(true);
        await a.setPartitionCount('watched', 3);
        expect(await within(1500, () => b.topic('watched')?.partitions === 3)).toBe(true);
        await a.deleteTopic('watched', { tombstone: true });
        expect(await within(1500, () => has(seenByB, { kind: 'deleted', name: 'watched' }) && b.topic('watched') === undefined && b.topicNameById(t.topicId) === undefined)).toBe(true);
        expect(await within(1500, () => b.deletedTopicIds().includes(t.topicId))).toBe(true);
        // And the other way round.
        await b.createTopic('from-b', 2, {});
        expect(await within(1500, () => has(seenByA, { kind: 'created', name: 'from-b' }) && a.topic('from-b')?.partitions === 2)).toBe(true);
        unsubscribe();
        const count = seenByB.length;
        await b.deleteTopic('from-b');
        expect(await within(1500, () => has(seenByA, { kind: 'deleted', name: 'from-b' }))).toBe(true);
        expect(seenByB).toHaveLength(count);
        // Every change announced once per listener.
        expect(seenByA.filter((c) => c.kind === 'created' && c.name === 'watched')).toHaveLength(1);
        expect(seenByA.filter((c) => c.kind === 'deleted' && c.name === 'watched')).toHaveLength(1);
      } finally {
        await b.close();
        await a.close();
      }
    });

    it('refuses to start with a cluster.id other than the stored one; without a setting adopts the stored id', async () => {
      const s = await factory.create({ clusterId: 'cluster-one' });
      expect(s.clusterId).toBe('cluster-one');
      await s.createTopic('a', 1, {});
      await s.close();
      await expect(factory.reopen(s, { clusterId: 'cluster-two' })).rejects.toMatchObject({
        code: 'STRATA_ERR_CLUSTER_ID_MISMATCH',
        message: expect.stringMatching(/cluster\.id cluster-two does not match the id cluster-one/),
      });
      const r = await factory.reopen(s);
      try {
        expect(r.clusterId).toBe('cluster-one');
        expect(r.topicNames()).toEqual(['a']);
      } finally {
        await r.close();
      }
      const same = await factory.reopen(s, { clusterId: 'cluster-one' });
      await same.close();
    });
  });
}
