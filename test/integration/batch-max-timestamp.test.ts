// Integration: batches whose header maxTimestamp is -1 (Sarama 1.22 and other old producers;
// issue 12, bug 12). The broker recomputes maxTimestamp (and the CRC) from the records, so
// ListOffsets by timestamp finds them and consumers get a batch whose CRC checks — uncompressed,
// and zstd (decompressed in the worker thread).
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { MAX_TIMESTAMP_OFFSET, updateCrc, validateBatches, writeInt64 } from '../../src/protocol/record-batch.js';
import { encodeRecordBatch, type CompressionName } from '../../src/protocol/records.js';
import { codecsReady } from '../../src/protocol/compression.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { withConnection } from '../helpers/raw-kafka.js';
import { fetch, listOffset, produce } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;

beforeAll(async () => {
  await codecsReady();
  broker = await startBroker();
});

/** Three records at base, base+7, base+3, header maxTimestamp -1 (CRC computed over that). */
function saramaBatch(compression: CompressionName, base: number): Buffer {
  const batch = encodeRecordBatch({
    baseTimestamp: base,
    compression,
    records: [0, 7, 3].map((d, i) => ({ key: null, value: Buffer.from(`r${i}`), timestamp: base + d })),
  });
  writeInt64(batch, MAX_TIMESTAMP_OFFSET, -1);
  updateCrc(batch, 0);
  return batch;
}

describe('a produced batch with maxTimestamp -1', () => {
  for (const compression of ['none', 'zstd'] as const) {
    it(`is stored with its real max timestamp and found by ListOffsets (${compression})`, async () => {
      const topic = uniqueTopic(compression);
      await createTopicOn(broker.bootstrap, topic, 1);
      const base = Date.now() - 60_000;
      await withConnection(broker.host, broker.port, async (c) => {
        const early = encodeRecordBatch({ baseTimestamp: base - 10_000, records: [{ key: null, value: Buffer.from('early') }] });
        expect((await produce(c, topic, 0, early)).errorCode).toBe(ErrorCode.NONE); // offset 0
        const r = await produce(c, topic, 0, saramaBatch(compression, base)); // offsets 1..3
        expect([r.errorCode, r.baseOffset]).toEqual([ErrorCode.NONE, 1n]);

        const byTime = await listOffset(c, topic, 0, base + 5);
        expect(byTime.errorCode).toBe(ErrorCode.NONE);
        expect(Number(byTime.offset)).toBeGreaterThanOrEqual(1); // uncompressed: the record at base+7 (offset 2)
        expect(Number(byTime.offset)).toBeLessThanOrEqual(compression === 'none' ? 2 : 3);
        if (compression === 'none') expect([byTime.offset, byTime.timestamp]).toEqual([2n, BigInt(base + 7)]);
        expect((await listOffset(c, topic, 0, -3)).timestamp).toBe(BigInt(base + 7)); // max timestamp

        const f = await fetch(c, topic, 0, 1);
        expect(f.batches.map((b) => b.maxTimestamp)).toEqual([base + 7]);
        expect(validateBatches(f.records!, 0, f.records!.length).ok).toBe(true);
        expect(f.batches[0]!.records.map((x) => x.timestamp)).toEqual([base, base + 7, base + 3]);
      });
    });
  }
});
