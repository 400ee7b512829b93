import { describe, expect, it } from 'vitest';
import { partitionId } from '../../../src/ipc/partition-id.js';
import type { PartitionState } from '../../../src/ipc/tasks.js';
import { PartitionStates } from '../../../src/partitions/partition-states.js';
import { TailCache } from '../../../src/partitions/tail-cache.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';

const a = partitionId('aa'.repeat(16), 0);
const b = partitionId('bb'.repeat(16), 0);

function state(key = a, highWatermark = 0, logStartOffset = 0): PartitionState {
  return { key, logStartOffset, highWatermark, lastStableOffset: highWatermark, sizeBytes: 0, segmentCount: 1 };
}

function batch(baseOffset: number, n: number): Buffer {
  return encodeRecordBatch({ baseOffset, records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${baseOffset + i}`) })) });
}

const fresh = () => new PartitionStates(new TailCache({ maxBytes: 1 << 20, maxBytesPerPartition: 1 << 20 }));

describe('PartitionStates', () => {
  it('moves the high watermark only forward and wakes long polls when it moves', async () => {
    const states = fresh();
    states.update(state(a, 5));
    const poll = states.waitForAppend([a], 60_000);
    let woke = false;
    void poll.promise.then(() => (woke = true));
    states.advance(a, 4, 0); // an older result arriving late
    await Promise.resolve();
    expect(woke).toBe(false);
    expect(states.get(a)?.highWatermark).toBe(5);
    states.advance(a, 7, 2);
    await poll.promise;
    expect(woke).toBe(true);
    expect(states.get(a)).toMatchObject({ highWatermark: 7, lastStableOffset: 7, logStartOffset: 2 });
    expect(states.waiterCount(a)).toBe(0);
  });

  it('a stale snapshot handled after a newer answer never moves offsets back', () => {
    const states = fresh();
    states.update({ ...state(a, 10, 0), deleteRecordsOffset: 0 });
    // DeleteRecords answered first (log start 7), then a tierState snapshot taken before it.
    states.update({ ...state(a, 12, 7), deleteRecordsOffset: 7, sizeBytes: 50 });
    states.update({ ...state(a, 11, 0), deleteRecordsOffset: 0, sizeBytes: 99 });
    expect(states.get(a)).toMatchObject({ highWatermark: 12, lastStableOffset: 12, logStartOffset: 7, deleteRecordsOffset: 7, sizeBytes: 99 });
  });

  it('a long poll on several partitions wakes on any of them and unregisters from all', async () => {
    const states = fresh();
    states.update(state(a));
    states.update(state(b));
    const poll = states.waitForAppend([a, b], 60_000);
    expect(states.waiterCount(a)).toBe(1);
    states.advance(b, 1, 0);
    await poll.promise;
    expect(states.waiterCount(a)).toBe(0);
    expect(states.waiterCount(b)).toBe(0);
  });

  it('a long poll resolves at its timeout, on cancel, on removal and on wakeAll', async () => {
    const states = fresh();
    states.update(state(a));
    await states.waitForAppend([a], 1).promise;
    const cancelled = states.waitForAppend([a], 60_000);
    cancelled.cancel();
    await cancelled.promise;
    const removed = states.waitForAppend([a], 60_000);
    states.remove(a);
    await removed.promise;
    expect(states.get(a)).toBeUndefined();
    states.update(state(b));
    const all = states.waitForAppend([b], 60_000);
    states.wakeAll();
    await all.promise;
  });

  it('serves a tailing read from the tail cache, only within [logStartOffset, highWatermark)', () => {
    const states = fresh();
    states.update(state(a, 0));
    states.appended(a, 0, batch(0, 3), 3, 0);
    const hit = states.readFromTail({ key: a, fetchOffset: 1, maxBytes: 1 << 20, minOneBatch: true });
    expect(hit?.highWatermark).toBe(3);
    expect(decodeRecordBatches(hit!.records!).flatMap((x) => x.records.map((r) => r.offset))).toEqual([0, 1, 2]);
    expect(states.readFromTail({ key: a, fetchOffset: 3, maxBytes: 1 << 20, minOneBatch: true })).toBeNull();
    expect(states.readFromTail({ key: b, fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true })).toBeNull();
  });

  it('drops the tail when an append wrote nothing new (duplicate batch), so no stale run is served', () => {
    const states = fresh();
    states.update(state(a, 0));
    states.appended(a, 0, batch(0, 2), 2, 0);
    states.appended(a, 0, null, 2, 0);
    expect(states.readFromTail({ key: a, fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true })).toBeNull();
    expect(states.tail.bytes).toBe(0);
  });

  it('a gated (durable) partition: the high watermark stops at what is committed, reads above it are trimmed, it follows commits', async () => {
    const states = fresh();
    states.update(state(a, 10));
    states.gate(a, 10);
    // Appended locally up to 15, nothing of it committed yet: invisible.
    states.appended(a, 10, batch(10, 5), 15, 0);
    expect(states.get(a)?.highWatermark).toBe(10);
    expect(states.readFromTail({ key: a, fetchOffset: 10, maxBytes: 1 << 20, minOneBatch: true })).toBeNull();
    // A worker snapshot (maintenance) does not lift it either.
    states.update(state(a, 15));
    expect(states.gatedHighWatermark(a)).toBe(10);
    // Another 3 appended, then the first 5 committed: 15 visible, reads stop there.
    states.appended(a, 15, batch(15, 3), 18, 0);
    const poll = states.waitForAppend([a], 60_000);
    states.durable(a, 15);
    await poll.promise;
    expect(states.get(a)?.highWatermark).toBe(15);
    const read = states.readFromTail({ key: a, fetchOffset: 10, maxBytes: 1 << 20, minOneBatch: true })!;
    expect(decodeRecordBatches(read.records!).map((x) => Number(x.baseOffset))).toEqual([10]);
    // Committed beyond the log end never lifts it past the log end; ungated, it is the log end again.
    states.durable(a, 40);
    expect(states.get(a)?.highWatermark).toBe(18);
    states.ungate(a);
    expect(states.gatedHighWatermark(a)).toBeUndefined();
    // Not gated: durable() is ignored and appends move the high watermark at once.
    states.durable(b, 5);
    states.update(state(b, 3));
    states.advance(b, 9, 0);
    expect(states.get(b)?.highWatermark).toBe(9);
  });
});
