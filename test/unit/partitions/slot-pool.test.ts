import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { SlotPool } from '../../../src/partitions/slot-pool.js';
import { EngineError } from '../../../src/partitions/engine-error.js';
import type { WorkerTask } from '../../../src/ipc/tasks.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';

const workerFile = new URL('./fixtures/test-worker.mjs', import.meta.url);
let pool: SlotPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

// The fixture understands ops the real worker does not: cast at this one boundary.
const task = (t: object) => t as unknown as WorkerTask;

describe('SlotPool', () => {
  it('hands tasks to a slot strictly in submission order, at most concurrentTasksPerSlot at a time', async () => {
    const syncPasses: number[] = [];
    pool = new SlotPool({ workerFile, slots: 1, concurrentTasksPerSlot: 2, logger: pino({ level: 'silent' }), onSyncPass: (ms) => syncPasses.push(ms) });
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => pool!.run(0, task({ op: 'x', n }))));
    expect(results).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(await pool.run(0, task({ op: 'seen' }))).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(syncPasses).toEqual([1.5]);
    expect(pool.stats()).toEqual([{ queueSize: 0, utilization: expect.any(Number) }]);
  });

  it('turns a worker answer of ok: false into an EngineError with its code', async () => {
    pool = new SlotPool({ workerFile, slots: 2, concurrentTasksPerSlot: 1, logger: pino({ level: 'silent' }) });
    const err = await pool.run(1, task({ op: 'fail' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).errorCode).toBe(87);
    expect((err as EngineError).message).toBe('bad batch');
  });

  it('answers NOT_LEADER_OR_FOLLOWER for a task whose thread died, and a new thread serves the slot', async () => {
    pool = new SlotPool({ workerFile, slots: 1, concurrentTasksPerSlot: 1, logger: pino({ level: 'silent' }), faultInjection: true });
    const err = await pool.run(0, task({ op: 'crash' })).catch((e: unknown) => e);
    expect((err as EngineError).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await pool.run(0, task({ op: 'x', n: 1 }))).toBe(1);
    expect(await pool.run(0, task({ op: 'seen' }))).toEqual([1]);
  });

  it('refuses a slot that does not exist', async () => {
    pool = new SlotPool({ workerFile, slots: 1, concurrentTasksPerSlot: 1, logger: pino({ level: 'silent' }) });
    await expect(pool.run(3, task({ op: 'x', n: 0 }))).rejects.toThrow(RangeError);
  });

  it('adds a slot numbered after the others and retires the last one', async () => {
    pool = new SlotPool({ workerFile, slots: 1, concurrentTasksPerSlot: 1, logger: pino({ level: 'silent' }) });
    expect(pool.addSlot()).toBe(1);
    expect(pool.slotCount).toBe(2);
    expect(await pool.run(1, task({ op: 'x', n: 7 }))).toBe(7);
    await pool.retireLastSlot();
    expect(pool.slotCount).toBe(1);
    await expect(pool.run(1, task({ op: 'x', n: 0 }))).rejects.toThrow(RangeError);
    await expect(pool.retireLastSlot()).rejects.toThrow(/cannot be retired/);
  });

  it('samples the busy fraction of each slot thread since the previous sample', async () => {
    pool = new SlotPool({ workerFile, slots: 2, concurrentTasksPerSlot: 1, logger: pino({ level: 'silent' }) });
    await Promise.all([pool.run(0, task({ op: 'x', n: 0 })), pool.run(1, task({ op: 'x', n: 0 }))]);
    pool.sampleUtilization();
    await pool.run(0, task({ op: 'spin', ms: 200 }));
    const [busy, idle] = pool.sampleUtilization();
    expect(busy).toBeGreaterThan(0.5);
    expect(idle).toBeLessThan(0.2);
  });
});
