// Unit: validated appends are issued in call order per partition even when their checks finish
// in another order; a failed check still issues (with the error) and releases the next; other
// partitions do not wait. Also: which topics validate, and RecordNameStrategy's record names.
import { describe, expect, it } from 'vitest';
import { partitionId } from '../../../src/ipc/partition-id.js';
import { PartitionOrder, topicValidation } from '../../../src/schema-registry/produce-validation.js';
import { recordNameOf } from '../../../src/schema-registry/record-validation.js';

const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('PartitionOrder', () => {
  it('issues in call order per key while checks overlap', async () => {
    const order = new PartitionOrder();
    const p0 = partitionId('a'.repeat(32), 0);
    const p1 = partitionId('a'.repeat(32), 1);
    const issued: string[] = [];
    const checks = [deferred(), deferred(), deferred(), deferred()];
    const runs = [
      order.run(p0, async () => (await checks[0]!.promise, { ok: true }), async () => void issued.push('p0-first')),
      order.run(p0, async () => (await checks[1]!.promise, { ok: true }), async (o) => void issued.push(`p0-second:${o.ok}`)),
      order.run(p0, async () => (await checks[2]!.promise, { ok: true }), async () => void issued.push('p0-third')),
      order.run(p1, async () => (await checks[3]!.promise, { ok: true }), async () => void issued.push('p1')),
    ];
    checks[3]!.resolve();
    checks[2]!.resolve();
    checks[1]!.reject(new Error('store down'));
    await new Promise((r) => setTimeout(r, 10));
    expect(issued).toEqual(['p1']);
    checks[0]!.resolve();
    await Promise.all(runs);
    expect(issued).toEqual(['p1', 'p0-first', 'p0-second:false', 'p0-third']);
    expect(order.size).toBe(0);
  });
});

describe('topicValidation', () => {
  it('is undefined unless a validation config is true', () => {
    expect(topicValidation({})).toBeUndefined();
    expect(topicValidation({ 'confluent.value.schema.validation': 'false' })).toBeUndefined();
    expect(topicValidation({ 'confluent.value.schema.validation': 'true' })).toEqual({ key: undefined, value: 'TopicNameStrategy' });
    expect(topicValidation({ 'confluent.key.schema.validation': 'true', 'confluent.key.subject.name.strategy': 'io.confluent.kafka.serializers.subject.TopicRecordNameStrategy' })).toEqual({
      key: 'TopicRecordNameStrategy',
      value: undefined,
    });
  });

  it('names records for RecordNameStrategy', () => {
    expect(recordNameOf({ schemaType: 'AVRO', schema: '{"type":"record","name":"U","namespace":"a.b","fields":[]}', references: [] })).toBe('a.b.U');
    expect(recordNameOf({ schemaType: 'AVRO', schema: '{"type":"record","name":"x.U","namespace":"a.b","fields":[]}', references: [] })).toBe('x.U');
    expect(recordNameOf({ schemaType: 'JSON', schema: '{"title":"Order","type":"object"}', references: [] })).toBe('Order');
    expect(recordNameOf({ schemaType: 'PROTOBUF', schema: 'syntax = "proto3";\npackage shop;\nmessage Order { int32 a = 1; }', references: [] })).toBe('shop.Order');
    expect(recordNameOf({ schemaType: 'AVRO', schema: '"string"', references: [] })).toBeUndefined();
  });
});
