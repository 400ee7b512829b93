// Thread: vitest test worker. src/console/consumer-groups.ts: the consumer protocol's assignment
// bytes (as KafkaJS and the Java client write them) and lag sums.
import { describe, expect, it } from 'vitest';
import { decodeConsumerAssignment, lagPoint } from '../../../src/console/consumer-groups.js';

function assignment(topics: Array<[string, number[]]>, userData: Buffer | null = null): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 1])];
  const n = Buffer.alloc(4);
  n.writeInt32BE(topics.length);
  parts.push(n);
  for (const [topic, partitions] of topics) {
    const name = Buffer.from(topic);
    const len = Buffer.alloc(2);
    len.writeInt16BE(name.length);
    const count = Buffer.alloc(4);
    count.writeInt32BE(partitions.length);
    const ps = Buffer.alloc(4 * partitions.length);
    partitions.forEach((p, i) => ps.writeInt32BE(p, 4 * i));
    parts.push(len, name, count, ps);
  }
  const ud = Buffer.alloc(4);
  ud.writeInt32BE(userData === null ? -1 : userData.length);
  parts.push(ud, userData ?? Buffer.alloc(0));
  return Buffer.concat(parts);
}

describe('decodeConsumerAssignment', () => {
  it('reads topics and partitions', () => {
    expect(decodeConsumerAssignment(assignment([['orders', [0, 2]], ['clicks', [5]]]))).toEqual([
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'clicks', partitions: [5] },
    ]);
    expect(decodeConsumerAssignment(assignment([]))).toEqual([]);
  });

  it('answers nothing for bytes that are not an assignment, and never throws', () => {
    const ok = assignment([['orders', [0, 1, 2]]]);
    for (let cut = 0; cut < ok.length - 4; cut++) expect(() => decodeConsumerAssignment(ok.subarray(0, cut))).not.toThrow();
    expect(decodeConsumerAssignment(ok.subarray(0, 12))).toEqual([]);
    expect(decodeConsumerAssignment(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff]))).toEqual([]);
    expect(decodeConsumerAssignment(Buffer.alloc(0))).toEqual([]);
  });
});

describe('lagPoint', () => {
  it('sums lag per topic and in total, skipping partitions whose end is unknown', () => {
    expect(
      lagPoint(
        [
          { topic: 'a', partition: 0, committedOffset: 1, endOffset: 5, lag: 4 },
          { topic: 'a', partition: 1, committedOffset: 0, endOffset: 3, lag: 3 },
          { topic: 'b', partition: 0, committedOffset: 9, endOffset: null, lag: null },
          { topic: 'c', partition: 0, committedOffset: 2, endOffset: 2, lag: 0 },
        ],
        77,
      ),
    ).toEqual({ t: 77, lag: 7, topics: { a: 7, c: 0 } });
  });
});
