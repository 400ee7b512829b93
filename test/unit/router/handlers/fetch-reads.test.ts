import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { partitionId, type PartitionId } from '../../../../src/ipc/partition-id.js';
import type { ReadOutcome, ReadRequestItem } from '../../../../src/partitions/partition-engine.js';
import { readForFetch } from '../../../../src/router/handlers/fetch-reads.js';
import type { RequestContext } from '../../../../src/router/handlers/types.js';

const TOPIC_ID = 'cd'.repeat(16);
const A = partitionId(TOPIC_ID, 0);
const B = partitionId(TOPIC_ID, 1);

/** An engine with router-side offsets, reads that return (hwm − fetchOffset) bytes, and manual long-poll wake-ups. */
class FakeEngine {
  readonly hwm = new Map<PartitionId, number>();
  readonly readCalls: PartitionId[][] = [];
  readonly waits: Array<{ keys: PartitionId[]; wake: () => void }> = [];
  /** Runs inside read(), before it answers (to race an append with the read). */
  duringRead: (() => void) | undefined;

  state(key: PartitionId) {
    const h = this.hwm.get(key);
    return h === undefined ? undefined : { key, highWatermark: h, lastStableOffset: h, logStartOffset: 0 };
  }

  async read(items: ReadRequestItem[]): Promise<ReadOutcome[]> {
    this.readCalls.push(items.map((i) => i.key));
    const answers = items.map((i) => {
      const h = this.hwm.get(i.key)!;
      return { key: i.key, errorCode: 0, highWatermark: h, lastStableOffset: h, logStartOffset: 0, records: h > i.fetchOffset ? Buffer.alloc(h - i.fetchOffset) : null };
    });
    await Promise.resolve();
    this.duringRead?.();
    this.duringRead = undefined;
    return answers;
  }

  waitForAppend(keys: PartitionId[], timeoutMs: number) {
    let wake: () => void = () => {};
    const promise = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.waits.push({ keys, wake });
    return { promise, cancel: wake };
  }
}

function context(engine: FakeEngine): RequestContext {
  const broker = { engine, tier: undefined, shuttingDown: false, logger: pino({ level: 'silent' }) };
  return { broker, conn: { id: 1, remote: '127.0.0.1:1', closed: false }, apiKey: 1, apiName: 'Fetch', apiVersion: 13, correlationId: 1, clientId: 'test', ownedFrameBuffer: undefined } as unknown as RequestContext;
}

function set(offsets: Array<[PartitionId, number]>) {
  return { reads: offsets.map(([key, fetchOffset]) => ({ key, fetchOffset, maxBytes: 1 << 20, minOneBatch: true })), keys: offsets.map(([key]) => key) };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe('readForFetch', () => {
  it('reads only the partitions below their high watermark; the others are answered from the cached offsets', async () => {
    const engine = new FakeEngine();
    engine.hwm.set(A, 5).set(B, 9);
    const out = await readForFetch(context(engine), set([[A, 5], [B, 7]]), { minBytes: 1, maxWaitMs: 0, responseMaxBytes: 1 << 20, budgetStart: 0 });
    expect(engine.readCalls).toEqual([[B]]);
    expect(out.map((o) => [o.key, o.highWatermark, o.records?.length ?? 0])).toEqual([[A, 5, 0], [B, 9, 2]]);
    // Everything at the tail and min.bytes 0: an answer without any read.
    const idle = await readForFetch(context(engine), set([[A, 5], [B, 9]]), { minBytes: 0, maxWaitMs: 1000, responseMaxBytes: 1 << 20, budgetStart: 0 });
    expect(engine.readCalls).toHaveLength(1);
    expect(idle.map((o) => o.highWatermark)).toEqual([5, 9]);
  });

  it('long-polls every partition at the tail and then reads only the one an append moved', async () => {
    const engine = new FakeEngine();
    engine.hwm.set(A, 3).set(B, 4);
    const pending = readForFetch(context(engine), set([[A, 3], [B, 4]]), { minBytes: 1, maxWaitMs: 30_000, responseMaxBytes: 1 << 20, budgetStart: 0 });
    await until(() => engine.waits.length === 1);
    expect(engine.readCalls).toEqual([]);
    expect(engine.waits[0]!.keys).toEqual([A, B]);
    engine.hwm.set(B, 6);
    engine.waits[0]!.wake();
    const out = await pending;
    expect(engine.readCalls).toEqual([[B]]);
    expect(out.map((o) => o.records?.length ?? 0)).toEqual([0, 2]);
  });

  it('does not sleep through an append to a tail partition that raced the read of the others', async () => {
    const engine = new FakeEngine();
    engine.hwm.set(A, 3).set(B, 5);
    // B has 1 byte, below min.bytes; while B is read, A gets 10 bytes.
    engine.duringRead = () => engine.hwm.set(A, 13);
    const out = await readForFetch(context(engine), set([[A, 3], [B, 4]]), { minBytes: 5, maxWaitMs: 30_000, responseMaxBytes: 1 << 20, budgetStart: 0 });
    expect(engine.waits).toEqual([]);
    expect(engine.readCalls).toEqual([[B], [A, B]]);
    expect(out.map((o) => o.records?.length ?? 0)).toEqual([10, 1]);
  });

  it('keeps the response budget from budgetStart, wrapping, with at least one batch', async () => {
    const engine = new FakeEngine();
    engine.hwm.set(A, 10).set(B, 10);
    const limits = { minBytes: 1, maxWaitMs: 0, responseMaxBytes: 6 };
    const first = await readForFetch(context(engine), set([[A, 2], [B, 2]]), { ...limits, budgetStart: 0 });
    expect(first.map((o) => o.records?.length ?? 0)).toEqual([8, 0]);
    const rotated = await readForFetch(context(engine), set([[A, 2], [B, 2]]), { ...limits, budgetStart: 1 });
    expect(rotated.map((o) => o.records?.length ?? 0)).toEqual([0, 8]);
  });
});
