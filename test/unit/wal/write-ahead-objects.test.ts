// Unit: write-ahead objects over an in-memory object store. The format round-trips; the writer
// acknowledges in order, only after the PUT, retries a failing PUT rather than skipping it,
// answers `fenced` for partitions no longer led and `timeout` when the bucket stays down, and
// deletes objects once offloaded; the rebuild stitches one partition's batches from an offset,
// contiguous, stopping at the first gap and ignoring later epochs.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { partitionId, type PartitionId } from '../../../src/ipc/partition-id.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { TierError, TierErrorCode, type ObjectStore } from '../../../src/tier/object-store.js';
import { batchOffsets, decodeWalObject, encodeWalObject } from '../../../src/wal/wal-format.js';
import { WalRebuild } from '../../../src/wal/wal-rebuild.js';
import { WalWriter, type WalPart } from '../../../src/wal/wal-writer.js';

const logger = pino({ level: 'silent' });
const T = 'ab'.repeat(16);
const p = (n: number) => partitionId(T, n);

/** A batch of `count` records whose offsets are already assigned from `base`. */
function batch(base: number, count: number): Buffer {
  const b = encodeRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${base + i}`) })) });
  b.writeBigInt64BE(BigInt(base), 0);
  return b;
}

class MemoryStore {
  readonly objects = new Map<string, Buffer>();
  down = false;
  puts = 0;
  private gates: Array<() => void> = [];
  hold = false;
  async put(key: string, body: Buffer, opts: { ifNoneMatch?: boolean } = {}): Promise<string> {
    this.puts++;
    if (this.hold) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.down) throw new TierError(TierErrorCode.UNAVAILABLE, 'down');
    if (opts.ifNoneMatch && this.objects.has(key)) throw new TierError(TierErrorCode.CONFLICT, 'exists');
    this.objects.set(key, Buffer.from(body));
    return 'etag';
  }
  release(): void {
    this.hold = false;
    for (const g of this.gates.splice(0)) g();
  }
  async get(key: string): Promise<Buffer> {
    const o = this.objects.get(key);
    if (o === undefined) throw new TierError(TierErrorCode.NOT_FOUND, key);
    return o;
  }
  async list(prefix: string): Promise<Array<{ key: string; size: number }>> {
    return [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([key, v]) => ({ key, size: v.length }));
  }
  async deleteMany(keys: string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

function writer(store: MemoryStore, over: Partial<ConstructorParameters<typeof WalWriter>[0]> = {}): WalWriter {
  return new WalWriter({
    store: store as unknown as ObjectStore,
    prefix: 'x/',
    nodeId: 7,
    flushMs: 1,
    flushBytes: 1 << 20,
    ackTimeoutMs: 5_000,
    maxPendingBytes: 1 << 20,
    commit: async () => new Set<PartitionId>(),
    offloadedEnd: () => undefined,
    logger,
    ...over,
  });
}

const part = (id: PartitionId, base: number, count: number, e = 1): WalPart => {
  const records = batch(base, count);
  return { p: id, e, b: base, l: base + count - 1, records };
};

describe('write-ahead object format', () => {
  it('round-trips entries and their batches; batchOffsets reads first and last offsets', () => {
    const a = Buffer.concat([batch(10, 3), batch(13, 2)]);
    expect(batchOffsets(a)).toEqual({ b: 10, l: 14 });
    const obj = encodeWalObject({ broker: 3, incarnation: 'i', seq: 4, createdAtMs: 1 }, [{ p: p(0), e: 2, b: 10, l: 14, records: a }, { p: p(1), e: 5, b: 0, l: 0, records: batch(0, 1) }]);
    const d = decodeWalObject(obj);
    expect(d.header).toMatchObject({ v: 1, broker: 3, seq: 4 });
    expect(d.header.entries.map((e) => [e.p, e.e, e.b, e.l])).toEqual([[p(0), 2, 10, 14], [p(1), 5, 0, 0]]);
    expect(d.records(d.header.entries[0]!).equals(a)).toBe(true);
    expect(() => decodeWalObject(Buffer.from('nonsense!!!!!!'))).toThrow(/not a Strata write-ahead object/);
    expect(() => decodeWalObject(obj.subarray(0, obj.length - 3))).toThrow(/cut short/);
  });
});

describe('WalWriter', () => {
  it('acknowledges only after the PUT, and in order even when a later PUT finishes first', async () => {
    const store = new MemoryStore();
    const w = writer(store);
    store.hold = true;
    const first = w.append([part(p(0), 0, 2)]);
    w.flush();
    let firstDone = false;
    void first.then(() => (firstDone = true));
    store.hold = false; // the second PUT goes through at once
    const second = w.append([part(p(0), 2, 2)]);
    w.flush();
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([firstDone, secondDone]).toEqual([false, false]); // the second waits for the first
    store.release();
    expect(await first).toEqual(['durable']);
    expect(await second).toEqual(['durable']);
    expect(store.objects.size).toBe(2);
  });

  it('retries a failing PUT instead of skipping it; a waiter past its timeout gets `timeout`, later ones `durable`', async () => {
    const store = new MemoryStore();
    const w = writer(store, { ackTimeoutMs: 100 });
    store.down = true;
    const early = w.append([part(p(0), 0, 1)]);
    expect(await early).toEqual(['timeout']);
    expect(store.puts).toBeGreaterThan(1);
    store.down = false;
    expect(await w.append([part(p(0), 1, 1)])).toEqual(['durable']);
    // The object holding the timed-out batch was stored too, before the later one: no gap.
    const keys = [...store.objects.keys()].sort();
    expect(keys.map((k) => decodeWalObject(store.objects.get(k)!).header.entries[0]!.b)).toEqual([0, 1]);
  });

  it('answers `fenced` for partitions no longer led at the appended epoch, `durable` for the others', async () => {
    const store = new MemoryStore();
    const w = writer(store, { commit: async (_key, parts) => new Set(parts.filter((x) => x.p === p(1)).map((x) => x.p)) });
    expect(await w.append([part(p(0), 0, 1), part(p(1), 0, 1)])).toEqual(['durable', 'fenced']);
    // Only the partition still led is recorded as committed for the object.
    expect([...w.commits().values()]).toEqual([new Map([[p(0), 0]])]);
  });

  it('adopts its committed objects from before a restart (deleted once offloaded) and deletes the uncommitted ones', async () => {
    const store = new MemoryStore();
    await store.put('x/wal/7/old-committed.wal', Buffer.from('a'));
    await store.put('x/wal/7/old-zombie.wal', Buffer.from('b'));
    let offloaded = 0;
    let known = 0;
    const refreshed: PartitionId[][] = [];
    // What this broker knows of the offloaded end is refreshed for the partitions blocking deletion.
    const w = writer(store, { offloadedEnd: () => known, refreshOffloaded: async (ids) => { refreshed.push([...ids]); known = offloaded; } });
    expect(await w.adopt(new Map([['x/wal/7/old-committed.wal', new Map([[p(0), 41]])]]), ['x/wal/7/old-committed.wal', 'x/wal/7/old-zombie.wal'])).toEqual({ adopted: 1, deleted: 1 });
    expect([...store.objects.keys()]).toEqual(['x/wal/7/old-committed.wal']);
    expect(await w.gc()).toBe(0);
    expect(refreshed).toEqual([[p(0)]]);
    offloaded = 42;
    expect(await w.gc()).toBe(0); // refreshed at most every 30 s
    (w as unknown as { lastRefreshMs: number }).lastRefreshMs = 0;
    expect(await w.gc()).toBe(1);
    expect(store.objects.size).toBe(0);
  });

  it('is overloaded while too many bytes wait, and deletes objects once every partition in them is offloaded', async () => {
    const store = new MemoryStore();
    let offloaded = 0;
    const w = writer(store, { maxPendingBytes: 1, offloadedEnd: () => offloaded });
    store.hold = true;
    const pending = w.append([part(p(0), 0, 3)]);
    expect(w.overloaded).toBe(true);
    store.release();
    await pending;
    expect(w.overloaded).toBe(false);
    expect(await w.gc()).toBe(0);
    offloaded = 3;
    expect(await w.gc()).toBe(1);
    expect(store.objects.size).toBe(0);
  });
});

describe('WalWriter chains (a partition’s committed batches never skip one)', () => {
  it('retries a commit Redis could not answer, holding back the objects after it', async () => {
    const store = new MemoryStore();
    let failures = 2;
    const commits: string[] = [];
    const w = writer(store, {
      commit: async (key) => {
        if (failures-- > 0) throw new Error('redis down');
        commits.push(key);
        return new Set<PartitionId>();
      },
    });
    const first = w.append([part(p(0), 0, 1)]);
    w.flush();
    const second = w.append([part(p(0), 1, 1)]);
    expect(await first).toEqual(['durable']);
    expect(await second).toEqual(['durable']);
    expect(commits).toHaveLength(2);
    expect(commits[0]! < commits[1]!).toBe(true); // in order: the first object's commit was retried, not dropped
    expect(w.stats.commitRetries).toBe(2);
  });

  it('a refused part is a hole: later committed parts wait, the hole is stored again once a commit shows the partition still led, and the durable end never jumps it', async () => {
    const store = new MemoryStore();
    let refuse = true; // Redis lost its data: the leadership is unknown until re-seeded
    const ends: number[] = [];
    const w = writer(store, {
      commit: async (_key, parts) => (refuse ? new Set(parts.map((x) => x.p)) : new Set<PartitionId>()),
      onDurable: (_p, end) => ends.push(end),
    });
    expect(await w.append([part(p(0), 0, 2)])).toEqual(['fenced']);
    refuse = false; // re-seeded at the same epoch
    const later = await w.append([part(p(0), 2, 2)]);
    // Acknowledged only because the hole (offsets 0-1) was stored again and committed first.
    expect(later).toEqual(['durable']);
    expect(w.stats.restored).toBe(1);
    expect(ends).toEqual([4]);
    // A rebuild from the committed objects has every offset, 0 to 3, with no gap.
    const commits = new Map([...store.objects.keys()].map((k) => [k, new Map([[p(0), 99]])]));
    const rebuilt = await new WalRebuild(store as unknown as ObjectStore, logger, async () => commits).recover(7, p(0), 0, 1);
    expect(rebuilt.endOffset).toBe(4);
  });

  it('a retried batch whose original commit was refused is acknowledged only after its original is stored again and committed', async () => {
    const store = new MemoryStore();
    let refuse = true;
    const w = writer(store, { ackTimeoutMs: 2_000, commit: async (_key, parts) => (refuse ? new Set(parts.map((x) => x.p)) : new Set<PartitionId>()) });
    expect(await w.append([part(p(0), 0, 3)])).toEqual(['fenced']);
    const putsBefore = store.puts;
    // Still refused: the retry is not acknowledged (the batch is only in the local log).
    expect(await Promise.race([w.durableThrough(p(0), 1, 2), new Promise((resolve) => setTimeout(resolve, 150, 'still waiting'))])).toBe('still waiting');
    refuse = false;
    expect(await w.durableThrough(p(0), 1, 2)).toBe('durable');
    expect(store.puts).toBeGreaterThan(putsBefore);
  });

  it('batches reaching the writer out of offset order are acknowledged only once the ones before them are committed', async () => {
    const store = new MemoryStore();
    const w = writer(store, { durableStart: () => 10 });
    let bDone = false;
    const b = w.append([part(p(0), 12, 2)]); // a later request's batch reaches the writer first
    void b.then(() => (bDone = true));
    w.flush();
    store.hold = true; // the earlier batch's object is slow to store
    const a = w.append([part(p(0), 10, 2)]);
    w.flush();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(bDone).toBe(false); // stored and committed, but offsets 10-11 are not yet
    store.release();
    expect(await b).toEqual(['durable']);
    expect(await a).toEqual(['durable']);
  });
});

describe('WalRebuild', () => {
  it('stitches a partition from an offset, contiguous across committed objects, up to the first gap and the dead leader’s epoch', async () => {
    const store = new MemoryStore();
    let fencedNow = false;
    const w = writer(store, { commit: async (_key, parts) => new Set(fencedNow ? parts.map((x) => x.p) : []) });
    const straddling: WalPart = { p: p(0), e: 1, b: 0, l: 4, records: Buffer.concat([batch(0, 3), batch(3, 2)]) };
    await w.append([straddling, part(p(1), 0, 1)]);
    await w.append([part(p(0), 5, 5)]);
    await w.append([part(p(0), 10, 2, 9)]); // a later epoch: not the dead leader's
    await w.append([part(p(0), 20, 2)]); // after a gap
    // Commits are per broker: broker 7 is this writer, broker 8 committed nothing.
    const rebuild = new WalRebuild(store as unknown as ObjectStore, logger, async (broker) => (broker === 7 ? w.commits() : new Map()));
    // From 3: the first entry straddles it (a segment rolled between its two batches).
    const r = await rebuild.recover(7, p(0), 3, 1);
    expect(r.endOffset).toBe(10);
    expect(r.chunks.map((c) => batchOffsets(c))).toEqual([{ b: 3, l: 4 }, { b: 5, l: 9 }]);
    expect((await rebuild.recover(7, p(0), 0, 1)).chunks.map((c) => batchOffsets(c))).toEqual([{ b: 0, l: 4 }, { b: 5, l: 9 }]);
    // From 2: no batch starts there — nothing can be stitched.
    expect((await rebuild.recover(7, p(0), 2, 1)).endOffset).toBe(2);
    expect((await rebuild.recover(7, p(0), 10, 1)).chunks).toEqual([]);
    expect((await rebuild.recover(8, p(0), 0, 1)).endOffset).toBe(0);
    // Objects committed later are found (the commits, not a listing, say what to read).
    await w.append([part(p(0), 12, 8)]);
    expect((await rebuild.recover(7, p(0), 10, 1)).endOffset).toBe(10); // 10..11 is epoch 9
    const fresh = await rebuild.recover(7, p(0), 12, 1);
    expect(fresh.endOffset).toBe(22);
    // Only objects holding the partition at or after the offset are read.
    expect(fresh.objects).toBe(2);
    // A zombie's object (stored, but its commit found the partition moved) is never used.
    fencedNow = true;
    expect(await w.append([part(p(0), 22, 3)])).toEqual(['fenced']);
    expect((await rebuild.recover(7, p(0), 12, 1)).endOffset).toBe(22);
  });
});
