// The elastic-slot controller over a fake engine and a scripted policy: what each decision makes
// the engine do, that nothing runs while a decision is in progress, and that stop() waits for it.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { partitionId } from '../../../src/ipc/partition-id.js';
import { ElasticSlots } from '../../../src/partitions/elastic-slots.js';
import type { EngineLoadSample, MoveReport, PartitionEngine } from '../../../src/partitions/partition-engine.js';
import type { ScalingDecision, ScalingPolicy } from '../../../src/partitions/scaling-policy.js';

const p = (n: number) => partitionId('77'.repeat(16), n);

class FakeEngine {
  slotCount = 1;
  readonly calls: string[] = [];
  readonly slotOfMap = new Map([[p(0), 0], [p(1), 0]]);
  hold: Promise<void> | undefined;
  sampleLoad(nowMs: number): EngineLoadSample {
    this.calls.push('sample');
    return { nowMs, slotUtilization: [0.9], partitions: [] };
  }
  async addSlot(): Promise<number> {
    this.calls.push('addSlot');
    return this.slotCount++;
  }
  slotOf(id: string): number | undefined {
    return this.slotOfMap.get(id as ReturnType<typeof p>);
  }
  async movePartition(id: ReturnType<typeof p>, to: number, reason: string): Promise<MoveReport> {
    if (this.hold) await this.hold;
    this.calls.push(`move ${id}->${to} (${reason})`);
    const from = this.slotOfMap.get(id)!;
    this.slotOfMap.set(id, to);
    return { partition: id, topic: 't', partitionIndex: 0, from, to, pauseMs: 1, phasesMs: { drain: 0, close: 0, open: 0 }, reason };
  }
  async retireLastSlot(targetOf: (id: ReturnType<typeof p>) => number | undefined, reason: string): Promise<MoveReport[]> {
    this.calls.push(`retire ${this.slotCount - 1} (${reason}) p1->${targetOf(p(1))}`);
    this.slotCount--;
    return [];
  }
}

function controller(decisions: ScalingDecision[]) {
  const engine = new FakeEngine();
  const policy = { observe: () => decisions.shift() ?? { kind: 'none' } } as unknown as ScalingPolicy;
  const done: string[] = [];
  const elastic = new ElasticSlots({ engine: engine as unknown as PartitionEngine, policy, intervalMs: 1_000_000, logger: pino({ level: 'silent' }), onDecision: (d) => done.push(d.kind) });
  return { engine, elastic, done };
}

describe('ElasticSlots', () => {
  it('grow: adds a slot, then moves the planned partitions onto the slot actually added', async () => {
    const { engine, elastic, done } = controller([{ kind: 'grow', newSlot: 1, moves: [{ partition: p(1), from: 0, to: 1 }], reason: 'hot' }]);
    expect((await elastic.tick(1)).kind).toBe('grow');
    expect(engine.calls).toEqual(['sample', 'addSlot', `move ${p(1)}->1 (grow)`]);
    expect(done).toEqual(['grow']);
  });

  it('skips a planned move whose partition is no longer where the sample saw it', async () => {
    const { engine, elastic } = controller([{ kind: 'rebalance', moves: [{ partition: p(0), from: 1, to: 0 }], reason: 'x' }]);
    await elastic.tick(1);
    expect(engine.calls).toEqual(['sample']);
  });

  it('shrink: retires the last slot with the targets of the policy', async () => {
    const { engine, elastic } = controller([{ kind: 'shrink', retiredSlot: 1, moves: [{ partition: p(1), from: 1, to: 0 }], reason: 'idle' }]);
    engine.slotCount = 2;
    await elastic.tick(1);
    expect(engine.calls).toEqual(['sample', 'retire 1 (shrink) p1->0']);
    expect(engine.slotCount).toBe(1);
  });

  it('takes no sample while a decision runs, and stop() waits for it', async () => {
    const { engine, elastic } = controller([{ kind: 'rebalance', moves: [{ partition: p(0), from: 0, to: 1 }], reason: 'x' }]);
    let release!: () => void;
    engine.hold = new Promise((resolve) => (release = resolve));
    const first = elastic.tick(1);
    await Promise.resolve();
    expect((await elastic.tick(2)).kind).toBe('none');
    expect(engine.calls).toEqual(['sample']);
    const stopped = elastic.stop();
    let stoppedYet = false;
    void stopped.then(() => (stoppedYet = true));
    await Promise.resolve();
    expect(stoppedYet).toBe(false);
    release();
    await first;
    await stopped;
    expect(engine.calls).toEqual(['sample', `move ${p(0)}->1 (rebalance)`]);
  });
});
