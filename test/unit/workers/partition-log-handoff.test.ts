// A log handed from one slot to another (a partition move): release() closes it without any
// fsync and answers its exact end; a log opened from that handoff resumes there without
// scanning, keeps idempotent-producer state, and its first sync pass covers what the old owner
// left unflushed before any checkpoint claims it.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../workers/partition-log.js';
import { readCheckpoint } from '../../../workers/recovery.js';
import { decodeRecordBatches } from '../../../src/protocol/records.js';
import { abandonOpenLogs, cleanupDirs, makeBatch, partitionSpec, tempDir } from './log-fixtures.js';

afterEach(() => {
  abandonOpenLogs();
  cleanupDirs();
});

const idem = (seq: number, n = 2) => makeBatch(n, { producerId: 9, producerEpoch: 0, baseSequence: seq });
const appendAcks1 = (log: PartitionLog, batch: Buffer) => log.append(Buffer.from(batch), 1).result;

describe('PartitionLog handoff between slots', () => {
  it('releases without fsync, and the next owner resumes at the exact end with producer state, scanning nothing', async () => {
    const dir = tempDir();
    let syncs = 0;
    const fdatasync = async (fd: number) => {
      syncs++;
      fs.fdatasyncSync(fd);
    };
    const spec = partitionSpec(dir);
    const first = PartitionLog.open(spec, { fdatasync });
    expect(appendAcks1(first, idem(0)).baseOffset).toBe(0);
    expect(appendAcks1(first, idem(2)).baseOffset).toBe(2);
    const durableBefore = readCheckpoint(spec.dir);
    const handoff = await first.release();
    expect(syncs).toBe(0);
    expect(first.isClosed).toBe(true);
    expect(handoff.checkpoint).toMatchObject({ segmentBaseOffset: 0, nextOffset: 4 });
    expect(readCheckpoint(spec.dir)).toEqual(durableBefore); // the durable checkpoint is untouched

    const second = PartitionLog.open({ ...spec, handoff }, { fdatasync });
    expect(second.recoveryStats.scannedBytes).toBe(0);
    expect(second.nextOffset).toBe(4);
    // The old owner's acks=1 bytes were never fsynced: the new owner's next sync pass covers them.
    expect(second.groupCommit.hasUnflushed).toBe(true);
    // The producer's sequence state came along: a retried batch is a duplicate, the next one fits.
    expect(appendAcks1(second, idem(2))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(appendAcks1(second, idem(4)).baseOffset).toBe(4);
    const plan = second.planRead(0, 1 << 20, true);
    const buf = Buffer.alloc(plan.totalBytes);
    second.executeRead(plan, buf, 0);
    expect(decodeRecordBatches(buf).map((b) => b.baseOffset)).toEqual([0, 2, 4]);
    // What the first owner wrote with acks=1 is flushed by the new owner before its checkpoint.
    await second.close();
    expect(syncs).toBeGreaterThan(0);
    expect(readCheckpoint(spec.dir)).toMatchObject({ nextOffset: 6 });
  });

  it('ignores a handoff that does not match the files and recovers from them instead', async () => {
    const dir = tempDir();
    const spec = partitionSpec(dir);
    const first = PartitionLog.open(spec);
    appendAcks1(first, makeBatch(3));
    const handoff = await first.release();
    const wrong = { ...handoff, checkpoint: { ...handoff.checkpoint, segmentBaseOffset: 999 } };
    const second = PartitionLog.open({ ...spec, handoff: wrong });
    expect(second.nextOffset).toBe(3);
    expect(second.recoveryStats.scannedBytes).toBeGreaterThan(0);
    await second.close();
  });

  it('refuses to release a log twice', async () => {
    const log = PartitionLog.open(partitionSpec(tempDir()));
    await log.release();
    await expect(log.release()).rejects.toThrow(/closed/);
  });
});
