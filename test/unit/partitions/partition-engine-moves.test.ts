// Moves between slots and elastic slots, over the fake slots of fixtures/fake-log-slots.ts:
// what waits for what, what each slot is asked, and that offsets carry over unchanged.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { partitionId } from '../../../src/ipc/partition-id.js';
import type { PartitionSpec } from '../../../src/ipc/tasks.js';
import { Balancer } from '../../../src/partitions/balancer.js';
import { EngineError, PartitionEngine, type MoveReport } from '../../../src/partitions/partition-engine.js';
import { PartitionStates } from '../../../src/partitions/partition-states.js';
import { PlacementTable } from '../../../src/partitions/placement-table.js';
import { TailCache } from '../../../src/partitions/tail-cache.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';
import { FakeLogSlots } from './fixtures/fake-log-slots.js';

const p = (n: number) => partitionId('56'.repeat(16), n);
const spec = (n: number): PartitionSpec => ({ key: p(n), topic: 'moves', topicId: '56'.repeat(16), partition: n, dir: `/nonexistent/m-${n}`, config: {} as PartitionSpec['config'] });
const record = (value: string) => encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from(value) }] });
const values = (records: Buffer | null) => (records ? decodeRecordBatches(records).flatMap((b) => b.records.map((r) => `${r.offset}:${r.value!.toString()}`)) : []);
/** Lets every pending promise callback and setImmediate of this turn run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(slotCount = 2, moveTimeoutMs = 5000) {
  const slots = new FakeLogSlots(slotCount);
  const table = new PlacementTable(slotCount);
  const states = new PartitionStates(new TailCache({ maxBytes: 0, maxBytesPerPartition: 0 }));
  const moves: MoveReport[] = [];
  const engine = new PartitionEngine({ slots, table, balancer: new Balancer(table), states, logger: pino({ level: 'silent' }), moveTimeoutMs, onMove: (m) => moves.push(m) });
  return { engine, slots, table, moves };
}

async function readAll(engine: PartitionEngine, n: number): Promise<string[]> {
  const [r] = await engine.read([{ key: p(n), fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }]);
  expect(r!.errorCode).toBe(ErrorCode.NONE);
  return values(r!.records);
}

describe('PartitionEngine moves', () => {
  it('closes the partition on its old slot, opens it on the new one, and offsets go on from where they were', async () => {
    const { engine, slots, moves } = setup(2);
    await engine.open([spec(0)]);
    expect(engine.slotOf(p(0))).toBe(0);
    await engine.append(1, [{ key: p(0), records: record('a') }]);
    const report = await engine.movePartition(p(0), 1, 'test');
    expect(report).toMatchObject({ partition: p(0), topic: 'moves', partitionIndex: 0, from: 0, to: 1, reason: 'test' });
    expect(moves).toEqual([report]);
    expect(engine.slotOf(p(0))).toBe(1);
    expect(slots.open[0]!.has(p(0))).toBe(false);
    expect(slots.open[1]!.has(p(0))).toBe(true);
    const order = slots.tasks.filter((t) => t.op === 'release' || t.op === 'open').map((t) => `${t.op}@${t.slot}`);
    expect(order.slice(-2)).toEqual(['release@0', 'open@1']);
    const [after] = await engine.append(1, [{ key: p(0), records: record('b') }]);
    expect(after!.baseOffset).toBe(1);
    expect(slots.tasks.at(-1)).toMatchObject({ op: 'append', slot: 1 });
    expect(await readAll(engine, 0)).toEqual(['0:a', '1:b']);
    expect(engine.placement().movesTotal).toBe(1);
  });

  it('waits for work already routed to the old slot before closing the partition there', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0)]);
    const release = slots.hold('append');
    const inFlight = engine.append(1, [{ key: p(0), records: record('a') }]);
    await settle();
    const move = engine.movePartition(p(0), 1);
    await settle();
    expect(slots.tasks.some((t) => t.op === 'release')).toBe(false);
    release();
    expect((await inFlight)[0]!.baseOffset).toBe(0);
    await move;
    expect(slots.tasks.filter((t) => t.op === 'release').map((t) => t.slot)).toEqual([0]);
  });

  it('holds work that arrives during the move and runs it on the new slot afterwards', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0)]);
    await engine.append(1, [{ key: p(0), records: record('a') }]);
    const release = slots.hold('release');
    const move = engine.movePartition(p(0), 1);
    await settle();
    const during = engine.append(1, [{ key: p(0), records: record('b') }]);
    const listed = engine.listOffsets([{ key: p(0), timestamp: -1 }]);
    await settle();
    expect(slots.tasks.filter((t) => t.op === 'append' || t.op === 'listOffsets').length).toBe(1);
    expect(engine.placement().moving).toEqual([p(0)]);
    release();
    await move;
    expect((await during)[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    expect((await listed)[0]).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(slots.tasks.filter((t) => t.op === 'append').map((t) => t.slot)).toEqual([0, 1]);
    expect(slots.tasks.filter((t) => t.op === 'listOffsets').map((t) => t.slot)).toEqual([1]);
    expect(engine.placement().moving).toEqual([]);
  });

  it('answers waiting work NOT_LEADER_OR_FOLLOWER (retriable) when the move outlasts partition.move.timeout.ms', async () => {
    const { engine, slots } = setup(2, 30);
    await engine.open([spec(0)]);
    const release = slots.hold('release');
    const move = engine.movePartition(p(0), 1);
    await settle();
    const err = await engine.append(1, [{ key: p(0), records: record('late') }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((err as EngineError).strataCode).toBe('STRATA_ERR_PARTITION_MOVING');
    release();
    await move;
    expect(await readAll(engine, 0)).toEqual([]);
  });

  it('opens the partition on the new slot even when the old slot thread dies while closing it', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0), spec(1)]);
    await engine.append(1, [{ key: p(0), records: record('kept') }]);
    slots.dieOnClose.add(0);
    await engine.movePartition(p(0), 1);
    expect(slots.open[1]!.has(p(0))).toBe(true);
    expect(await readAll(engine, 0)).toEqual(['0:kept']);
    const [next] = await engine.append(1, [{ key: p(0), records: record('next') }]);
    expect(next!.baseOffset).toBe(1);
  });

  it('serves tail reads from the router during a move without waiting for it', async () => {
    const slots = new FakeLogSlots(2);
    const table = new PlacementTable(2);
    const engine = new PartitionEngine({ slots, table, balancer: new Balancer(table), states: new PartitionStates(new TailCache({ maxBytes: 1 << 20, maxBytesPerPartition: 1 << 20 })), logger: pino({ level: 'silent' }) });
    await engine.open([spec(0)]);
    await engine.append(1, ['a', 'b'].map((v) => ({ key: p(0), records: record(v) })));
    const release = slots.hold('release');
    const move = engine.movePartition(p(0), 1);
    await settle();
    const [tail] = await engine.read([{ key: p(0), fetchOffset: 1, maxBytes: 1 << 20, minOneBatch: true }]);
    expect(values(tail!.records)).toEqual(['1:b']);
    release();
    await move;
  });

  it('refuses moves that cannot be made, with a clear reason', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0)]);
    const refused = async (run: () => Promise<unknown>) => {
      const err = (await run().catch((e: unknown) => e)) as EngineError;
      expect(err).toBeInstanceOf(EngineError);
      return err;
    };
    expect((await refused(() => engine.movePartition(p(0), 0))).message).toMatch(/already there/);
    expect((await refused(() => engine.movePartition(p(0), 2))).strataCode).toBe('STRATA_ERR_MOVE_REFUSED');
    expect((await refused(() => engine.movePartition(p(9), 1))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const release = slots.hold('release');
    const move = engine.movePartition(p(0), 1);
    expect((await refused(() => engine.movePartition(p(0), 1))).message).toMatch(/already moving/);
    release();
    await move;
  });

  it('a topic deleted during a move is deleted after it, on the new slot', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0)]);
    const release = slots.hold('release');
    const move = engine.movePartition(p(0), 1);
    await settle();
    const deleted = engine.delete([p(0)]);
    await settle();
    expect(slots.tasks.some((t) => t.op === 'delete')).toBe(false);
    release();
    await Promise.all([move, deleted]);
    expect(slots.tasks.filter((t) => t.op === 'delete').map((t) => t.slot)).toEqual([1]);
    expect(engine.slotOf(p(0))).toBeUndefined();
  });
});

describe('PartitionEngine elastic slots', () => {
  it('adds a slot that new partitions and moves can use', async () => {
    const { engine } = setup(1);
    await engine.open([spec(0), spec(1)]);
    expect(await engine.addSlot()).toBe(1);
    expect(engine.slotCount).toBe(1 + 1);
    await engine.movePartition(p(1), 1);
    await engine.open([spec(2)]);
    expect(engine.partitionsPerSlot()).toEqual([2, 1]);
    const [r] = await engine.append(1, [{ key: p(1), records: record('x') }]);
    expect(r!.errorCode).toBe(ErrorCode.NONE);
  });

  it('retires the last slot after moving its partitions where asked, else to the least loaded slot', async () => {
    const { engine, slots } = setup(3);
    await engine.open([0, 1, 2, 3, 4, 5].map(spec));
    expect(engine.partitionsPerSlot()).toEqual([2, 2, 2]);
    await engine.append(1, [{ key: p(2), records: record('on-2') }]);
    const onLast = engine.placement().slots[2]!.partitions.map((x) => x.id);
    const reports = await engine.retireLastSlot((id) => (id === onLast[0] ? 0 : undefined), 'test shrink');
    expect(reports.map((r) => [r.partition, r.from, r.to])).toEqual([[onLast[0], 2, 0], [onLast[1], 2, 1]]);
    expect(engine.slotCount).toBe(2);
    expect(slots.retired).toBe(1);
    expect(engine.partitionsPerSlot()).toEqual([3, 3]);
    expect(await readAll(engine, 2)).toEqual(['0:on-2']);
  });

  it('places no new partition on a slot being retired', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0), spec(1)]);
    const release = slots.hold('release');
    const retiring = engine.retireLastSlot();
    await settle();
    await engine.open([spec(2)]);
    expect(engine.slotOf(p(2))).toBe(0);
    release();
    await retiring;
    expect(engine.slotCount).toBe(1);
  });

  it('samples per-partition load in bytes per second from what its slot appended and read', async () => {
    const { engine, slots } = setup(1);
    slots.utilization = [0.5];
    await engine.open([spec(0), spec(1)]);
    engine.sampleLoad();
    await engine.append(1, [{ key: p(0), records: record('x'.repeat(1000)) }]);
    const sample = engine.sampleLoad();
    expect(sample.slotUtilization).toEqual([0.5]);
    const load = new Map(sample.partitions.map((x) => [x.id, x.bytesPerSec]));
    expect(load.get(p(0))).toBeGreaterThan(0);
    expect(load.get(p(1))).toBe(0);
  });
});
