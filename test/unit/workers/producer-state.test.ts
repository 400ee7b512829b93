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
  // Issue 12, bug 1: the rules a second producer on the same partitions relies on. (The bug's
  // root cause was InitProducerId handing both producers id 0 at epoch 1 — see
  // test/unit/router/handlers/22-init-producer-id.test.ts — which these rules then reject.)
  it('a second producer id starts at sequence 0 next to the first one', () => {
    const state = new ProducerStateManager();
    for (let i = 0; i < 25; i++) state.replay(info(i * 4, 4, 0, 1), i * 4);
    const check = state.begin();
    expect(check.check(info(0, 25, 0, 2), 'p')).toEqual({ kind: 'append' });
    check.record(info(0, 25, 0, 2), 100);
    expect(check.check(info(25, 1, 0, 2), 'p')).toEqual({ kind: 'append' });
  });

  it('the same producer id and epoch restarting at sequence 0 is out of order, or a duplicate of a retained batch', () => {
    const state = new ProducerStateManager();
    for (let i = 0; i < 25; i++) state.replay(info(i * 4, 4, 1, 0), i * 4);
    const check = state.begin();
    const restarted = check.check(info(0, 25, 1, 0), 'p');
    expect(restarted).toMatchObject({ kind: 'error', message: expect.stringContaining('0 (incoming seq. number), 99 (current end sequence number)') });
    const single = new ProducerStateManager();
    single.replay(info(0, 2, 1, 0), 0);
    expect(single.begin().check(info(0, 2, 1, 0), 'p')).toEqual({ kind: 'duplicate', firstOffset: 0, lastOffset: 1 });
  });

  it('a new epoch must start at sequence 0, forgets the old epoch\'s batches, and fences the old epoch', () => {
    const state = new ProducerStateManager();
    state.replay(info(0, 3, 0, 7), 0);
    const check = state.begin();
    expect(check.check(info(3, 1, 1, 7), 'p')).toMatchObject({ kind: 'error', message: expect.stringContaining('new epoch') });
    expect(check.check(info(0, 3, 1, 7), 'p')).toEqual({ kind: 'append' });
    check.record(info(0, 3, 1, 7), 3);
    check.commit();
    expect(state.get(7)).toMatchObject({ producerEpoch: 1, batches: [{ firstSeq: 0, lastSeq: 2, firstOffset: 3, lastOffset: 5 }] });
    const next = state.begin();
    expect(next.check(info(0, 3, 1, 7), 'p')).toEqual({ kind: 'duplicate', firstOffset: 3, lastOffset: 5 });
    expect(next.check(info(3, 1, 0, 7), 'p')).toMatchObject({ kind: 'error', message: expect.stringContaining('smaller than the last seen epoch') });
  });

  it('sequences wrap from INT32_MAX to 0', () => {
    const state = new ProducerStateManager();
    state.replay(info(0x7fffffff - 1, 2, 0, 3), 0);
    expect(state.begin().check(info(0, 1, 0, 3), 'p')).toEqual({ kind: 'append' });
  });
});
