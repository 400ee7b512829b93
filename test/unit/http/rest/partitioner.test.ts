// Unit: murmur2 and the keyed partition against the Java client's known values (Kafka's
// UtilsTest) and KafkaJS's Java-compatible partitioner, on keys of every tail length.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, StickyRoundRobin } from '../../../../src/http/rest/partitioner.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

describe('murmur2', () => {
  it('matches the Java client (org.apache.kafka.common.utils.UtilsTest)', () => {
    const cases: Array<[string | number[], number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      [[0x61, 0x62, 0x63], 479470107],
    ];
    for (const [input, expected] of cases) {
      expect(murmur2(Buffer.from(input as string))).toBe(expected);
    }
  });

  it('matches KafkaJS for keys of every length 0..40 and binary bytes', () => {
    for (let n = 0; n <= 40; n++) {
      const key = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 0xff));
      expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      const text = `key-${'x'.repeat(n)}`;
      expect(murmur2(Buffer.from(text))).toBe(kafkajsMurmur2(text));
    }
  });

  it('places a key as toPositive(murmur2) % partitions', () => {
    for (const key of ['a', 'user-17', 'foobar', '']) {
      const expected = (kafkajsMurmur2(key) & 0x7fffffff) % 7;
      expect(partitionForKey(Buffer.from(key), 7)).toBe(expected);
    }
  });
});

describe('StickyRoundRobin', () => {
  it('moves to the next partition on every pick, per topic', () => {
    const rr = new StickyRoundRobin();
    const first = rr.pick('a', 3);
    const seen = [first, rr.pick('a', 3), rr.pick('a', 3)];
    expect(new Set(seen).size).toBe(3);
    expect(rr.pick('a', 3)).toBe(first);
  });
});
