import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../../src/config/load-config.js';
import { configProblems } from './fixtures/config-problems.js';
import { scalingSettings, workerSlotProblems, workerSlotRange } from '../../../src/config/worker-slots.js';
import { StrataError } from '../../../src/errors.js';

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const { config, explicit } = loadBrokerConfig({ argv, env });
  return { config, explicit };
}

const problemsOf = configProblems;

const cores = Math.min(256, os.availableParallelism());

describe('workerSlotRange', () => {
  it('is elastic from 1 to the number of cores by default', () => {
    const { config, explicit } = load([]);
    expect(workerSlotRange(config, explicit)).toEqual({ min: 1, max: cores, fixed: false });
  });

  it('worker.threads given (flag, env or file) fixes the slot count', () => {
    for (const [argv, env] of [[['--worker.threads=3'], {}], [[], { STRATA_WORKER_THREADS: '3' }]] as const) {
      const { config, explicit } = load([...argv], env);
      expect(workerSlotRange(config, explicit)).toEqual({ min: 3, max: 3, fixed: true });
    }
  });

  it('takes worker.threads.min and worker.threads.max', () => {
    const { config, explicit } = load(['--worker.threads.min=2', '--worker.threads.max=6']);
    expect(workerSlotRange(config, explicit)).toEqual({ min: 2, max: 6, fixed: false });
  });

  it('raises the defaulted max to an explicit min above the core count', () => {
    const { config, explicit } = load([`--worker.threads.min=${cores + 2}`]);
    expect(workerSlotRange(config, explicit)).toEqual({ min: cores + 2, max: cores + 2, fixed: false });
  });

  it('rejects min > max with a message naming both', () => {
    expect(problemsOf(['--worker.threads.min=5', '--worker.threads.max=2'])).toEqual(['worker.threads.min (5) is greater than worker.threads.max (2)']);
    const config = { ...load([]).config, 'worker.threads.min': 5, 'worker.threads.max': 2 };
    const explicit = new Set(['worker.threads.min', 'worker.threads.max']);
    expect(() => workerSlotRange(config, explicit)).toThrow(StrataError);
    expect(() => workerSlotRange(config, explicit)).toThrow('worker.threads.min (5) is greater than worker.threads.max (2)');
  });

  it('rejects worker.threads together with min or max', () => {
    const problems = problemsOf(['--worker.threads=2', '--worker.threads.max=4']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^worker\.threads=2 fixes the slot count, so worker\.threads\.max cannot also be set/);
  });

  it('rejects a scale-down threshold at or above the scale-up one', () => {
    expect(problemsOf(['--worker.scale.up.utilization=0.5', '--worker.scale.down.utilization=0.5'])).toEqual([
      'worker.scale.down.utilization (0.5) must be below worker.scale.up.utilization (0.5)',
    ]);
  });

  it('rejects out-of-range values through the schema', () => {
    const problems = problemsOf(['--worker.threads.min=0', '--worker.scale.up.utilization=1.5', '--partition.move.timeout.ms=0']).join('\n');
    expect(problems).toContain('worker.threads.min');
    expect(problems).toContain('worker.scale.up.utilization');
    expect(problems).toContain('partition.move.timeout.ms');
  });

  it('workerSlotProblems is empty for consistent settings', () => {
    const { config, explicit } = load(['--worker.threads.min=1', '--worker.threads.max=2']);
    expect(workerSlotProblems(config, explicit)).toEqual([]);
  });
});

describe('scalingSettings', () => {
  it('maps the broker settings to the policy settings, with defaults', () => {
    const { config, explicit } = load(['--worker.threads.max=4']);
    expect(config['partition.move.timeout.ms']).toBe(5000);
    expect(scalingSettings(config, explicit)).toEqual({
      minSlots: 1,
      maxSlots: 4,
      scaleUpUtilization: 0.75,
      scaleDownUtilization: 0.25,
      windowMs: 10_000,
      maxSampleGapMs: 2_000,
    });
  });

  it('reads every scale setting', () => {
    const { config, explicit } = load([
      '--worker.threads=2',
      '--worker.scale.up.utilization=0.9',
      '--worker.scale.down.utilization=0.1',
      '--worker.scale.window.ms=3000',
      '--worker.scale.interval.ms=250',
    ]);
    expect(scalingSettings(config, explicit)).toEqual({
      minSlots: 2,
      maxSlots: 2,
      scaleUpUtilization: 0.9,
      scaleDownUtilization: 0.1,
      windowMs: 3000,
      maxSampleGapMs: 500,
    });
  });
});
