import type { PartitionId } from '../../../src/ipc/partition-id.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina, transferableSymbol, valueSymbol } from 'piscina';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PartitionWorker, transferResult } from '../../../workers/partition-worker.js';
import { copyIntoFreshBuffer } from '../../../src/partitions/append-buffers.js';
import { isPartitionNotOpen, type AppendItemResult, type AppendResult, type PartitionState, type ReadResult, type TaskResult, type WorkerTask } from '../../../src/ipc/tasks.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import { decodeRecordBatches } from '../../../src/protocol/records.js';
import { cleanupDirs, makeBatch, partitionSpec, tempDir } from './log-fixtures.js';

afterEach(() => cleanupDirs());

/** The task the router sends (src/partitions/append-buffers.ts lays the items out). */
function appendTask(acks: number, items: Array<{ key: PartitionId; records: Buffer }>): WorkerTask {
  const { buffer, sliceTable } = copyIntoFreshBuffer(items);
  return { op: 'append', acks, buffer, items: sliceTable };
}

/** Append results come back with the (transferred) buffer; these tests look at the items. */
function appendItems(r: TaskResult<unknown>): AppendItemResult[] {
  return value<AppendResult>(r).items;
}

function value<T>(r: TaskResult<unknown>): T {
  if (!r.ok) throw new Error(`task failed: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

describe('PartitionWorker (handler without Piscina)', () => {
  it('opens, appends to several partitions, reads back to back, closes', async () => {
    const w = new PartitionWorker();
    const dir = tempDir();
    const a = partitionSpec(dir, {}, ('a:0' as PartitionId));
    const b = { ...partitionSpec(dir, {}, ('b:0' as PartitionId)), dir: path.join(dir, 'b-0') };
    const states = value<PartitionState[]>(await w.handle({ op: 'open', partitions: [a, b] }));
    expect(states.map((s) => s.highWatermark)).toEqual([0, 0]);

    const appended = appendItems(
      await w.handle(appendTask(-1, [
        { key: ('a:0' as PartitionId), records: makeBatch(3, { prefix: 'a' }) },
        { key: ('b:0' as PartitionId), records: makeBatch(2, { prefix: 'b' }) },
        { key: ('nope:0' as PartitionId), records: makeBatch(1) },
      ])),
    );
    expect(appended.map((r) => [r.key, r.errorCode, r.baseOffset, r.highWatermark, isPartitionNotOpen(r)])).toEqual([
      [('a:0' as PartitionId), 0, 0, 3, false],
      [('b:0' as PartitionId), 0, 0, 2, false],
      // The internal signal rides in `cause`; the Kafka code is a real one (never -100).
      [('nope:0' as PartitionId), ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1, true],
    ]);
    expect(appended[2].cause).toMatchObject({ strataCode: 'STRATA_ERR_PARTITION_NOT_OPEN' });

    const read = value<ReadResult>(
      await w.handle({
        op: 'read',
        items: [
          { key: ('a:0' as PartitionId), fetchOffset: 1, maxBytes: 1 << 20, minOneBatch: true },
          { key: ('b:0' as PartitionId), fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true },
          { key: ('b:0' as PartitionId), fetchOffset: 5, maxBytes: 1 << 20, minOneBatch: true },
          { key: ('nope:0' as PartitionId), fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true },
        ],
      }),
    );
    const buf = Buffer.from(read.buffer);
    const [ra, rb, bad, missing] = read.items;
    expect(ra.recordsOffset).toBe(0);
    expect(rb.recordsOffset).toBe(ra.recordsLength); // back to back
    expect(read.buffer.byteLength).toBe(ra.recordsLength + rb.recordsLength);
    expect(decodeRecordBatches(buf.subarray(ra.recordsOffset, ra.recordsOffset + ra.recordsLength))[0].records[2].value?.toString()).toBe('a-2');
    expect(decodeRecordBatches(buf.subarray(rb.recordsOffset, rb.recordsOffset + rb.recordsLength))[0].records[1].value?.toString()).toBe('b-1');
    expect(bad).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: 2, recordsLength: 0 });
    expect(missing.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(isPartitionNotOpen(missing)).toBe(true);
    expect(isPartitionNotOpen(bad)).toBe(false);

    const offsets = value<Array<{ offset: number }>>(await w.handle({ op: 'listOffsets', items: [{ key: ('a:0' as PartitionId), timestamp: -1 }] }));
    expect(offsets[0].offset).toBe(3);

    const notOpenTask = await w.handle({ op: 'configure', key: 'zzz' as PartitionId, config: a.config });
    expect(notOpenTask.ok).toBe(false);
    if (!notOpenTask.ok) {
      expect(notOpenTask.error).toMatchObject({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER, strataCode: 'STRATA_ERR_PARTITION_NOT_OPEN' });
      expect(isPartitionNotOpen(notOpenTask.error)).toBe(true);
    }
    expect(value<PartitionState>(await w.handle({ op: 'configure', key: ('a:0' as PartitionId), config: { ...a.config, retentionMs: 5 } })).highWatermark).toBe(3);
    expect(value<PartitionState[]>(await w.handle({ op: 'maintenance', nowMs: Date.now() }))).toHaveLength(2);

    expect((await w.handle({ op: 'close' })).ok).toBe(true);
    expect(w.logs.size).toBe(0);
    // A closed (or never opened) partition answers NOT_OPEN; reopening recovers it.
    const again = appendItems(await w.handle(appendTask(1, [{ key: ('a:0' as PartitionId), records: makeBatch(1) }])));
    expect(again[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(isPartitionNotOpen(again[0])).toBe(true);
    expect(value<PartitionState[]>(await w.handle({ op: 'open', partitions: [a] }))[0].highWatermark).toBe(3);
    await w.handle({ op: 'close' });
  });

  it('deletes a partition directory', async () => {
    const w = new PartitionWorker();
    const spec = partitionSpec(tempDir());
    await w.handle({ op: 'open', partitions: [spec] });
    await w.handle(appendTask(1, [{ key: spec.key, records: makeBatch(1) }]));
    expect(fs.existsSync(spec.dir)).toBe(true);
    expect((await w.handle({ op: 'delete', keys: [spec.key] })).ok).toBe(true);
    expect(fs.existsSync(spec.dir)).toBe(false);
    expect(fs.readdirSync(path.dirname(spec.dir)).filter((n) => n.endsWith('-delete'))).toEqual([]);
  });

  it('keeps per-partition order for concurrent tasks (sync write before the fsync await)', async () => {
    const w = new PartitionWorker();
    const spec = partitionSpec(tempDir());
    await w.handle({ op: 'open', partitions: [spec] });
    const tasks = Array.from({ length: 20 }, (_, i) => w.handle(appendTask(i % 2 === 0 ? -1 : 1, [{ key: spec.key, records: makeBatch(1, { prefix: `m${i}` }) }])));
    const results = await Promise.all(tasks);
    expect(results.map((r) => appendItems(r)[0].baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await w.handle({ op: 'close' });
  });

  it('maps a broken task to a plain error instead of throwing', async () => {
    const w = new PartitionWorker();
    const r = await w.handle({ op: 'bogus' } as unknown as WorkerTask);
    expect(r).toEqual({ ok: false, error: { code: ErrorCode.INVALID_REQUEST, strataCode: 'STRATA_ERR_INVALID_TASK', message: 'unknown task op bogus' } });
    const blocker = path.join(tempDir(), 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    const open = await w.handle({ op: 'open', partitions: [{ ...partitionSpec(tempDir()), dir: path.join(blocker, 'topic-0') }] });
    expect(open.ok).toBe(false);
    if (!open.ok) {
      expect(open.error).toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR, strataCode: 'STRATA_ERR_STORAGE' });
      // A disk failure crosses the thread boundary with its stack, for the router's error log.
      expect(open.error.stack).toContain('StrataError');
    }
  });

  it('wraps read results for transfer', () => {
    const buffer = new ArrayBuffer(8);
    const wrapped = transferResult({ ok: true, value: { buffer, items: [] } }) as Record<symbol, unknown>;
    expect(wrapped[transferableSymbol]).toEqual([buffer]);
    expect(wrapped[valueSymbol]).toEqual({ ok: true, value: { buffer, items: [] } });
    const plain = { ok: true as const, value: null };
    expect(transferResult(plain)).toBe(plain);
  });
});

describe('partition-worker in a real Piscina pool', () => {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const outDir = path.join(repoRoot, '.vitest-tmp', `partition-worker-${process.pid}`);
  let pool: Piscina | null = null;

  beforeAll(() => {
    // Piscina needs JavaScript: compile just the worker and what it imports.
    execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--outDir', outDir, '--rootDir', repoRoot, '--module', 'nodenext', '--moduleResolution', 'nodenext',
        '--target', 'es2022', '--strict', '--skipLibCheck', '--esModuleInterop', '--types', 'node',
        path.join(repoRoot, 'workers', 'partition-worker.ts'),
        path.join(repoRoot, 'src', 'protocol', 'fast-crc32c.d.ts'),
      ],
      { cwd: repoRoot, stdio: 'pipe', timeout: 120_000 },
    );
    pool = new Piscina({
      filename: path.join(outDir, 'workers', 'partition-worker.js'),
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 8,
      atomics: 'disabled',
    });
  });

  afterAll(async () => {
    await pool?.destroy();
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('appends with a transferred buffer and reads a transferred buffer back', async () => {
    const spec = partitionSpec(tempDir());
    const run = (task: WorkerTask, transferList?: ArrayBuffer[]) =>
      pool!.run(task, transferList ? { transferList } : undefined) as Promise<TaskResult<unknown>>;
    expect(value<PartitionState[]>(await run({ op: 'open', partitions: [spec] }))[0].highWatermark).toBe(0);
    const tasks = Array.from({ length: 10 }, (_, i) =>
      appendTask(-1, [{ key: spec.key, records: makeBatch(2, { prefix: `t${i}` }) }]) as Extract<WorkerTask, { op: 'append' }>,
    );
    const appends = tasks.map((task) => run(task, [task.buffer]));
    const results = (await Promise.all(appends)).map((r) => appendItems(r)[0]);
    expect(tasks.every((t) => t.buffer.byteLength === 0)).toBe(true); // transferred, not copied
    expect(results.map((r) => r.baseOffset)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    const read = value<ReadResult>(await run({ op: 'read', items: [{ key: spec.key, fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }] }));
    expect(read.buffer).toBeInstanceOf(ArrayBuffer);
    const batches = decodeRecordBatches(Buffer.from(read.buffer, read.items[0].recordsOffset, read.items[0].recordsLength));
    expect(batches.map((b) => b.records[1].value?.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}-1`));
    expect((await run({ op: 'close' })).ok).toBe(true);
  });
});

describe('PartitionWorker: a task with many appends per partition (coalesced produce requests)', () => {
  const A = 'a:0' as PartitionId;
  const B = 'b:0' as PartitionId;

  async function openTwo(w: PartitionWorker, overrides = {}): Promise<string> {
    const dir = tempDir();
    const a = partitionSpec(dir, overrides, A);
    const b = { ...partitionSpec(dir, overrides, B), dir: path.join(dir, 'b-0') };
    value<PartitionState[]>(await w.handle({ op: 'open', partitions: [a, b] }));
    return dir;
  }

  async function readValues(w: PartitionWorker, key: PartitionId): Promise<string[]> {
    const r = value<ReadResult>(await w.handle({ op: 'read', items: [{ key, fetchOffset: 0, maxBytes: 1 << 24, minOneBatch: true }] }));
    const item = r.items[0]!;
    expect(item.errorCode).toBe(0);
    const records = Buffer.from(r.buffer).subarray(item.recordsOffset, item.recordsOffset + item.recordsLength);
    return records.length === 0 ? [] : decodeRecordBatches(records).flatMap((b) => b.records.map((x) => `${x.offset}:${x.value!.toString()}`));
  }

  it('writes each partition once per task (one writev), with every request answered in order', async () => {
    const w = new PartitionWorker();
    await openTwo(w);
    const items = Array.from({ length: 30 }, (_, i) => ({ key: i % 3 === 0 ? B : A, records: makeBatch(1, { prefix: `r${i}-` }) }));
    const writev = vi.spyOn(fs, 'writevSync');
    try {
      const results = appendItems(await w.handle(appendTask(-1, items)));
      expect(writev).toHaveBeenCalledTimes(2);
      expect(results.every((r) => r.errorCode === 0 && r.written === true)).toBe(true);
      expect(results.filter((r) => r.key === A).map((r) => r.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      writev.mockRestore();
    }
    const a = await readValues(w, A);
    expect(a).toHaveLength(20);
    expect(a.map((v) => v.split(':')[0])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // Request order within the partition: r1, r2, r4, r5, ... (every third went to B).
    expect(a.map((v) => Number(/r(\d+)-/.exec(v)![1]))).toEqual(items.map((it, i) => (it.key === A ? i : -1)).filter((i) => i >= 0));
  });

  it('writes the staged bytes of the old segment before a roll in the middle of a task', async () => {
    const w = new PartitionWorker();
    await openTwo(w, { segmentBytes: 400 });
    const items = Array.from({ length: 12 }, (_, i) => ({ key: A, records: makeBatch(1, { prefix: `s${i}-` }) }));
    const results = appendItems(await w.handle(appendTask(1, items)));
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect((await readValues(w, A)).map((v) => Number(/s(\d+)-/.exec(v)![1]))).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const state = value<PartitionState>(await w.handle({ op: 'configure', key: A, config: partitionSpec(tempDir(), { segmentBytes: 400 }, A).config }));
    expect(state.segmentCount).toBeGreaterThan(1);
  });

  it('a failed write fails every append of that partition in the task (retriable) and drops the log; reopening recovers what was written before', async () => {
    const w = new PartitionWorker();
    const dir = await openTwo(w);
    expect(appendItems(await w.handle(appendTask(1, [{ key: A, records: makeBatch(2, { prefix: 'before-' }) }])))[0]!.errorCode).toBe(0);
    const real = fs.writevSync;
    let failed = false;
    const writev = vi.spyOn(fs, 'writevSync').mockImplementation((fd, buffers, position) => {
      // The first write of the task (partition A) hits a disk error; B's write works.
      if (!failed) {
        failed = true;
        throw Object.assign(new Error('EIO: i/o error, writev'), { code: 'EIO' });
      }
      return real(fd, buffers as NodeJS.ArrayBufferView[], position as number);
    });
    let results: AppendItemResult[];
    try {
      results = appendItems(await w.handle(appendTask(-1, [
        { key: A, records: makeBatch(1, { prefix: 'x-' }) },
        { key: B, records: makeBatch(1, { prefix: 'y-' }) },
        { key: A, records: makeBatch(1, { prefix: 'z-' }) },
      ])));
    } finally {
      writev.mockRestore();
    }
    expect(results.map((r) => [r.key, r.errorCode])).toEqual([[A, ErrorCode.KAFKA_STORAGE_ERROR], [B, 0], [A, ErrorCode.KAFKA_STORAGE_ERROR]]);
    // The log was dropped: the router would reopen it (from disk) on the next request.
    const next = appendItems(await w.handle(appendTask(1, [{ key: A, records: makeBatch(1) }])))[0]!;
    expect(isPartitionNotOpen(next)).toBe(true);
    value<PartitionState[]>(await w.handle({ op: 'open', partitions: [partitionSpec(dir, {}, A)] }));
    expect((await readValues(w, A)).map((v) => v.split(':')[1]!.slice(0, 7))).toEqual(['before-', 'before-']);
    expect(await readValues(w, B)).toHaveLength(1);
  });
});

describe('PartitionWorker: maintenance', () => {
  it('a partition whose maintenance fails comes back with the cause; the others are maintained', async () => {
    const w = new PartitionWorker();
    const dir = tempDir();
    const a = partitionSpec(dir, {}, 'a:0' as PartitionId);
    const b = { ...partitionSpec(dir, {}, 'b:0' as PartitionId), dir: path.join(dir, 'b-0') };
    value<PartitionState[]>(await w.handle({ op: 'open', partitions: [a, b] }));
    const failing = w.logs.get(a.key)!;
    const spy = vi.spyOn(failing, 'maintenance').mockRejectedValue(Object.assign(new Error('EIO: i/o error, unlink'), { code: 'EIO' }));
    try {
      const states = value<PartitionState[]>(await w.handle({ op: 'maintenance', nowMs: Date.now() }));
      const byKey = new Map(states.map((s) => [s.key, s]));
      expect(byKey.get(a.key)!.maintenanceError).toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR, message: 'EIO: i/o error, unlink' });
      expect(byKey.get(a.key)!.maintenanceError!.stack).toContain('EIO');
      expect(byKey.get(b.key)!.maintenanceError).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('PartitionWorker: flush.messages with staged writes', () => {
  it('never starts an fsync before the staged bytes it covers are written', async () => {
    const events: string[] = [];
    const w = new PartitionWorker({ fdatasync: async () => void events.push('fdatasync') });
    const dir = tempDir();
    const a = partitionSpec(dir, { flushMessages: 1 }, 'a:0' as PartitionId);
    value<PartitionState[]>(await w.handle({ op: 'open', partitions: [a] }));
    const real = fs.writevSync;
    const writev = vi.spyOn(fs, 'writevSync').mockImplementation((fd, buffers, position) => {
      events.push('writev');
      return real(fd, buffers as NodeJS.ArrayBufferView[], position as number);
    });
    try {
      const items = Array.from({ length: 3 }, (_, i) => ({ key: a.key, records: makeBatch(1, { prefix: `f${i}-` }) }));
      const results = appendItems(await w.handle(appendTask(1, items)));
      expect(results.map((r) => r.errorCode)).toEqual([0, 0, 0]);
    } finally {
      writev.mockRestore();
    }
    expect(events[0]).toBe('writev');
    expect(events).toContain('fdatasync');
  });
});
