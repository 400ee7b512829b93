import { describe, expect, it } from 'vitest';
import { partitionId } from '../../../src/ipc/partition-id.js';
import { canTransferInPlace, copyIntoFreshBuffer, sliceInPlace } from '../../../src/partitions/append-buffers.js';

const p = (n: number) => partitionId('ef'.repeat(16), n);

describe('append buffers', () => {
  it('describes items that live in the frame buffer without copying', () => {
    const frame = new ArrayBuffer(32);
    const whole = Buffer.from(frame);
    whole.write('aaaabbbbbb', 4);
    const items = [
      { key: p(0), records: whole.subarray(4, 8) },
      { key: p(1), records: whole.subarray(8, 14) },
    ];
    expect(canTransferInPlace(items, frame)).toBe(true);
    const { buffer, sliceTable } = sliceInPlace(items, frame);
    expect(buffer).toBe(frame);
    expect(sliceTable).toEqual([
      { key: p(0), offset: 4, length: 4 },
      { key: p(1), offset: 8, length: 6 },
    ]);
  });

  it('does not transfer in place when an item lives elsewhere or there is no owned frame', () => {
    const frame = new ArrayBuffer(8);
    const items = [{ key: p(0), records: Buffer.from(frame, 0, 4) }, { key: p(1), records: Buffer.from('xy') }];
    expect(canTransferInPlace(items, frame)).toBe(false);
    expect(canTransferInPlace(items.slice(0, 1), undefined)).toBe(false);
    expect(canTransferInPlace(items.slice(0, 1), new ArrayBuffer(0))).toBe(false);
  });

  it('copies items back to back into one fresh buffer of exactly their size', () => {
    const items = [{ key: p(0), records: Buffer.from('abc') }, { key: p(1), records: Buffer.from('defgh') }];
    const { buffer, sliceTable } = copyIntoFreshBuffer(items);
    expect(buffer.byteLength).toBe(8);
    expect(Buffer.from(buffer).toString()).toBe('abcdefgh');
    expect(sliceTable).toEqual([
      { key: p(0), offset: 0, length: 3 },
      { key: p(1), offset: 3, length: 5 },
    ]);
  });
});
