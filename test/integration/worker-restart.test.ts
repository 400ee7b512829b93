// A partition worker thread that dies is replaced, and its partitions are reopened
// (recovered from disk) on the next request: nothing acknowledged is lost. Runs the real
// Piscina pool on the built worker (dist/, built by the global setup).
import { partitionId } from '../../src/ipc/partition-id.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PartitionSpec } from '../../src/ipc/tasks.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { PartitionEngine } from '../../src/partitions/partition-engine.js';
import { errorTable } from '../../src/protocol/generated/error-codes.js';
import { logConfig } from '../unit/workers/log-fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workerFile = pathToFileURL(path.join(root, 'dist/workers/partition-worker.js'));


let engine: PartitionEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

function batch(values: string[]): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
}

describe('worker slot replacement', () => {
  it('reopens partitions on a replaced thread and keeps every acknowledged record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-restart-'));
    const logLines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logLines.push(line) });
    engine = PartitionEngine.create({ workerFile, slots: 1, concurrentTasksPerSlot: 8, logger, faultInjection: true });
    const spec: PartitionSpec = { key: partitionId('ab'.repeat(16), 0), topic: 't', topicId: 'ab'.repeat(16), partition: 0, dir: path.join(dir, 't-0'), config: logConfig({ segmentBytes: 1 << 20 }) };
    await engine.open([spec]);

    const first = await engine.append(-1, [{ key: spec.key, records: batch(['a', 'b', 'c']) }]);
    expect(first[0]).toMatchObject({ errorCode: 0, baseOffset: 0, highWatermark: 3 });

    await engine.crashSlot(0);

    const second = await engine.append(-1, [{ key: spec.key, records: batch(['d', 'e']) }]);
    expect(second[0]).toMatchObject({ errorCode: 0, baseOffset: 3, highWatermark: 5 });
    // The append above really met a fresh thread that had to recover the partition.
    expect(logLines.some((l) => l.includes('reopening partitions on a replaced worker thread'))).toBe(true);

    const [read] = await engine.read([{ key: spec.key, fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }]);
    expect(read!.errorCode).toBe(0);
    const values = decodeRecordBatches(read!.records!).flatMap((b) => b.records.map((r) => `${r.offset}:${r.value!.toString()}`));
    expect(values).toEqual(['0:a', '1:b', '2:c', '3:d', '4:e']);
  });

  it('reads and offset lookups on a replaced thread reopen too, and no internal-only code reaches a result', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-reopen-'));
    const logLines: string[] = [];
    engine = PartitionEngine.create({ workerFile, slots: 1, concurrentTasksPerSlot: 8, logger: pino({ level: 'warn' }, { write: (l: string) => logLines.push(l) }), faultInjection: true });
    const spec: PartitionSpec = { key: partitionId('cd'.repeat(16), 0), topic: 'u', topicId: 'cd'.repeat(16), partition: 0, dir: path.join(dir, 'u-0'), config: logConfig() };
    await engine.open([spec]);
    await engine.append(-1, [{ key: spec.key, records: batch(['a', 'b']) }]);
    const codes: number[] = [];

    await engine.crashSlot(0);
    engine.tail.drop(spec.key); // force a worker read (not the router's tail cache)
    const [read] = await engine.read([{ key: spec.key, fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }]);
    codes.push(read!.errorCode);
    expect(read!.errorCode).toBe(0);
    expect(decodeRecordBatches(read!.records!).flatMap((x) => x.records.map((r) => r.value!.toString()))).toEqual(['a', 'b']);

    await engine.crashSlot(0);
    const [latest] = await engine.listOffsets([{ key: spec.key, timestamp: -1 }]);
    codes.push(latest!.errorCode);
    expect(latest).toMatchObject({ errorCode: 0, offset: 2 });
    expect(logLines.filter((l) => l.includes('reopening partitions on a replaced worker thread'))).toHaveLength(2);
    // The "not open on this slot" signal is internal: every code handed to a handler is Kafka's.
    for (const code of codes) expect(errorTable.has(code)).toBe(true);
  });

  it('a thread dying with a coalesced append task in flight loses nothing acknowledged and acknowledges nothing twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-coalesced-'));
    engine = PartitionEngine.create({ workerFile, slots: 1, concurrentTasksPerSlot: 8, logger: pino({ level: 'silent' }), faultInjection: true });
    const spec: PartitionSpec = { key: partitionId('ef'.repeat(16), 0), topic: 'v', topicId: 'ef'.repeat(16), partition: 0, dir: path.join(dir, 'v-0'), config: logConfig() };
    await engine.open([spec]);
    const e = engine;
    const acknowledged = new Map<number, string>();
    let rejected = 0;
    for (let round = 0; round < 5; round++) {
      // Twenty single-record acks=all requests in one turn (one task), and the thread dies meanwhile.
      const sent = Array.from({ length: 20 }, (_, i) => `r${round}-${i}`);
      const answers = sent.map((v) => e.append(-1, [{ key: spec.key, records: batch([v]) }]));
      // The thread dies under every other round's task (acks=all: it waits for its fsync).
      const crash = round % 2 === 0 ? e.crashSlot(0) : Promise.resolve();
      const settled = await Promise.allSettled(answers);
      await crash;
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled' && s.value[0]!.errorCode === 0) {
          expect(acknowledged.has(s.value[0]!.baseOffset)).toBe(false);
          acknowledged.set(s.value[0]!.baseOffset, sent[i]!);
        } else {
          rejected++;
          // Retriable for a client: the thread died under it.
          const code = s.status === 'rejected' ? (s.reason as { errorCode?: number }).errorCode : s.value[0]!.errorCode;
          expect(code).toBe(6); // NOT_LEADER_OR_FOLLOWER
        }
      });
    }
    // Whatever happened to each round, every acknowledged offset holds its own record.
    e.tail.drop(spec.key);
    const [read] = await e.read([{ key: spec.key, fetchOffset: 0, maxBytes: 1 << 22, minOneBatch: true }]);
    expect(read!.errorCode).toBe(0);
    // Rounds 1 and 3 ran on a live thread from start to end.
    expect(acknowledged.size).toBeGreaterThanOrEqual(40);
    const log = new Map(decodeRecordBatches(read!.records!).flatMap((b) => b.records.map((r) => [r.offset, r.value!.toString()] as const)));
    for (const [offset, value] of acknowledged) expect(log.get(offset)).toBe(value);
    expect(acknowledged.size + rejected).toBe(100);
  });

  it('hands a request frame\'s own buffer to the worker without copying, also when a replaced thread must reopen first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-transfer-'));
    engine = PartitionEngine.create({ workerFile, slots: 1, concurrentTasksPerSlot: 8, logger: pino({ level: 'silent' }), faultInjection: true });
    const specs: PartitionSpec[] = [0, 1].map((p) => ({ key: partitionId('ab'.repeat(16), p), topic: 't', topicId: 'ab'.repeat(16), partition: p, dir: path.join(dir, `t-${p}`), config: logConfig() }));
    await engine.open(specs);

    /** Like an assembled request frame: other bytes around two partitions' record batches. */
    const frameOf = (a: string[], b: string[]) => {
      const parts = [Buffer.from('header'), batch(a), Buffer.from('between'), batch(b)];
      const frame = Buffer.allocUnsafeSlow(parts.reduce((n, x) => n + x.length, 0));
      let at = 0;
      const views = parts.map((x) => {
        frame.set(x, at);
        at += x.length;
        return frame.subarray(at - x.length, at);
      });
      return { buffer: frame.buffer as ArrayBuffer, items: [{ key: specs[0]!.key, records: views[1]! }, { key: specs[1]!.key, records: views[3]! }] };
    };

    const first = frameOf(['a', 'b'], ['x']);
    const results = await engine.append(1, first.items, first.buffer);
    expect(results.map((r) => [r.errorCode, r.baseOffset])).toEqual([[0, 0], [0, 0]]);
    expect(first.buffer.byteLength).toBe(0); // transferred, not copied
    // The items now point into the buffer the worker handed back, offsets rewritten.
    expect(decodeRecordBatches(first.items[1]!.records)[0]!.records.map((r) => r.value!.toString())).toEqual(['x']);

    await engine.crashSlot(0);
    const second = frameOf(['c'], ['y', 'z']);
    const again = await engine.append(1, second.items, second.buffer);
    expect(again.map((r) => [r.errorCode, r.baseOffset])).toEqual([[0, 2], [0, 1]]);

    const reads = await engine.read(specs.map((s) => ({ key: s.key, fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true })));
    const values = reads.map((r) => decodeRecordBatches(r.records!).flatMap((b) => b.records.map((x) => `${x.offset}:${x.value!.toString()}`)));
    expect(values).toEqual([
      ['0:a', '1:b', '2:c'],
      ['0:x', '1:y', '2:z'],
    ]);
  });
});
