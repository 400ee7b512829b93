// A partition worker thread that dies is replaced, and its partitions are reopened
// (recovered from disk) on the next request: nothing acknowledged is lost. Runs the real
// Piscina pool on the built worker (dist/, built by the global setup).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PartitionSpec } from '../../src/ipc/tasks.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { PartitionEngine } from '../../src/router/partition-engine.js';
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
    engine = new PartitionEngine({ workerFile, slots: 1, concurrentTasksPerSlot: 8, logger, faultInjection: true });
    const spec: PartitionSpec = { key: 'abc:0', topic: 't', topicId: 'ab'.repeat(16), partition: 0, dir: path.join(dir, 't-0'), config: logConfig({ segmentBytes: 1 << 20 }) };
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
});
