// Unit tests of the admin-API side of the partition log and its worker ops: DeleteRecords
// (log start offset, persistence, segment deletion), OffsetForLeaderEpoch, log sizes and the
// producer listing for DescribeProducers.
import type { PartitionId } from '../../../src/ipc/partition-id.js';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../workers/partition-log.js';
import { PartitionWorker } from '../../../workers/partition-worker.js';
import { LOG_START_OFFSET_FILE } from '../../../workers/log-start-offset.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import {
  EARLIEST_TIMESTAMP,
  isPartitionNotOpen,
  type DeleteRecordsItemResult,
  type DescribeProducersItemResult,
  type LogSizeItemResult,
  type OffsetForLeaderEpochItemResult,
  type TaskResult,
} from '../../../src/ipc/tasks.js';
import { abandonOpenLogs, cleanupDirs, openLog, makeBatch, partitionSpec, tempDir } from './log-fixtures.js';

afterEach(() => cleanupDirs());

afterEach(() => abandonOpenLogs());

function append(log: PartitionLog, ...batches: Buffer[]) {
  return log.append(Buffer.from(Buffer.concat(batches)), 1).result;
}

function readCode(log: PartitionLog, fetchOffset: number): number {
  return log.planRead(fetchOffset, 1 << 20, true).errorCode;
}

function logFiles(log: PartitionLog): string[] {
  return fs.readdirSync(log.dir).filter((n) => n.endsWith('.log')).sort();
}

describe('PartitionLog.deleteRecords', () => {
  it('moves the log start offset; reads and ListOffsets earliest follow; lowWatermark is answered', async () => {
    const log = openLog(tempDir());
    for (let i = 0; i < 5; i++) append(log, makeBatch(2));
    const r = await log.deleteRecords(3);
    expect(r).toMatchObject({ errorCode: 0, lowWatermark: 3 });
    expect(r.state).toMatchObject({ logStartOffset: 3, highWatermark: 10, deleteRecordsOffset: 3 });
    expect(log.logStartOffset).toBe(3);
    expect(readCode(log, 2)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(readCode(log, 3)).toBe(0);
    expect(log.listOffsets(EARLIEST_TIMESTAMP).offset).toBe(3);
    // Lower than the current start: nothing changes, the current start is answered.
    expect(await log.deleteRecords(1)).toMatchObject({ errorCode: 0, lowWatermark: 3 });
    expect(log.logStartOffset).toBe(3);
  });

  it('-1 means the high watermark; beyond it or below -1 is OFFSET_OUT_OF_RANGE and changes nothing', async () => {
    const log = openLog(tempDir());
    append(log, makeBatch(4));
    expect(await log.deleteRecords(5)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1, state: null });
    expect(await log.deleteRecords(-2)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(log.logStartOffset).toBe(0);
    expect(await log.deleteRecords(-1)).toMatchObject({ errorCode: 0, lowWatermark: 4 });
    expect(readCode(log, 3)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(readCode(log, 4)).toBe(0);
    // Appends continue after it.
    expect(append(log, makeBatch(1)).baseOffset).toBe(4);
  });

  it('deletes sealed segments wholly below the new start, never the active one, and keeps producer state', async () => {
    const b = makeBatch(2, { valueSize: 100 });
    const log = openLog(tempDir(), { segmentBytes: b.length + 1 });
    const idem = (seq: number) => makeBatch(2, { producerId: 9, producerEpoch: 0, baseSequence: seq, valueSize: 100 });
    for (let i = 0; i < 4; i++) append(log, idem(i * 2)); // segments 0, 2, 4, 6
    await log.maintenance(Date.now()); // the rolls' flush + checkpoint settle
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 4, 6]);
    await log.deleteRecords(5);
    // 0 and 2 end at or below 5 (4 ends at 6): deleted.
    expect(log.segmentBaseOffsets()).toEqual([4, 6]);
    expect(logFiles(log)).toEqual(['00000000000000000004.log', '00000000000000000006.log']);
    expect(log.logStartOffset).toBe(5);
    // The batch holding 5 starts at 4: Fetch at 5 returns it whole, as Kafka does.
    expect(readCode(log, 5)).toBe(0);
    await log.deleteRecords(-1);
    expect(log.segmentBaseOffsets()).toEqual([6]);
    // The producer goes on in sequence.
    expect(append(log, idem(8)).errorCode).toBe(0);
  });

  it('survives close and reopen, and an unclean stop', async () => {
    const dir = tempDir();
    let log = openLog(dir);
    for (let i = 0; i < 5; i++) append(log, makeBatch(2));
    await log.deleteRecords(7);
    expect(fs.existsSync(`${log.dir}/${LOG_START_OFFSET_FILE}`)).toBe(true);
    await log.close();
    log = openLog(dir);
    expect(log.logStartOffset).toBe(7);
    expect(log.state().deleteRecordsOffset).toBe(7);
    expect(readCode(log, 6)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    await log.deleteRecords(8);
    log.abandon();
    log = openLog(dir);
    expect(log.logStartOffset).toBe(8);
    expect(log.listOffsets(EARLIEST_TIMESTAMP).offset).toBe(8);
  });

  it('restarts an empty log at the start offset when a crash lost the records it covered', async () => {
    const dir = tempDir();
    let log = openLog(dir);
    for (let i = 0; i < 5; i++) append(log, makeBatch(2));
    await log.deleteRecords(10);
    log.abandon();
    // The unflushed tail is lost (as a power cut can do): only 4 records survive.
    const logFile = `${log.dir}/00000000000000000000.log`;
    const keep = makeBatch(2).length * 2;
    fs.truncateSync(logFile, keep);
    fs.rmSync(`${log.dir}/recovery-point`, { force: true });
    log = openLog(dir);
    expect(log.nextOffset).toBe(10);
    expect(log.logStartOffset).toBe(10);
    expect(log.segmentBaseOffsets()).toEqual([10]);
    expect(append(log, makeBatch(1)).baseOffset).toBe(10);
  });

  it('ListOffsets by timestamp never answers an offset below the log start', async () => {
    const log = openLog(tempDir());
    append(log, makeBatch(4, { timestamp: 1000 })); // offsets 0..3, timestamps 1000..1003
    append(log, makeBatch(2, { timestamp: 2000 })); // offsets 4..5
    await log.deleteRecords(2);
    expect(log.listOffsets(1000)).toMatchObject({ offset: 2, timestamp: 1002 });
    expect(log.listOffsets(1003)).toMatchObject({ offset: 3, timestamp: 1003 });
    await log.deleteRecords(4);
    expect(log.listOffsets(1001)).toMatchObject({ offset: 4, timestamp: 2000 });
  });

  it('maintenance deletes segments below the start that were not yet flushed at the call', async () => {
    const b = makeBatch(2, { valueSize: 100 });
    const log = openLog(tempDir(), { segmentBytes: b.length + 1 });
    for (let i = 0; i < 3; i++) append(log, makeBatch(2, { valueSize: 100 })); // 0, 2, 4 (rolls pending)
    await log.deleteRecords(4);
    await log.maintenance(Date.now());
    expect(log.segmentBaseOffsets()).toEqual([4]);
  });
});

describe('PartitionLog.offsetForLeaderEpoch', () => {
  it('answers the log end offset for epoch 0, the start for older epochs, -1/-1 for unknown ones', async () => {
    const log = openLog(tempDir());
    expect(log.offsetForLeaderEpoch(0)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 0 });
    append(log, makeBatch(3));
    await log.deleteRecords(1);
    expect(log.offsetForLeaderEpoch(0)).toMatchObject({ leaderEpoch: 0, endOffset: 3 });
    expect(log.offsetForLeaderEpoch(1)).toMatchObject({ leaderEpoch: -1, endOffset: -1 });
    expect(log.offsetForLeaderEpoch(-1)).toMatchObject({ leaderEpoch: -1, endOffset: -1 });
    expect(log.offsetForLeaderEpoch(-3)).toMatchObject({ leaderEpoch: -3, endOffset: 1 });
  });
});

describe('PartitionLog sizes and producers', () => {
  it('reports local bytes and the idempotent producers it tracks', () => {
    const log = openLog(tempDir());
    expect(log.logSize()).toMatchObject({ sizeBytes: 0, logEndOffset: 0 });
    append(log, makeBatch(2, { producerId: 5, producerEpoch: 1, baseSequence: 0, timestamp: 5000 }));
    append(log, makeBatch(3, { producerId: 5, producerEpoch: 1, baseSequence: 2, timestamp: 6000 }));
    append(log, makeBatch(1, { producerId: 8, producerEpoch: 0, baseSequence: 0, timestamp: 7000 }));
    append(log, makeBatch(1)); // not idempotent
    expect(log.logSize().sizeBytes).toBe(log.sizeBytes);
    expect(log.logSize().sizeBytes).toBeGreaterThan(0);
    expect(log.logSize().logEndOffset).toBe(7);
    const producers = log.describeProducers().producers.sort((a, b) => a.producerId - b.producerId);
    expect(producers).toEqual([
      { producerId: 5, producerEpoch: 1, lastSequence: 4, lastTimestamp: 6002 },
      { producerId: 8, producerEpoch: 0, lastSequence: 0, lastTimestamp: 7000 },
    ]);
  });
});

function value<T>(r: TaskResult<unknown>): T {
  if (!r.ok) throw new Error(`task failed: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

describe('PartitionWorker admin ops', () => {
  it('dispatches deleteRecords, offsetForLeaderEpoch, logSize and describeProducers per item, NOT_OPEN for unknown keys', async () => {
    const w = new PartitionWorker();
    const spec = partitionSpec(tempDir(), {}, 'a:0' as PartitionId);
    await w.handle({ op: 'open', partitions: [spec] });
    const missing = 'zz:0' as PartitionId;
    const log = w.logs.get(spec.key)!;
    log.append(Buffer.from(makeBatch(4, { producerId: 3, producerEpoch: 0, baseSequence: 0 })), 1);

    const deleted = value<DeleteRecordsItemResult[]>(await w.handle({ op: 'deleteRecords', items: [{ key: spec.key, offset: 2 }, { key: missing, offset: 0 }, { key: spec.key, offset: 99 }] }));
    expect(deleted.map((d) => [d.errorCode, d.lowWatermark])).toEqual([[0, 2], [ErrorCode.NOT_LEADER_OR_FOLLOWER, -1], [ErrorCode.OFFSET_OUT_OF_RANGE, -1]]);
    expect(deleted.map((d) => isPartitionNotOpen(d))).toEqual([false, true, false]);

    const epochs = value<OffsetForLeaderEpochItemResult[]>(await w.handle({ op: 'offsetForLeaderEpoch', items: [{ key: spec.key, leaderEpoch: 0 }, { key: missing, leaderEpoch: 0 }] }));
    expect(epochs[0]).toEqual({ key: spec.key, errorCode: 0, leaderEpoch: 0, endOffset: 4 });
    expect(epochs[1]).toMatchObject({ key: missing, leaderEpoch: -1, endOffset: -1 });
    expect(isPartitionNotOpen(epochs[1])).toBe(true);

    const sizes = value<LogSizeItemResult[]>(await w.handle({ op: 'logSize', items: [{ key: spec.key }] }));
    expect(sizes[0]).toMatchObject({ errorCode: 0, sizeBytes: log.sizeBytes, logEndOffset: 4 });

    const producers = value<DescribeProducersItemResult[]>(await w.handle({ op: 'describeProducers', items: [{ key: spec.key }, { key: missing }] }));
    expect(producers[0]!.producers).toEqual([{ producerId: 3, producerEpoch: 0, lastSequence: 3, lastTimestamp: expect.any(Number) }]);
    expect(producers[1]).toMatchObject({ producers: [] });
    expect(isPartitionNotOpen(producers[1])).toBe(true);
    await w.handle({ op: 'close' });
  });
});
