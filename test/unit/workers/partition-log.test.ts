import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../workers/partition-log.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP } from '../../../src/ipc/tasks.js';
import {
  LEGACY_MAGIC_MESSAGE,
  MAX_TIMESTAMP_OFFSET,
  computeBatchCrc,
  isLogAppendTime,
  readBaseOffset,
  readCrc,
  readLastOffset,
  readMaxTimestamp,
  readPartitionLeaderEpoch,
  updateCrc,
  validateBatches,
  writeBaseOffset,
  writeInt64,
  writePartitionLeaderEpoch,
} from '../../../src/protocol/record-batch.js';
import { codecsReady } from '../../../src/protocol/compression.js';
import { decodeRecordBatches } from '../../../src/protocol/records.js';
import { abandonOpenLogs, cleanupDirs, openLog, fakeClock, makeBatch, tempDir } from './log-fixtures.js';

afterEach(() => cleanupDirs());

afterEach(() => abandonOpenLogs());

function read(log: PartitionLog, fetchOffset: number, maxBytes = 1 << 20, minOneBatch = true): { errorCode: number; records: Buffer } {
  const plan = log.planRead(fetchOffset, maxBytes, minOneBatch);
  const buf = Buffer.alloc(plan.totalBytes);
  const length = log.executeRead(plan, buf, 0);
  return { errorCode: plan.errorCode, records: buf.subarray(0, length) };
}

function append(log: PartitionLog, ...batches: Buffer[]) {
  // The worker owns (and rewrites) the request bytes: pass a copy.
  return log.append(Buffer.from(Buffer.concat(batches)), 1).result;
}

/** What the log must store for a produced batch: baseOffset and leader epoch rewritten only. */
function asStored(batch: Buffer, baseOffset: number): Buffer {
  const copy = Buffer.from(batch);
  writeBaseOffset(copy, 0, baseOffset);
  writePartitionLeaderEpoch(copy, 0, 0);
  return copy;
}

function segmentFiles(log: PartitionLog, suffix: string): string[] {
  return fs.readdirSync(log.dir).filter((n) => n.endsWith(suffix)).sort();
}

describe('PartitionLog append and read', () => {
  it('round-trips batches byte-exact with offsets assigned', () => {
    const log = openLog(tempDir());
    const a = makeBatch(3, { prefix: 'a' });
    const b = makeBatch(2, { prefix: 'b' });
    const c = makeBatch(4, { prefix: 'c', compression: 'gzip' });
    const r1 = append(log, a);
    const r2 = append(log, b, c); // two batches in one request
    expect(r1).toMatchObject({ errorCode: 0, baseOffset: 0, highWatermark: 3, logAppendTimeMs: -1, recordErrors: [] });
    expect(r2).toMatchObject({ errorCode: 0, baseOffset: 3, highWatermark: 9 });
    expect(log.nextOffset).toBe(9);

    const { errorCode, records } = read(log, 0);
    expect(errorCode).toBe(0);
    expect(records.equals(Buffer.concat([asStored(a, 0), asStored(b, 3), asStored(c, 5)]))).toBe(true);
    // The file holds exactly those bytes too.
    expect(fs.readFileSync(path.join(log.dir, '00000000000000000000.log')).equals(records)).toBe(true);
    const decoded = decodeRecordBatches(records);
    expect(decoded.flatMap((x) => x.records.map((r) => r.offset))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decoded[2].records[3].value?.toString()).toBe('c-3');
    expect(validateBatches(records, 0, records.length).ok).toBe(true);
  });

  it('returns the batch containing a fetch offset inside it', () => {
    const log = openLog(tempDir());
    append(log, makeBatch(5));
    append(log, makeBatch(5));
    const { records } = read(log, 7);
    expect(readBaseOffset(records, 0)).toBe(5);
    expect(readLastOffset(records, 0)).toBe(9);
    expect(decodeRecordBatches(records)).toHaveLength(1);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the high watermark and empty at it', () => {
    const log = openLog(tempDir());
    append(log, makeBatch(2));
    expect(read(log, 2)).toMatchObject({ errorCode: 0 });
    expect(read(log, 2).records.length).toBe(0);
    expect(read(log, 3).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(read(log, -1).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('respects maxBytes with whole batches only and minOneBatch', () => {
    const log = openLog(tempDir());
    const batches = [0, 1, 2, 3].map(() => makeBatch(1, { valueSize: 100 }));
    for (const b of batches) append(log, b);
    const size = batches[0].length;
    expect(decodeRecordBatches(read(log, 0, size * 2 + 10).records)).toHaveLength(2);
    expect(read(log, 0, size * 2 + 10).records.length).toBe(size * 2);
    expect(read(log, 0, 10, true).records.length).toBe(size);
    expect(read(log, 0, 10, false).records.length).toBe(0);
  });

  it('rejects a CRC mismatch and writes nothing of the request', () => {
    const log = openLog(tempDir());
    append(log, makeBatch(1));
    const good = makeBatch(2);
    const bad = makeBatch(2);
    bad[bad.length - 3] ^= 0x5a;
    const r = append(log, good, bad);
    expect(r.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(r.recordErrors).toEqual([{ batchIndex: 1, message: expect.stringMatching(/crc/) }]);
    expect(log.nextOffset).toBe(1);
    expect(log.sizeBytes).toBe(makeBatch(1).length);
  });

  it('rejects a lying batchLength as corrupt', () => {
    const log = openLog(tempDir());
    const b = makeBatch(2);
    b.writeInt32BE(b.readInt32BE(8) + 100, 8);
    expect(append(log, b).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const c = makeBatch(2);
    c.writeInt32BE(c.readInt32BE(8) - 5, 8);
    expect(append(log, c).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(log.sizeBytes).toBe(0);
  });

  it('rejects message format v0/v1 with a clear message', () => {
    const log = openLog(tempDir());
    const b = makeBatch(1);
    b.writeInt8(1, 16);
    const r = append(log, b);
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.errorMessage).toBe(LEGACY_MAGIC_MESSAGE);
    expect(log.sizeBytes).toBe(0);
  });

  it('rejects batches over max.message.bytes', () => {
    const log = openLog(tempDir(), { maxMessageBytes: 500 });
    append(log, makeBatch(1));
    const r = append(log, makeBatch(1), makeBatch(1, { valueSize: 600 }));
    expect(r.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    // The catalogue code travels as a field, not inside the message; no stack: an expected failure.
    expect(r.cause).toEqual({ code: ErrorCode.MESSAGE_TOO_LARGE, strataCode: 'STRATA_ERR_MESSAGE_TOO_LARGE', message: r.errorMessage });
    expect(r.recordErrors[0].batchIndex).toBe(1);
    expect(log.nextOffset).toBe(1);
  });

  it('rejects a batch whose count disagrees with lastOffsetDelta (INVALID_RECORD)', () => {
    const log = openLog(tempDir());
    const b = makeBatch(3);
    b.writeInt32BE(7, 57);
    // keep the CRC valid so the semantic check is what fails
    b.writeUInt32BE(computeBatchCrc(b, 0, b.length), 17);
    expect(append(log, b).errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  it('applies LogAppendTime: attribute bit, maxTimestamp, valid CRC', () => {
    const clock = fakeClock(1_800_000_000_000);
    const log = openLog(tempDir(), { timestampType: 'LogAppendTime' }, { now: clock.now });
    const b = makeBatch(3, { timestamp: 5 });
    const r = append(log, b);
    expect(r.logAppendTimeMs).toBe(1_800_000_000_000);
    const { records } = read(log, 0);
    expect(isLogAppendTime(records, 0)).toBe(true);
    expect(readMaxTimestamp(records, 0)).toBe(1_800_000_000_000);
    expect(readCrc(records, 0)).toBe(computeBatchCrc(records, 0, records.length));
    expect(readPartitionLeaderEpoch(records, 0)).toBe(0);
    expect(decodeRecordBatches(records)[0].records.every((x) => x.timestamp === 1_800_000_000_000)).toBe(true);
  });

  it('treats an empty records field as a no-op', () => {
    const log = openLog(tempDir());
    const r = log.append(Buffer.alloc(0), 1).result;
    expect(r.errorCode).toBe(0);
    expect(log.nextOffset).toBe(0);
  });
});

describe('PartitionLog segments and indexes', () => {
  it('writes sparse .index and .timeindex entries as Kafka does', async () => {
    const log = openLog(tempDir(), { indexIntervalBytes: 100 });
    const batches = Array.from({ length: 6 }, (_, i) => makeBatch(2, { valueSize: 40, timestamp: 1000 * (i + 1) }));
    for (const b of batches) append(log, b);
    await log.close();
    // Kafka's rule: before appending a batch at position p, if bytes since the last entry > interval,
    // add (batch last offset - base, p) to .index and (max timestamp so far, its batch's last offset) to .timeindex.
    const expectedIndex: number[][] = [];
    const expectedTime: number[][] = [];
    let since = 0;
    let position = 0;
    let maxTs = -1;
    let maxTsOffset = -1;
    batches.forEach((b, i) => {
      const lastOffset = i * 2 + 1;
      const ts = 1000 * (i + 1) + 1; // max record timestamp of the batch
      if (ts > maxTs) {
        maxTs = ts;
        maxTsOffset = lastOffset;
      }
      if (since > 100) {
        expectedIndex.push([lastOffset, position]);
        expectedTime.push([maxTs, maxTsOffset]);
        since = 0;
      }
      since += b.length;
      position += b.length;
    });
    expectedTime.push([maxTs, maxTsOffset]); // closing makes the last entry the segment's max (if larger)
    const dedup = expectedTime.filter((e, i) => i === 0 || e[0] > expectedTime[i - 1][0]);
    const index = fs.readFileSync(path.join(log.dir, '00000000000000000000.index'));
    const timeIndex = fs.readFileSync(path.join(log.dir, '00000000000000000000.timeindex'));
    const indexBytes = Buffer.alloc(expectedIndex.length * 8);
    expectedIndex.forEach(([o, p], i) => {
      indexBytes.writeInt32BE(o, i * 8);
      indexBytes.writeInt32BE(p, i * 8 + 4);
    });
    const timeBytes = Buffer.alloc(dedup.length * 12);
    dedup.forEach(([t, o], i) => {
      timeBytes.writeBigInt64BE(BigInt(t), i * 12);
      timeBytes.writeInt32BE(o, i * 12 + 8);
    });
    expect(expectedIndex.length).toBeGreaterThan(2);
    expect(index.equals(indexBytes)).toBe(true);
    expect(timeIndex.equals(timeBytes)).toBe(true);
  });

  it('rolls by segment.bytes before a batch that does not fit, and reads across segments', () => {
    const one = makeBatch(2, { valueSize: 50 });
    const log = openLog(tempDir(), { segmentBytes: one.length * 3 + 10 });
    for (let i = 0; i < 7; i++) append(log, makeBatch(2, { valueSize: 50 }));
    expect(segmentFiles(log, '.log')).toEqual(['00000000000000000000.log', '00000000000000000006.log', '00000000000000000012.log']);
    expect(log.segmentCount).toBe(3);
    const all = read(log, 0, 1 << 20).records;
    expect(decodeRecordBatches(all).map((b) => b.baseOffset)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    // A fetch inside segment 2 continues into segment 3 within budget.
    const mid = read(log, 9, one.length * 3).records;
    expect(decodeRecordBatches(mid).map((b) => b.baseOffset)).toEqual([8, 10, 12]);
    // One request spanning a roll is split between segments.
    const log2 = openLog(tempDir(), { segmentBytes: one.length * 2 + 10 });
    append(log2, ...Array.from({ length: 5 }, () => makeBatch(2, { valueSize: 50 })));
    expect(log2.segmentBaseOffsets()).toEqual([0, 4, 8]);
    expect(decodeRecordBatches(read(log2, 0).records)).toHaveLength(5);
  });

  it('rolls by segment.ms on append and in maintenance (fake clock)', async () => {
    const clock = fakeClock();
    const log = openLog(tempDir(), { segmentMs: 1000 }, { now: clock.now });
    append(log, makeBatch(1));
    clock.advance(999);
    append(log, makeBatch(1));
    expect(log.segmentCount).toBe(1);
    clock.advance(1);
    append(log, makeBatch(1));
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
    await log.maintenance(clock.now() + 1000);
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 3]);
    // an empty active segment never rolls
    await log.maintenance(clock.now() + 5000);
    expect(log.segmentCount).toBe(3);
  });

  it('deletes segments by retention.ms and advances logStartOffset', async () => {
    const clock = fakeClock(10_000_000);
    const log = openLog(tempDir(), { segmentMs: 1000, retentionMs: 5000 }, { now: clock.now });
    for (let i = 0; i < 4; i++) {
      append(log, makeBatch(2, { timestamp: clock.now() }));
      clock.advance(1000);
    }
    append(log, makeBatch(2, { timestamp: clock.now() })); // rolls: segments 0,2,4,6,8
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 4, 6, 8]);
    // segments with max ts 10_000_001 and 10_001_001 are > 5000 ms old; the active one (8) also
    // rolls by segment.ms in the same pass.
    await log.maintenance(10_000_000 + 6500);
    expect(log.segmentBaseOffsets()).toEqual([4, 6, 8, 10]);
    expect(log.logStartOffset).toBe(4);
    expect(segmentFiles(log, '.log')).toEqual(['00000000000000000004.log', '00000000000000000006.log', '00000000000000000008.log', '00000000000000000010.log']);
    expect(segmentFiles(log, '.index')).toHaveLength(4);
    expect(read(log, 1).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(read(log, 4).errorCode).toBe(0);
    expect(log.listOffsets(EARLIEST_TIMESTAMP).offset).toBe(4);
    // never the active segment
    await log.maintenance(10_000_000 + 1_000_000);
    expect(log.segmentBaseOffsets()).toEqual([10]);
    expect(log.logStartOffset).toBe(10);
    expect(read(log, 10).errorCode).toBe(0);
  });

  it('deletes oldest segments by retention.bytes (Kafka: while size - segment >= retention.bytes)', async () => {
    const b = makeBatch(1, { valueSize: 100 });
    const log = openLog(tempDir(), { segmentBytes: b.length + 1, retentionBytes: b.length * 3 });
    for (let i = 0; i < 6; i++) append(log, makeBatch(1, { valueSize: 100 }));
    expect(log.segmentCount).toBe(6);
    await log.maintenance(Date.now());
    expect(log.segmentBaseOffsets()).toEqual([3, 4, 5]);
    expect(log.sizeBytes).toBe(b.length * 3);
  });

  it('rebuilds a deleted .index of a sealed segment and of the active segment', async () => {
    const dir = tempDir();
    const b = makeBatch(2, { valueSize: 60 });
    const cfg = { segmentBytes: b.length * 5 + 1, indexIntervalBytes: 50 };
    let log = openLog(dir, cfg);
    for (let i = 0; i < 8; i++) append(log, makeBatch(2, { valueSize: 60 }));
    await log.close();
    const sealedIndex = path.join(log.dir, '00000000000000000000.index');
    const activeIndex = path.join(log.dir, '00000000000000000010.index');
    const sealedBefore = fs.readFileSync(sealedIndex);
    const activeBefore = fs.readFileSync(activeIndex);
    fs.rmSync(sealedIndex);
    fs.rmSync(activeIndex);
    log = openLog(dir, cfg);
    expect(decodeRecordBatches(read(log, 5).records)[0].baseOffset).toBe(4);
    expect(fs.readFileSync(sealedIndex).equals(sealedBefore)).toBe(true);
    expect(fs.readFileSync(activeIndex).equals(activeBefore)).toBe(true);
    expect(decodeRecordBatches(read(log, 13).records)[0].baseOffset).toBe(12);
  });

  it('lists offsets: earliest, latest, max timestamp, by timestamp', () => {
    const log = openLog(tempDir(), { indexIntervalBytes: 1 });
    append(log, makeBatch(3, { timestamp: 1000 })); // 0..2 ts 1000..1002
    append(log, makeBatch(3, { timestamp: 5000 })); // 3..5 ts 5000..5002
    append(log, makeBatch(3, { timestamp: 2000 })); // 6..8 ts 2000..2002
    expect(log.listOffsets(EARLIEST_TIMESTAMP)).toMatchObject({ offset: 0, timestamp: -1 });
    expect(log.listOffsets(LATEST_TIMESTAMP)).toMatchObject({ offset: 9, timestamp: -1 });
    expect(log.listOffsets(MAX_TIMESTAMP)).toMatchObject({ offset: 5, timestamp: 5002 });
    expect(log.listOffsets(1001)).toMatchObject({ offset: 1, timestamp: 1001 });
    expect(log.listOffsets(1500)).toMatchObject({ offset: 3, timestamp: 5000 });
    expect(log.listOffsets(5002)).toMatchObject({ offset: 5, timestamp: 5002 });
    expect(log.listOffsets(9999)).toMatchObject({ offset: -1, timestamp: -1 });
  });
});

describe('PartitionLog idempotent producers', () => {
  const idem = (seq: number, n = 2, epoch = 0, producerId = 77) => makeBatch(n, { producerId, producerEpoch: epoch, baseSequence: seq });

  it('answers a duplicate with the original offset and does not append it', () => {
    const log = openLog(tempDir());
    expect(append(log, idem(0)).baseOffset).toBe(0);
    expect(append(log, idem(2)).baseOffset).toBe(2);
    const size = log.sizeBytes;
    const dup = append(log, idem(0));
    expect(dup).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(append(log, idem(2)).baseOffset).toBe(2);
    expect(log.sizeBytes).toBe(size);
    expect(log.nextOffset).toBe(4);
  });

  it('rejects a sequence gap (45), an older epoch (47), a new epoch not at 0 (45)', () => {
    const log = openLog(tempDir());
    append(log, idem(0, 2, 3));
    expect(append(log, idem(5, 2, 3)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(append(log, idem(2, 2, 2)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(append(log, idem(7, 2, 4)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(append(log, idem(0, 2, 4)).errorCode).toBe(0);
    expect(append(log, idem(2, 2, 3)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(log.nextOffset).toBe(4);
  });

  it('accepts an unknown producer at any sequence (Kafka 3.x) and wraps sequences at INT32_MAX', () => {
    const log = openLog(tempDir());
    expect(append(log, idem(0x7ffffffe, 2)).errorCode).toBe(0); // covers 2147483646..2147483647
    expect(append(log, idem(0, 3)).errorCode).toBe(0);
    expect(append(log, idem(4, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(append(log, idem(3, 1)).errorCode).toBe(0);
  });

  it('chains batches of one request and rejects the whole request on a gap inside it', () => {
    const log = openLog(tempDir());
    expect(append(log, idem(0), idem(2)).errorCode).toBe(0);
    const r = append(log, idem(4), idem(9));
    expect(r.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(r.cause).toMatchObject({ strataCode: 'STRATA_ERR_OUT_OF_ORDER_SEQUENCE' });
    expect(r.recordErrors[0].batchIndex).toBe(1);
    expect(log.nextOffset).toBe(4);
  });

  it('survives close and reopen (snapshot)', async () => {
    const dir = tempDir();
    let log = openLog(dir);
    append(log, idem(0));
    append(log, idem(2));
    await log.close();
    expect(fs.readdirSync(log.dir).filter((n) => n.endsWith('.snapshot'))).toContain('00000000000000000004.snapshot');
    log = openLog(dir);
    expect(log.recoveryStats.scannedBytes).toBe(0);
    expect(append(log, idem(2))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(append(log, idem(6)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(append(log, idem(4)).baseOffset).toBe(4);
  });

  it('survives an unclean stop (rebuilt from the log)', async () => {
    const dir = tempDir();
    let log = openLog(dir);
    append(log, idem(0));
    await log.close();
    log = openLog(dir);
    append(log, idem(2));
    append(log, idem(4, 2, 0, 88));
    log.abandon(); // crash: no checkpoint, no snapshot for the last two appends
    log = openLog(dir);
    expect(log.recoveryStats.replayedBatches).toBe(2);
    expect(append(log, idem(2))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(append(log, idem(6, 2, 0, 88)).baseOffset).toBe(6);
    expect(append(log, idem(0, 2, 1)).errorCode).toBe(0); // epoch bump
    expect(append(log, idem(4, 2, 0)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});

describe('PartitionLog recovery', () => {
  it('truncates a torn tail and keeps appending after it', () => {
    const dir = tempDir();
    let log = openLog(dir);
    const batches = [makeBatch(2), makeBatch(3), makeBatch(1)];
    for (const b of batches) append(log, b);
    const goodSize = log.sizeBytes;
    log.abandon();
    const file = path.join(log.dir, '00000000000000000000.log');
    const half = makeBatch(4);
    writeBaseOffset(half, 0, 6);
    fs.appendFileSync(file, half.subarray(0, half.length >> 1));
    log = openLog(dir);
    expect(log.nextOffset).toBe(6);
    expect(log.recoveryStats.truncatedBytes).toBe(half.length >> 1);
    expect(fs.statSync(file).size).toBe(goodSize);
    expect(append(log, makeBatch(2)).baseOffset).toBe(6);
    expect(decodeRecordBatches(read(log, 0).records).map((b) => b.baseOffset)).toEqual([0, 2, 5, 6]);
  });

  it('truncates at a corrupt batch and garbage', () => {
    const dir = tempDir();
    let log = openLog(dir);
    append(log, makeBatch(2));
    append(log, makeBatch(2));
    const firstSize = makeBatch(2).length;
    log.abandon();
    const file = path.join(log.dir, '00000000000000000000.log');
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, firstSize + 70); // flip a byte in batch 2's records
    fs.closeSync(fd);
    fs.appendFileSync(file, Buffer.alloc(500, 0xab));
    log = openLog(dir);
    expect(log.nextOffset).toBe(2);
    expect(fs.statSync(file).size).toBe(firstSize);
    expect(log.recoveryStats.failure?.reason).toBe('crc-mismatch');
  });

  it('scans only the tail after the checkpoint', async () => {
    const dir = tempDir();
    const b = makeBatch(2, { valueSize: 100 });
    let log = openLog(dir, { segmentBytes: b.length * 3 + 1 });
    for (let i = 0; i < 7; i++) append(log, makeBatch(2, { valueSize: 100 }));
    // rolls at offsets 6 and 12 wrote checkpoints; the active segment holds one batch
    await log.settle();
    log.abandon();
    log = openLog(dir, { segmentBytes: b.length * 3 + 1 });
    expect(log.nextOffset).toBe(14);
    expect(log.recoveryStats.checkpointUsed).toBe(true);
    expect(log.recoveryStats.scannedBytes).toBeLessThanOrEqual(b.length);
    expect(decodeRecordBatches(read(log, 0).records)).toHaveLength(7);
  });
});

/** Files under `dir` this process holds open right now (Linux /proc/self/fd). */
function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) out.push(path.basename(target));
    } catch {
      // closed meanwhile
    }
  }
  return out.sort();
}

describe.runIf(process.platform === 'linux')('PartitionLog file descriptors', () => {
  // 10,000 partitions must fit a 20,000 fd limit: one fd per partition (the active .log), the
  // index files only while a write to them awaits its sync.
  it('a new partition holds only its .log fd, and new empty index files need no sync', () => {
    const log = openLog(tempDir());
    expect(openFilesUnder(log.dir)).toEqual(['00000000000000000000.log']);
    expect(fs.readdirSync(log.dir).filter((n) => n.endsWith('index')).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.timeindex']);
    expect(log.active.dirtyIndexes()).toEqual([]);
  });

  it('index fds are closed once the roll / checkpoint sync pass has flushed them, and after recovery', async () => {
    const dir = tempDir();
    const b = makeBatch(2, { valueSize: 100 });
    let log = openLog(dir, { segmentBytes: b.length * 3 + 1, indexIntervalBytes: 1 });
    for (let i = 0; i < 8; i++) append(log, makeBatch(2, { valueSize: 100 }));
    expect(log.segmentCount).toBe(3);
    await log.settle();
    await log.flush();
    expect(openFilesUnder(log.dir)).toEqual(['00000000000000000012.log']);
    expect(log.active.indexFdsOpen).toBe(false);
    // the checkpoints' index entries are on disk
    expect(fs.statSync(path.join(log.dir, '00000000000000000000.index')).size).toBeGreaterThan(0);
    await log.close();
    expect(openFilesUnder(log.dir)).toEqual([]);
    log = openLog(dir, { segmentBytes: b.length * 3 + 1, indexIntervalBytes: 1 });
    expect(log.nextOffset).toBe(16);
    expect(openFilesUnder(log.dir)).toEqual(['00000000000000000012.log']);
    // reads through the lazily loaded indexes of sealed segments still work
    expect(decodeRecordBatches(read(log, 3).records).length).toBeGreaterThan(0);
    log.abandon();
    // unclean: recovery rewrites the active segment's indexes, then lets their fds go
    log = openLog(dir, { segmentBytes: b.length * 3 + 1, indexIntervalBytes: 1 });
    expect(openFilesUnder(log.dir).filter((n) => n.endsWith('index'))).toEqual([]);
    expect(log.nextOffset).toBe(16);
  });

  it('a failed index sync keeps the index dirty for the next pass', async () => {
    let fail = true;
    const fdatasync = async (fd: number) => {
      if (fail && fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('.index')) throw new Error('EIO: injected');
    };
    const b = makeBatch(2, { valueSize: 100 });
    const log = openLog(tempDir(), { segmentBytes: b.length * 3 + 1, indexIntervalBytes: 1 }, { fdatasync });
    for (let i = 0; i < 4; i++) append(log, makeBatch(2, { valueSize: 100 })); // one roll
    await expect(log.flush()).rejects.toThrow('EIO');
    fail = false;
    await log.flush();
    expect(log.groupCommit.hasUnflushed).toBe(false);
    await log.settle();
    expect(openFilesUnder(log.dir).filter((n) => n.endsWith('index'))).toEqual([]);
  });
});

describe('PartitionLog durability', () => {
  it('group commit: many concurrent acks=-1 appends share fsyncs', async () => {
    let calls = 0;
    let release: (() => void) | null = null;
    const fdatasync = (fd: number) => {
      calls++;
      return new Promise<void>((resolve) => {
        release = () => {
          fs.fdatasyncSync(fd);
          resolve();
        };
      });
    };
    const log = openLog(tempDir(), {}, { fdatasync });
    const waits: Promise<void>[] = [];
    const first = log.append(makeBatch(1), -1);
    waits.push(log.waitDurable(first.ticket));
    expect(calls).toBe(1); // the first pass started
    for (let i = 0; i < 49; i++) waits.push(log.waitDurable(log.append(makeBatch(1), -1).ticket));
    expect(calls).toBe(1); // writes during the pass wait for the next one
    let settled = 0;
    for (const w of waits) void w.then(() => settled++);
    release!();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(1);
    expect(calls).toBe(2); // one more pass for the 49 queued
    release!();
    await Promise.all(waits);
    expect(calls).toBe(2);
    expect(log.groupCommit.syncCount).toBe(2);
  });

  it('acks=1 does not wait for fsync; flush.messages triggers one', async () => {
    let calls = 0;
    const fdatasync = async () => {
      calls++;
    };
    const log = openLog(tempDir(), { flushMessages: 5 }, { fdatasync });
    expect(log.append(makeBatch(2), 1).ticket).toBe(0);
    expect(calls).toBe(0);
    log.append(makeBatch(3), 1);
    expect(calls).toBe(1);
    await log.flush();
  });

  it('flush.ms is honoured by maintenance', async () => {
    let calls = 0;
    const clock = fakeClock();
    const log = openLog(tempDir(), { flushMs: 1000 }, { now: clock.now, fdatasync: async () => void calls++ });
    log.append(makeBatch(1), 1);
    await log.maintenance(clock.now() + 999);
    expect(calls).toBe(0);
    await log.maintenance(clock.now() + 1000);
    expect(calls).toBe(1);
  });
});

describe('PartitionLog batches with an impossible maxTimestamp (Sarama 1.22 writes -1)', () => {
  /** Records at BASE, BASE+7, BASE+3; header maxTimestamp -1 with a CRC that matches it. */
  function saramaBatch(compression: 'none' | 'gzip' | 'snappy' | 'zstd', base: number): Buffer {
    const batch = makeBatch(3, { compression, records: [0, 7, 3].map((d, i) => ({ key: null, value: Buffer.from(`s${i}`), timestamp: base + d })), timestamp: base });
    writeInt64(batch, MAX_TIMESTAMP_OFFSET, -1);
    updateCrc(batch, 0);
    return batch;
  }

  it('recomputes maxTimestamp and the CRC on append, so ListOffsets by timestamp and max timestamp find the records', async () => {
    await codecsReady();
    const log = openLog(tempDir(), { indexIntervalBytes: 1 });
    expect(append(log, makeBatch(2, { timestamp: 1000 })).errorCode).toBe(0); // 0..1
    expect(append(log, saramaBatch('none', 5000)).errorCode).toBe(0); // 2..4, max 5007
    expect(append(log, saramaBatch('snappy', 9000)).errorCode).toBe(0); // 5..7, max 9007
    expect(append(log, saramaBatch('zstd', 12000)).errorCode).toBe(0); // 8..10, max 12007
    const stored = read(log, 0).records;
    expect(validateBatches(stored, 0, stored.length).ok).toBe(true);
    expect(decodeRecordBatches(stored).map((b) => b.maxTimestamp)).toEqual([1001, 5007, 9007, 12007]);
    expect(log.listOffsets(5005)).toMatchObject({ offset: 3, timestamp: 5007 });
    // Compressed batches are decoded too: the record, not the batch's base offset.
    expect(log.listOffsets(9001)).toMatchObject({ offset: 6, timestamp: 9007 });
    expect(log.listOffsets(12007)).toMatchObject({ offset: 9, timestamp: 12007 });
    expect(log.listOffsets(MAX_TIMESTAMP)).toMatchObject({ timestamp: 12007 });
  });

  it('refuses a batch whose records cannot be read (CORRUPT_MESSAGE) and writes nothing of the request', () => {
    const log = openLog(tempDir());
    const bad = saramaBatch('gzip', 5000);
    bad.fill(0x55, 71, bad.length - 4);
    updateCrc(bad, 0);
    const r = append(log, makeBatch(1), bad);
    expect(r.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(r.errorMessage).toMatch(/maxTimestamp -1 is below its firstTimestamp 5000/);
    expect(log.nextOffset).toBe(0);
  });
});
