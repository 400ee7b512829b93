import { describe, expect, it } from 'vitest';
import { countRecords, forgetTopic, registry, topicCounters } from '../../../src/http/metrics.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';

describe('metrics helpers', () => {
  it('counts records from batch headers across several batches (none, gzip)', () => {
    const a = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('1') }, { key: null, value: Buffer.from('2') }] });
    const b = encodeRecordBatch({ compression: 'gzip', records: Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(String(i)) })) });
    expect(countRecords(a)).toBe(2);
    expect(countRecords(Buffer.concat([a, b]))).toBe(7);
    expect(countRecords(Buffer.alloc(10))).toBe(0);
    expect(countRecords(Buffer.concat([a, b.subarray(0, 40)]))).toBe(2); // truncated trailing batch header
  });

  it('per-topic series appear and disappear with the topic', async () => {
    topicCounters('unit-topic').bytesIn += 12;
    expect(await registry.getSingleMetricAsString('strata_topic_bytes_in_total')).toContain('strata_topic_bytes_in_total{topic="unit-topic"} 12');
    forgetTopic('unit-topic');
    expect(await registry.getSingleMetricAsString('strata_topic_bytes_in_total')).not.toContain('unit-topic');
  });
});
