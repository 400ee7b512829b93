import { describe, expect, it } from 'vitest';
import { ProducerStateManager } from '../../../workers/producer-state.js';
import { readBatchInfo } from '../../../src/protocol/record-batch.js';
import { makeBatch } from './log-fixtures.js';

const info = (seq: number, n: number, epoch = 0, producerId = 1) =>
  readBatchInfo(makeBatch(n, { producerId, producerEpoch: epoch, baseSequence: seq }), 0);

describe('ProducerStateManager', () => {
  it('keeps the last 5 batches for duplicate detection', () => {
    const state = new ProducerStateManager();
    for (let i = 0; i < 7; i++) state.replay(info(i, 1), i);
    const entry = state.get(1)!;
    expect(entry.batches.map((b) => b.firstSeq)).toEqual([2, 3, 4, 5, 6]);
    const check = state.begin();
    expect(check.check(info(2, 1), 'p')).toEqual({ kind: 'duplicate', firstOffset: 2, lastOffset: 2 });
    expect(check.check(info(1, 1), 'p').kind).toBe('error'); // too old to be recognised: out of order
    expect(check.check(info(7, 1), 'p').kind).toBe('append');
  });

  it('snapshots round-trip and reject corruption', () => {
    const state = new ProducerStateManager();
    state.replay(info(0, 3, 2, 10), 0);
    state.replay(info(3, 2, 2, 10), 3);
    state.replay(info(0, 1, 0, 2 ** 40), 5);
    const bytes = state.serialize();
    const loaded = new ProducerStateManager();
    expect(loaded.load(bytes)).toBe(true);
    expect(loaded.get(10)).toEqual(state.get(10));
    expect(loaded.get(2 ** 40)).toEqual(state.get(2 ** 40));
    bytes[bytes.length - 1] ^= 1;
    expect(new ProducerStateManager().load(bytes)).toBe(false);
  });

  it('evicts producers whose batches fell below the log start', () => {
    const state = new ProducerStateManager();
    state.replay(info(0, 1, 0, 1), 0);
    state.replay(info(0, 1, 0, 2), 10);
    state.evictBelow(5);
    expect(state.get(1)).toBeUndefined();
    expect(state.get(2)).toBeDefined();
  });
});
