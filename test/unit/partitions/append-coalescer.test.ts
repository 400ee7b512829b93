import { describe, expect, it } from 'vitest';
import { partitionId } from '../../../src/ipc/partition-id.js';
import type { AppendItemResult } from '../../../src/ipc/tasks.js';
import type { AppendRequestItem } from '../../../src/partitions/append-buffers.js';
import { AppendCoalescer, LONE_SUBMISSION_BYTES, MAX_BATCH_BYTES } from '../../../src/partitions/append-coalescer.js';

const p = (n: number) => partitionId('ab'.repeat(16), n);
const item = (n: number, v: string): AppendRequestItem => ({ key: p(n), records: Buffer.from(v) });
const result = (i: AppendRequestItem, baseOffset: number): AppendItemResult => ({
  key: i.key,
  errorCode: 0,
  errorMessage: null,
  baseOffset,
  logAppendTimeMs: -1,
  logStartOffset: 0,
  highWatermark: baseOffset + 1,
  recordErrors: [],
});

/** A scheduler the test runs by hand: "the end of the turn" is when the test says so. */
function manual(): { schedule: (run: () => void) => void; endTurn: () => void; pending: () => number } {
  const queue: Array<() => void> = [];
  return { schedule: (run) => void queue.push(run), endTurn: () => queue.splice(0).forEach((run) => run()), pending: () => queue.length };
}

describe('AppendCoalescer', () => {
  it('sends the appends of one turn as one task, in submission order, and splits the results back', async () => {
    const turn = manual();
    const tasks: Array<{ acks: number; values: string[]; owned: ArrayBuffer | undefined }> = [];
    const c = new AppendCoalescer(async (acks, items, owned) => {
      tasks.push({ acks, values: items.map((i) => i.records.toString()), owned });
      return items.map((i, n) => result(i, n));
    }, turn.schedule);
    const frame = new ArrayBuffer(8);
    const a = c.submit(1, [item(0, 'a')], frame);
    const b = c.submit(1, [item(1, 'b'), item(0, 'c')], undefined);
    const d = c.submit(1, [item(0, 'd')], undefined);
    expect(tasks).toHaveLength(0);
    expect(turn.pending()).toBe(1);
    turn.endTurn();
    expect(tasks).toEqual([{ acks: 1, values: ['a', 'b', 'c', 'd'], owned: undefined }]);
    expect((await a).map((r) => r.baseOffset)).toEqual([0]);
    expect((await b).map((r) => [r.key, r.baseOffset])).toEqual([[p(1), 1], [p(0), 2]]);
    expect((await d).map((r) => r.baseOffset)).toEqual([3]);
    expect(c.stats).toEqual({ tasks: 1, submissions: 3 });
  });

  it('a lone submission keeps its frame buffer, so it can be transferred without a copy', async () => {
    const turn = manual();
    let seen: ArrayBuffer | undefined;
    const c = new AppendCoalescer(async (_acks, items, owned) => ((seen = owned), items.map((i) => result(i, 0))), turn.schedule);
    const frame = new ArrayBuffer(8);
    const done = c.submit(-1, [item(0, 'a')], frame);
    turn.endTurn();
    await done;
    expect(seen).toBe(frame);
  });

  it('the other durability class dispatches the open batch first, so tasks keep submission order; acks=0 and 1 share', async () => {
    const turn = manual();
    const tasks: string[] = [];
    const c = new AppendCoalescer(async (acks, items) => (tasks.push(`${acks}:${items.map((i) => i.records.toString()).join('')}`), items.map((i) => result(i, 0))), turn.schedule);
    const all = [c.submit(1, [item(0, 'a')], undefined), c.submit(0, [item(0, 'b')], undefined), c.submit(-1, [item(0, 'c')], undefined), c.submit(0, [item(0, 'd')], undefined), c.submit(1, [item(0, 'e')], undefined)];
    expect(tasks).toEqual(['1:ab', '-1:c']);
    turn.endTurn();
    await Promise.all(all);
    expect(tasks).toEqual(['1:ab', '-1:c', '1:de']);
  });

  it('a big submission goes at once and alone (after the open batch), keeping its frame buffer; batches stay bounded', async () => {
    const turn = manual();
    const tasks: Array<{ values: string[]; owned: ArrayBuffer | undefined }> = [];
    const c = new AppendCoalescer(async (_acks, items, owned) => (tasks.push({ values: items.map((i) => i.records.toString().slice(0, 3)), owned }), items.map((i) => result(i, 0))), turn.schedule);
    const frame = new ArrayBuffer(LONE_SUBMISSION_BYTES);
    const big = { key: p(0), records: Buffer.from(frame) };
    big.records.write('big');
    const all = [c.submit(1, [item(0, 'a')], undefined), c.submit(1, [big], frame), c.submit(1, [item(0, 'b')], undefined)];
    expect(tasks).toEqual([{ values: ['a'], owned: undefined }, { values: ['big'], owned: frame }]);
    turn.endTurn();
    await Promise.all(all);
    expect(tasks.at(-1)).toEqual({ values: ['b'], owned: undefined });
    // Many mid-sized submissions: no task holds more than MAX_BATCH_BYTES.
    const sizes: number[] = [];
    const d = new AppendCoalescer(async (_acks, items) => (sizes.push(items.reduce((n, i) => n + i.records.length, 0)), items.map((i) => result(i, 0))), turn.schedule);
    const mid = Array.from({ length: 40 }, () => d.submit(1, [{ key: p(1), records: Buffer.alloc(LONE_SUBMISSION_BYTES - 1) }], undefined));
    turn.endTurn();
    await Promise.all(mid);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40 * (LONE_SUBMISSION_BYTES - 1));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it('a failed task rejects every submission it carried, and the next turn starts a fresh batch', async () => {
    const turn = manual();
    let fail = true;
    const c = new AppendCoalescer(async (_acks, items) => {
      if (fail) throw new Error('slot died');
      return items.map((i) => result(i, 7));
    }, turn.schedule);
    const a = c.submit(1, [item(0, 'a')], undefined);
    const b = c.submit(1, [item(1, 'b')], undefined);
    turn.endTurn();
    await expect(a).rejects.toThrow('slot died');
    await expect(b).rejects.toThrow('slot died');
    fail = false;
    const again = c.submit(1, [item(0, 'c')], undefined);
    turn.endTurn();
    expect((await again)[0]!.baseOffset).toBe(7);
  });
});
