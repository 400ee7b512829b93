import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../../src/cli/commands/produce.js';

describe('murmur2 (Kafka default partitioner)', () => {
  // Vectors from Apache Kafka's UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%s) = %d', (input, want) => {
    expect(murmur2(Buffer.from(input))).toBe(want);
  });

  it('maps a key to a partition in range, stably', () => {
    for (let n = 1; n <= 7; n++) {
      const p = partitionForKey(Buffer.from('key-1'), n);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(n);
      expect(partitionForKey(Buffer.from('key-1'), n)).toBe(p);
    }
  });
});
