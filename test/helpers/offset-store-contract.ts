// Thread: vitest test worker. The behaviour every OffsetStore implementation must have; run
// against the local file store (test/unit/groups/local-offset-store.test.ts) and against Redis
// (test/integration/redis-offset-store.test.ts).
import { describe, expect, it } from 'vitest';
import type { CommittedOffset, OffsetStore, StoredGroup } from '../../src/groups/offset-store.js';

export interface StoreFactory {
  /** A fresh, empty, opened store. */
  create(): Promise<OffsetStore>;
  /** A second instance over the same durable data (after `store` is closed): a restart. */
  reopen(store: OffsetStore): Promise<OffsetStore>;
}

function committed(offset: number, extra: Partial<CommittedOffset> = {}): CommittedOffset {
  return { offset: BigInt(offset), leaderEpoch: -1, metadata: '', commitTimestampMs: 1_700_000_000_000, ...extra };
}

const sampleGroup: StoredGroup = {
  protocolType: 'consumer',
  protocolName: 'range',
  generationId: 7,
  leaderId: 'm-1',
  stateTimestampMs: 1_700_000_000_123,
  members: [
    {
      memberId: 'm-1',
      groupInstanceId: 'static-1',
      clientId: 'client',
      clientHost: '/127.0.0.1',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]).toString('base64') }],
      assignment: Buffer.from([3, 4]).toString('base64'),
    },
  ],
};

export function offsetStoreContract(name: string, factory: StoreFactory): void {
  describe(`OffsetStore contract: ${name}`, () => {
    it('commits and fetches offsets with epoch, metadata and commit time', async () => {
      const s = await factory.create();
      expect(s.available()).toBe(true);
      await s.commitOffsets('g1', [
        { topic: 'a', partition: 0, committed: committed(5, { leaderEpoch: 3, metadata: 'hello', commitTimestampMs: 42 }) },
        { topic: 'a', partition: 1, committed: committed(9) },
        { topic: 'b.c_d-e', partition: 12, committed: committed(2 ** 60) },
      ]);
      const some = await s.fetchOffsets('g1', [
        { topic: 'a', partition: 0 },
        { topic: 'a', partition: 7 },
      ]);
      expect(some).toEqual([{ topic: 'a', partition: 0, committed: { offset: 5n, leaderEpoch: 3, metadata: 'hello', commitTimestampMs: 42 } }]);
      const all = await s.fetchOffsets('g1', null);
      expect(all.map((p) => `${p.topic}/${p.partition}=${p.committed.offset}`).sort()).toEqual(['a/0=5', 'a/1=9', `b.c_d-e/12=${2n ** 60n}`]);
      expect(await s.fetchOffsets('nobody', null)).toEqual([]);
      expect(await s.fetchOffsets('nobody', [{ topic: 'a', partition: 0 }])).toEqual([]);
      await s.close();
    });

    it('a later commit replaces the earlier one per partition; groups are independent', async () => {
      const s = await factory.create();
      await s.commitOffsets('g1', [{ topic: 't', partition: 0, committed: committed(1) }]);
      await s.commitOffsets('g2', [{ topic: 't', partition: 0, committed: committed(100) }]);
      await s.commitOffsets('g1', [{ topic: 't', partition: 0, committed: committed(2, { metadata: 'x' }) }]);
      expect((await s.fetchOffsets('g1', null))[0]!.committed).toMatchObject({ offset: 2n, metadata: 'x' });
      expect((await s.fetchOffsets('g2', null))[0]!.committed.offset).toBe(100n);
      expect((await s.listGroups()).sort()).toEqual(['g1', 'g2']);
      await s.close();
    });

    it('concurrent commit requests all land', async () => {
      const s = await factory.create();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => s.commitOffsets('g', [{ topic: 't', partition: i, committed: committed(i * 10) }])),
      );
      const all = await s.fetchOffsets('g', null);
      expect(all).toHaveLength(50);
      for (const p of all) expect(p.committed.offset).toBe(BigInt(p.partition * 10));
      await s.close();
    });

    it('deletes offsets and reports how many existed; a group with nothing left is not listed', async () => {
      const s = await factory.create();
      await s.commitOffsets('g', [
        { topic: 't', partition: 0, committed: committed(1) },
        { topic: 't', partition: 1, committed: committed(2) },
      ]);
      expect(await s.deleteOffsets('g', [{ topic: 't', partition: 0 }, { topic: 'zz', partition: 3 }])).toBe(1);
      expect((await s.fetchOffsets('g', null)).map((p) => p.partition)).toEqual([1]);
      expect(await s.listGroups()).toEqual(['g']);
      expect(await s.deleteOffsets('g', [{ topic: 't', partition: 1 }])).toBe(1);
      expect(await s.listGroups()).toEqual([]);
      expect(await s.deleteOffsets('missing', [{ topic: 't', partition: 1 }])).toBe(0);
      await s.close();
    });

    it('saves, loads and deletes group metadata; deleteGroup removes offsets too', async () => {
      const s = await factory.create();
      expect(await s.loadGroup('g')).toBeNull();
      await s.saveGroup('g', sampleGroup);
      expect(await s.loadGroup('g')).toEqual(sampleGroup);
      expect(await s.listGroups()).toEqual(['g']);
      await s.saveGroup('g', { ...sampleGroup, generationId: 8, members: [] });
      expect((await s.loadGroup('g'))!.generationId).toBe(8);
      await s.commitOffsets('g', [{ topic: 't', partition: 0, committed: committed(1) }]);
      // Offsets outlive metadata deletion only through deleteGroup, which removes both.
      expect(await s.deleteOffsets('g', [{ topic: 't', partition: 0 }])).toBe(1);
      expect(await s.listGroups()).toEqual(['g']); // metadata still there
      await s.commitOffsets('g', [{ topic: 't', partition: 0, committed: committed(1) }]);
      await s.deleteGroup('g');
      expect(await s.loadGroup('g')).toBeNull();
      expect(await s.fetchOffsets('g', null)).toEqual([]);
      expect(await s.listGroups()).toEqual([]);
      await s.close();
    });

    it('records a generation floor that only grows, at least the stored group metadata\'s; deleteGroup resets it; kept across a reopen', async () => {
      const s = await factory.create();
      expect(await s.generationFloor('g')).toBe(0);
      await s.recordGeneration('g', 3);
      await Promise.all([s.recordGeneration('g', 5), s.recordGeneration('g', 4)]);
      expect(await s.generationFloor('g')).toBe(5);
      await s.recordGeneration('g', 2); // never lowered
      expect(await s.generationFloor('g')).toBe(5);
      await s.saveGroup('g', sampleGroup); // generation 7 in the metadata
      expect(await s.generationFloor('g')).toBe(7);
      await s.recordGeneration('h', 9);
      await s.close();
      const r = await factory.reopen(s);
      expect(await r.generationFloor('g')).toBe(7);
      expect(await r.generationFloor('h')).toBe(9);
      await r.deleteGroup('h');
      expect(await r.generationFloor('h')).toBe(0);
      await r.close();
    });

    it('keeps everything across a close and reopen', async () => {
      const s = await factory.create();
      await s.commitOffsets('g', [
        { topic: 't', partition: 0, committed: committed(11, { leaderEpoch: 2, metadata: 'meta', commitTimestampMs: 5 }) },
        { topic: 't', partition: 1, committed: committed(12) },
      ]);
      await s.commitOffsets('g', [{ topic: 't', partition: 1, committed: committed(13) }]);
      await s.deleteOffsets('g', [{ topic: 't', partition: 0 }]);
      await s.saveGroup('g', sampleGroup);
      await s.commitOffsets('h', [{ topic: 'u', partition: 3, committed: committed(1) }]);
      await s.deleteGroup('h');
      await s.close();
      const r = await factory.reopen(s);
      expect(await r.fetchOffsets('g', null)).toEqual([{ topic: 't', partition: 1, committed: committed(13) }]);
      expect(await r.loadGroup('g')).toEqual(sampleGroup);
      expect(await r.listGroups()).toEqual(['g']);
      await r.close();
    });
  });
}
