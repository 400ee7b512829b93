import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRecordBatches, encodeRecordBatch, findRecordByTimestamp } from '../../../src/protocol/records.js';
import { validateBatches } from '../../../src/protocol/record-batch.js';
import { codecsReady } from '../../../src/protocol/compression.js';

const require = createRequire(import.meta.url);

describe('records', () => {
  it('round-trips keys, values, null, headers and timestamps (none and gzip)', () => {
    for (const compression of ['none', 'gzip'] as const) {
      const buf = encodeRecordBatch({
        baseOffset: 42,
        baseTimestamp: 1_700_000_000_000,
        producerId: 7,
        producerEpoch: 1,
        baseSequence: 5,
        compression,
        records: [
          { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_700_000_000_000 },
          { key: null, value: null, headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }], timestamp: 1_700_000_000_500 },
          { key: Buffer.alloc(0), value: Buffer.alloc(300, 1), timestamp: 1_699_999_999_000 },
        ],
      });
      expect(validateBatches(buf, 0, buf.length).ok).toBe(true);
      const [batch] = decodeRecordBatches(buf);
      expect(batch.baseOffset).toBe(42);
      expect(batch.compression).toBe(compression === 'gzip' ? 1 : 0);
      expect(batch.lastOffsetDelta).toBe(2);
      expect(batch.maxTimestamp).toBe(1_700_000_000_500);
      expect(batch.producerId).toBe(7);
      expect(batch.baseSequence).toBe(5);
      expect(batch.records.map((r) => r.offset)).toEqual([42, 43, 44]);
      expect(batch.records[0].key?.toString()).toBe('k1');
      expect(batch.records[1].key).toBeNull();
      expect(batch.records[1].value).toBeNull();
      expect(batch.records[1].headers).toEqual([{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }]);
      expect(batch.records[2].timestamp).toBe(1_699_999_999_000);
      expect(batch.records[2].value?.length).toBe(300);
    }
  });

  it('encodes byte-for-byte like KafkaJS (independent implementation)', async () => {
    const Long = require('kafkajs/src/utils/long');
    const KRecordBatch = require('kafkajs/src/protocol/recordBatch/v0').RecordBatch;
    const KRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
    const ts = 1_700_000_000_000;
    const inputs = [
      { key: Buffer.from('a'), value: Buffer.from('hello'), timestamp: ts, headers: { hk: Buffer.from('hv') } },
      { key: null, value: Buffer.from('world'), timestamp: ts + 10, headers: {} },
    ];
    const theirs = await KRecordBatch({
      firstOffset: Long.fromInt(0),
      firstTimestamp: ts,
      maxTimestamp: ts + 10,
      partitionLeaderEpoch: 0,
      lastOffsetDelta: 1,
      producerId: Long.fromValue(-1),
      producerEpoch: 0,
      firstSequence: 0,
      records: inputs.map((r, i) => KRecord({ offsetDelta: i, timestampDelta: r.timestamp - ts, key: r.key, value: r.value, headers: r.headers })),
    });
    const ours = encodeRecordBatch({
      baseTimestamp: ts,
      partitionLeaderEpoch: 0,
      producerEpoch: 0,
      baseSequence: 0,
      records: inputs.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })) })),
    });
    expect(ours.equals(theirs.buffer)).toBe(true);
  });

  it('round-trips batches with every Kafka codec, and bounds the decompressed size', async () => {
    await codecsReady();
    for (const compression of ['snappy', 'lz4', 'zstd'] as const) {
      const records = Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(1000, i) }));
      const buf = encodeRecordBatch({ compression, records });
      expect(validateBatches(buf, 0, buf.length).ok).toBe(true);
      const [batch] = decodeRecordBatches(buf);
      expect(batch.compression).toBe({ snappy: 2, lz4: 3, zstd: 4 }[compression]);
      expect(batch.records.map((r) => r.value?.[0])).toEqual(records.map((_, i) => i));
      expect(() => decodeRecordBatches(buf, 10_000)).toThrow(/more than the limit of 10000/);
    }
  });

  it('decodes a concatenation and ignores a trailing partial batch', () => {
    const a = encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('a') }] });
    const b = encodeRecordBatch({ baseOffset: 1, records: [{ key: null, value: Buffer.from('b') }] });
    const all = Buffer.concat([a, b, b.subarray(0, 20)]);
    const batches = decodeRecordBatches(all);
    expect(batches.map((x) => x.records[0].value?.toString())).toEqual(['a', 'b']);
  });

  it('finds the first record at or after a timestamp', () => {
    const buf = encodeRecordBatch({
      baseOffset: 10,
      baseTimestamp: 1000,
      records: [{ key: null, value: null, timestamp: 1000 }, { key: null, value: null, timestamp: 3000 }, { key: null, value: null, timestamp: 2000 }],
    });
    expect(findRecordByTimestamp(buf, 0, 1500)).toEqual({ offset: 11, timestamp: 3000 });
    expect(findRecordByTimestamp(buf, 0, 0)).toEqual({ offset: 10, timestamp: 1000 });
    expect(findRecordByTimestamp(buf, 0, 5000)).toBeNull();
    // Below the log start (DeleteRecords inside the batch): the first qualifying record at or above it.
    expect(findRecordByTimestamp(buf, 0, 1500, 12)).toEqual({ offset: 12, timestamp: 2000 });
    expect(findRecordByTimestamp(buf, 0, 2500, 12)).toBeNull();
  });

  it('finds the record by timestamp inside batches of every codec, not just the batch', async () => {
    await codecsReady();
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const buf = encodeRecordBatch({
        baseOffset: 10,
        baseTimestamp: 1000,
        compression,
        records: [1000, 2000, 3000].map((timestamp) => ({ key: null, value: Buffer.from(`v${timestamp}`), timestamp })),
      });
      expect(findRecordByTimestamp(buf, 0, 1500), compression).toEqual({ offset: 11, timestamp: 2000 });
      expect(findRecordByTimestamp(buf, 0, 3001), compression).toBeNull();
    }
  });

  it('property: decode(encode(x)) preserves records', () => {
    const record = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)), { nil: null }),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)), { nil: null }) }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 50 }), (records, gzip, baseOffset) => {
        const buf = encodeRecordBatch({ baseOffset, records, compression: gzip ? 'gzip' : 'none' });
        expect(validateBatches(buf, 0, buf.length).ok).toBe(true);
        const [batch] = decodeRecordBatches(buf);
        expect(batch.records.length).toBe(records.length);
        batch.records.forEach((r, i) => {
          expect(r.offset).toBe(baseOffset + i);
          expect(r.timestamp).toBe(records[i].timestamp);
          expect(r.key).toEqual(records[i].key);
          expect(r.value).toEqual(records[i].value);
          expect(r.headers).toEqual(records[i].headers);
        });
      }),
      { numRuns: 100 },
    );
  });
});
