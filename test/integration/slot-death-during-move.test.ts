// A worker slot thread that dies in the middle of a partition move — the old slot (while the
// partition drains and closes there) or the new one (while it opens there) — loses nothing
// acknowledged and writes nothing twice: the partition ends up open on the new slot, recovered
// from its files. Runs the real Piscina slots on the built worker (dist/, built by the global
// setup), with appends (acks=all) in flight at every move.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionId } from '../../src/ipc/partition-id.js';
import type { PartitionSpec } from '../../src/ipc/tasks.js';
import { PartitionEngine } from '../../src/partitions/partition-engine.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { logConfig } from '../unit/workers/log-fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workerFile = pathToFileURL(path.join(root, 'dist/workers/partition-worker.js'));
const ROUNDS = 12;
const APPENDS_PER_ROUND = 6;

let engine: PartitionEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

const batch = (value: string) => encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });

describe('a slot thread dying during a partition move', () => {
  for (const victim of ['old', 'new'] as const) {
    it(`keeps every acknowledged record when the ${victim} slot dies mid-move`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-move-death-${victim}-`));
      engine = PartitionEngine.create({ workerFile, slots: 2, concurrentTasksPerSlot: 8, logger: pino({ level: 'silent' }), faultInjection: true });
      const spec: PartitionSpec = { key: partitionId('ef'.repeat(16), 0), topic: 'm', topicId: 'ef'.repeat(16), partition: 0, dir: path.join(dir, 'm-0'), config: logConfig() };
      await engine.open([spec]);
      const acked: string[] = [];
      let failed = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const e = engine;
        const appends = Array.from({ length: APPENDS_PER_ROUND }, (_, i) => {
          const value = `r${round}-${i}`;
          return e.append(-1, [{ key: spec.key, records: batch(value) }]).then(
            ([r]) => (r!.errorCode === ErrorCode.NONE ? acked.push(value) : failed++),
            (err: { errorCode?: number }) => {
              // Only a retriable error may come back (the client would retry it).
              expect(err.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
              failed++;
            },
          );
        });
        const from = e.slotOf(spec.key)!;
        const to = 1 - from;
        const move = e.movePartition(spec.key, to, 'test');
        // Odd rounds kill the thread at once, even rounds after the move has begun closing.
        if (round % 2 === 0) await Promise.resolve();
        const crash = e.crashSlot(victim === 'old' ? from : to);
        const [report] = await Promise.all([move, crash, ...appends]);
        expect(report).toMatchObject({ from, to });
        expect(e.slotOf(spec.key)).toBe(to);
        // And right after the move, on the new slot.
        const [after] = await e.append(-1, [{ key: spec.key, records: batch(`r${round}-after`) }]);
        expect(after!.errorCode).toBe(ErrorCode.NONE);
        acked.push(`r${round}-after`);
      }
      // The partition serves appends and reads from its new slot afterwards.
      const [last] = await engine.append(-1, [{ key: spec.key, records: batch('last') }]);
      expect(last!.errorCode).toBe(ErrorCode.NONE);
      acked.push('last');
      engine.tail.drop(spec.key); // read the files through the worker, not the router's cache
      const [read] = await engine.read([{ key: spec.key, fetchOffset: 0, maxBytes: 64 << 20, minOneBatch: true }]);
      expect(read!.errorCode).toBe(ErrorCode.NONE);
      const records = decodeRecordBatches(read!.records!).flatMap((b) => b.records);
      expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
      const values = records.map((r) => r.value!.toString());
      expect(new Set(values).size).toBe(values.length); // nothing written twice
      for (const value of acked) expect(values).toContain(value); // nothing acknowledged lost
      // Acknowledged records keep the order they were acknowledged in (one partition: append
      // order); unacknowledged ones may sit between them.
      const ackedSet = new Set(acked);
      expect(values.filter((v) => ackedSet.has(v))).toEqual(acked);
      expect(acked.length + failed).toBe(ROUNDS * (APPENDS_PER_ROUND + 1) + 1);
    }, 60_000);
  }
});
