// The engine's admin-API block (DeleteRecords, OffsetForLeaderEpoch, log sizes, producers)
// over a fake slot runner: items split by slot and answered in request order, a replaced
// thread's partitions reopened and only those items retried, and DeleteRecords' new log start
// taken into the router-side state so the tail cache no longer serves below it.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { partitionId, type PartitionId } from '../../../src/ipc/partition-id.js';
import { PARTITION_NOT_OPEN, type PartitionSpec, type PartitionState, type TaskValues, type WorkerTask } from '../../../src/ipc/tasks.js';
import { Balancer } from '../../../src/partitions/balancer.js';
import { PartitionEngine } from '../../../src/partitions/partition-engine.js';
import { PartitionStates } from '../../../src/partitions/partition-states.js';
import { PlacementTable } from '../../../src/partitions/placement-table.js';
import { FakeSlotBase } from './fixtures/fake-slot-base.js';
import { TailCache } from '../../../src/partitions/tail-cache.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';

const p = (n: number) => partitionId('34'.repeat(16), n);
const NOT_OPEN = { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, cause: { code: ErrorCode.NOT_LEADER_OR_FOLLOWER, strataCode: PARTITION_NOT_OPEN, message: 'not open' } };

/** Each partition: a log end offset of 10 and a log start offset DeleteRecords moves. */
class FakeSlots extends FakeSlotBase {
  readonly starts = new Map<PartitionId, number>();
  readonly ops: Array<{ slot: number; op: string; keys: PartitionId[] }> = [];

  private state(key: PartitionId): PartitionState {
    const start = this.starts.get(key) ?? 0;
    return { key, logStartOffset: start, highWatermark: 10, lastStableOffset: 10, sizeBytes: 1000, segmentCount: 1, deleteRecordsOffset: start };
  }

  async run<T extends WorkerTask>(slot: number, task: T): Promise<TaskValues[T['op']]> {
    const t = task as WorkerTask;
    const isOpen = (key: PartitionId) => this.open[slot]!.has(key);
    let value: unknown = null;
    switch (t.op) {
      case 'open':
        value = t.partitions.map((s: PartitionSpec) => {
          this.open[slot]!.add(s.key);
          return this.state(s.key);
        });
        break;
      case 'deleteRecords':
        this.ops.push({ slot, op: t.op, keys: t.items.map((i) => i.key) });
        value = t.items.map((i) => {
          if (!isOpen(i.key)) return { key: i.key, ...NOT_OPEN, lowWatermark: -1, state: null };
          const target = i.offset === -1 ? 10 : i.offset;
          if (target > 10) return { key: i.key, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1, state: null };
          this.starts.set(i.key, Math.max(this.starts.get(i.key) ?? 0, target));
          return { key: i.key, errorCode: ErrorCode.NONE, lowWatermark: this.starts.get(i.key)!, state: this.state(i.key) };
        });
        break;
      case 'offsetForLeaderEpoch':
        this.ops.push({ slot, op: t.op, keys: t.items.map((i) => i.key) });
        value = t.items.map((i) => (isOpen(i.key) ? { key: i.key, errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 10 } : { key: i.key, ...NOT_OPEN, leaderEpoch: -1, endOffset: -1 }));
        break;
      case 'logSize':
        this.ops.push({ slot, op: t.op, keys: t.items.map((i) => i.key) });
        value = t.items.map((i) => (isOpen(i.key) ? { key: i.key, errorCode: ErrorCode.NONE, sizeBytes: 1000 + slot, logEndOffset: 10 } : { key: i.key, ...NOT_OPEN, sizeBytes: -1, logEndOffset: -1 }));
        break;
      case 'describeProducers':
        this.ops.push({ slot, op: t.op, keys: t.items.map((i) => i.key) });
        value = t.items.map((i) => (isOpen(i.key) ? { key: i.key, errorCode: ErrorCode.NONE, producers: [{ producerId: slot, producerEpoch: 0, lastSequence: 4, lastTimestamp: 1 }] } : { key: i.key, ...NOT_OPEN, producers: [] }));
        break;
      default:
        value = t.op === 'maintenance' || t.op === 'tierState' ? [] : null;
    }
    return value as TaskValues[T['op']];
  }
}

function setup(slotCount = 2) {
  const slots = new FakeSlots(slotCount);
  const table = new PlacementTable(slotCount);
  const tail = new TailCache({ maxBytes: 1 << 20, maxBytesPerPartition: 1 << 20 });
  const states = new PartitionStates(tail);
  const engine = new PartitionEngine({ slots, table, balancer: new Balancer(table), states, logger: pino({ level: 'silent' }) });
  return { engine, slots };
}

function spec(n: number): PartitionSpec {
  return { key: p(n), topic: 't', topicId: '34'.repeat(16), partition: n, dir: `/nonexistent/t-${n}`, config: {} as PartitionSpec['config'] };
}

describe('PartitionEngine admin APIs', () => {
  it('splits items by slot, answers in request order, and takes the new log start into its state', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0), spec(1), spec(2)]);
    const results = await engine.deleteRecords([
      { key: p(2), offset: 4 },
      { key: p(0), offset: -1 },
      { key: p(1), offset: 11 },
    ]);
    expect(results.map((r) => [r.key, r.errorCode, r.lowWatermark])).toEqual([
      [p(2), ErrorCode.NONE, 4],
      [p(0), ErrorCode.NONE, 10],
      [p(1), ErrorCode.OFFSET_OUT_OF_RANGE, -1],
    ]);
    expect(new Set(slots.ops.map((o) => o.slot)).size).toBe(2);
    expect(engine.state(p(2))).toMatchObject({ logStartOffset: 4, deleteRecordsOffset: 4 });
    expect(engine.state(p(0))?.logStartOffset).toBe(10);
    expect(engine.state(p(1))?.logStartOffset).toBe(0);
  });

  it('reopens partitions a replaced thread lost and retries only those items, for every admin op', async () => {
    const { engine, slots } = setup(2);
    await engine.open([spec(0), spec(1)]);
    const slotOf1 = engine.slotOf(p(1))!;
    for (const run of [
      () => engine.deleteRecords([{ key: p(0), offset: 1 }, { key: p(1), offset: 2 }]),
      () => engine.offsetForLeaderEpoch([{ key: p(0), leaderEpoch: 0 }, { key: p(1), leaderEpoch: 0 }]),
      () => engine.logSize([p(0), p(1)]),
      () => engine.describeProducers([p(0), p(1)]),
    ]) {
      await slots.crash(slotOf1);
      slots.ops.length = 0;
      const results = await run();
      expect(results.map((r) => [r.key, r.errorCode])).toEqual([
        [p(0), ErrorCode.NONE],
        [p(1), ErrorCode.NONE],
      ]);
      // The lost partition's item ran twice on its slot (not open, then after the reopen).
      expect(slots.ops.filter((o) => o.keys.includes(p(1))).map((o) => o.slot)).toEqual([slotOf1, slotOf1]);
    }
  });

  it('an item for a partition that is not open anywhere fails the request with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { engine } = setup(1);
    await expect(engine.logSize([p(9)])).rejects.toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });
});
