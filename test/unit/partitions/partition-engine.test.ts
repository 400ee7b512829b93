// The engine over a fake slot runner (fixtures/fake-log-slots.ts): an in-memory "worker" per
// slot that keeps each partition's log as a list of batches, and can forget its open
// partitions as a replaced thread would.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { partitionId } from '../../../src/ipc/partition-id.js';
import type { PartitionSpec } from '../../../src/ipc/tasks.js';
import { Balancer } from '../../../src/partitions/balancer.js';
import { EngineError, PartitionEngine } from '../../../src/partitions/partition-engine.js';
import { PartitionStates } from '../../../src/partitions/partition-states.js';
import { PlacementTable } from '../../../src/partitions/placement-table.js';
import { FakeLogSlots as FakeSlots } from './fixtures/fake-log-slots.js';
import { TailCache } from '../../../src/partitions/tail-cache.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';

const p = (n: number) => partitionId('12'.repeat(16), n);

function setup(slotCount = 2, logLines: Array<Record<string, unknown>> = []): { engine: PartitionEngine; slots: FakeSlots; table: PlacementTable } {
  const slots = new FakeSlots(slotCount);
  const table = new PlacementTable(slotCount);
  const states = new PartitionStates(new TailCache({ maxBytes: 1 << 20, maxBytesPerPartition: 1 << 20 }));
  const logger = pino({ level: 'warn' }, { write: (l: string) => void logLines.push(JSON.parse(l) as Record<string, unknown>) });
  const engine = new PartitionEngine({ slots, table, balancer: new Balancer(table), states, logger });
  return { engine, slots, table };
}

function spec(n: number): PartitionSpec {
  return { key: p(n), topic: 't', topicId: '12'.repeat(16), partition: n, dir: `/nonexistent/t-${n}`, config: {} as PartitionSpec['config'] };
}

const record = (value: string) => encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from(value) }] });
const values = (records: Buffer | null) => (records ? decodeRecordBatches(records).flatMap((b) => b.records.map((r) => `${r.offset}:${r.value!.toString()}`)) : []);

describe('PartitionEngine', () => {
  it('spreads new partitions over the slots and answers a multi-slot request in request order', async () => {
    const { engine, slots } = setup(2);
    await engine.open([0, 1, 2, 3].map(spec));
    expect(engine.partitionsPerSlot()).toEqual([2, 2]);
    const results = await engine.append(1, [p(3), p(0), p(1), p(0)].map((key, i) => ({ key, records: record(`r${i}`) })));
    expect(results.map((r) => [r.key, r.baseOffset])).toEqual([[p(3), 0], [p(0), 0], [p(1), 0], [p(0), 1]]);
    expect(slots.tasks.filter((t) => t.op === 'append').map((t) => t.slot).sort()).toEqual([0, 1]);
    expect(engine.state(p(0))?.highWatermark).toBe(2);
  });

  it('coalesces the appends of one turn into one task per slot, answering each request in order', async () => {
    const { engine, slots } = setup(2);
    await engine.open([0, 1, 2, 3].map(spec));
    const before = slots.tasks.length;
    // Ten single-record requests in one turn (as pipelined frames from one socket read are).
    const requests = Array.from({ length: 10 }, (_, i) => engine.append(1, [{ key: p(i % 4), records: record(`r${i}`) }]));
    const answers = await Promise.all(requests);
    const appends = slots.tasks.slice(before).filter((t) => t.op === 'append');
    expect(appends.map((t) => t.slot).sort()).toEqual([0, 1]);
    expect(appends.find((t) => t.slot === 0)!.keys).toEqual([p(0), p(2), p(0), p(2), p(0)]);
    expect(answers.map((a) => [a[0]!.key, a[0]!.baseOffset])).toEqual([
      [p(0), 0], [p(1), 0], [p(2), 0], [p(3), 0], [p(0), 1], [p(1), 1], [p(2), 1], [p(3), 1], [p(0), 2], [p(1), 2],
    ]);
    expect(engine.appendCoalescing()).toEqual({ tasks: 2, submissions: 10 });
    const [read] = await engine.read([{ key: p(0), fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }]);
    expect(values(read!.records)).toEqual(['0:r0', '1:r4', '2:r8']);
  });

  it('transfers the request frame itself when one slot owns every item, and copies otherwise', async () => {
    const { engine, slots } = setup(2);
    await engine.open([0, 1].map(spec));
    const one = record('a');
    const frame = new ArrayBuffer(one.length);
    Buffer.from(frame).set(one);
    await engine.append(1, [{ key: p(0), records: Buffer.from(frame) }], frame);
    expect(slots.tasks.at(-1)!.transferred).toBe(frame);
    const two = new ArrayBuffer(one.length * 2);
    Buffer.from(two).set(one, 0);
    Buffer.from(two).set(one, one.length);
    await engine.append(1, [{ key: p(0), records: Buffer.from(two, 0, one.length) }, { key: p(1), records: Buffer.from(two, one.length) }], two);
    expect(slots.tasks.slice(-2).every((t) => t.transferred !== two)).toBe(true);
  });

  it('serves a tailing fetch from the tail cache without a worker round trip', async () => {
    const { engine, slots } = setup(1);
    await engine.open([spec(0)]);
    await engine.append(1, ['a', 'b'].map((v) => ({ key: p(0), records: record(v) })));
    const before = slots.tasks.length;
    const [read] = await engine.read([{ key: p(0), fetchOffset: 1, maxBytes: 1 << 20, minOneBatch: true }]);
    expect(values(read!.records)).toEqual(['1:b']);
    expect(slots.tasks.length).toBe(before);
  });

  it('reopens only the partitions a replaced thread lost, then retries just those items', async () => {
    const { engine, slots } = setup(1);
    await engine.open([0, 1].map(spec));
    await engine.append(1, [{ key: p(0), records: record('a') }]);
    slots.forget(0);
    slots.open[0]!.add(p(1)); // p(1) survived, p(0) did not
    const results = await engine.append(1, [p(0), p(1)].map((key) => ({ key, records: record('b') })));
    expect(results.map((r) => [r.errorCode, r.baseOffset])).toEqual([[0, 1], [0, 0]]);
    const appends = slots.tasks.filter((t) => t.op === 'append');
    expect(appends.at(-1)!.keys).toEqual([p(0)]);
    expect(slots.tasks.filter((t) => t.op === 'open').at(-1)!.keys).toEqual([p(0)]);
    const reads = await engine.read([{ key: p(0), fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }]);
    expect(values(reads[0]!.records)).toEqual(['0:a', '1:b']);
  });

  it('gives up with NOT_LEADER_OR_FOLLOWER (retriable) when a partition cannot be reopened', async () => {
    const { engine, slots } = setup(1);
    await engine.open([spec(0)]);
    slots.broken.add(0);
    const err = await engine.listOffsets([{ key: p(0), timestamp: -1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a partition that is not open', async () => {
    const { engine } = setup(1);
    const err = await engine.append(1, [{ key: p(9), records: record('x') }]).catch((e: unknown) => e);
    expect((err as EngineError).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('delete forgets placement, state and tail, and wakes long polls on the partition', async () => {
    const { engine, table } = setup(2);
    await engine.open([0, 1].map(spec));
    await engine.append(1, [{ key: p(0), records: record('a') }]);
    const poll = engine.waitForAppend([p(0)], 60_000);
    await engine.delete([p(0)]);
    await poll.promise;
    expect(table.lookup(p(0))).toBeUndefined();
    expect(engine.state(p(0))).toBeUndefined();
    expect(engine.spec(p(0))).toBeUndefined();
    expect(engine.tail.bytes).toBe(0);
    expect(engine.partitionsPerSlot()).toEqual([0, 1]);
  });

  it('logs a partition whose maintenance failed, with the worker-side stack, and keeps its state', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { engine, slots } = setup(1, lines);
    await engine.open([spec(0)]);
    slots.maintenanceStates = [
      { key: p(0), logStartOffset: 3, highWatermark: 9, lastStableOffset: 9, sizeBytes: 1, segmentCount: 2, maintenanceError: { code: 56, message: 'EIO: unlink', stack: 'Error: EIO: unlink\n    at retention' } },
    ];
    await engine.maintenance(Date.now());
    expect(lines).toMatchObject([{ level: 50, partition: p(0), err: { message: 'EIO: unlink', stack: expect.stringContaining('at retention') } }]);
    expect(engine.state(p(0))).toMatchObject({ logStartOffset: 3, highWatermark: 9, segmentCount: 2 });
    expect(engine.state(p(0))).not.toHaveProperty('maintenanceError');
  });

  it('markUploaded reopens on a replaced thread too', async () => {
    const { engine, slots } = setup(1);
    await engine.open([spec(0)]);
    slots.forget(0);
    await engine.markUploaded(p(0), 0);
    expect(slots.open[0]!.has(p(0))).toBe(true);
  });
});
