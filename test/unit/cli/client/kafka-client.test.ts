import { describe, expect, it } from 'vitest';
import { decodeConsumerAssignment, errorName, parseHostPort } from '../../../../src/cli/client/kafka-client.js';

describe('CLI Kafka client helpers', () => {
  it('decodes a ConsumerProtocolAssignment', () => {
    const topic = Buffer.from('orders');
    const b = Buffer.alloc(2 + 4 + 2 + topic.length + 4 + 8 + 4);
    let o = b.writeInt16BE(1, 0);
    o = b.writeInt32BE(1, o);
    o = b.writeInt16BE(topic.length, o);
    o += topic.copy(b, o);
    o = b.writeInt32BE(2, o);
    o = b.writeInt32BE(0, o);
    o = b.writeInt32BE(3, o);
    b.writeInt32BE(-1, o); // null user data
    expect(decodeConsumerAssignment(b)).toEqual([{ topic: 'orders', partitions: [0, 3] }]);
    expect(decodeConsumerAssignment(Buffer.alloc(0))).toEqual([]);
  });

  it('parses bootstrap servers and names error codes', () => {
    expect(parseHostPort('127.0.0.1:9092')).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(parseHostPort('[::1]:9093')).toEqual({ host: '::1', port: 9093 });
    expect(() => parseHostPort('localhost')).toThrow(/host:port/);
    expect(errorName(3)).toBe('UNKNOWN_TOPIC_OR_PARTITION (3)');
  });
});
