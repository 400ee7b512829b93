// Thread: main. How many partition worker slots the broker may run, read from the settings:
// `worker.threads` given explicitly (file, env or flag) = a fixed slot count; otherwise slots
// are elastic between `worker.threads.min` (default 1) and `worker.threads.max` (default the
// number of cores, raised to min when only min is given). The schema keeps a default for
// `worker.threads` so its type stays a number at every use site, which is why these functions
// need the set of explicitly given keys (LoadedConfig.explicit / Broker.explicitKeys) to tell a
// user's value from the default. Also the ScalingSettings of the elastic-slot policy.
import { StrataError } from '../errors.js';
import type { ScalingSettings } from '../partitions/scaling-policy.js';
import type { BrokerConfig } from './broker-config.js';

export interface WorkerSlotRange {
  min: number;
  max: number;
  /** True when `worker.threads` was given: the slot count never changes (moves between slots still may). */
  fixed: boolean;
}

export type WorkerSlotConfig = Pick<
  BrokerConfig,
  'worker.threads' | 'worker.threads.min' | 'worker.threads.max' | 'worker.scale.up.utilization' | 'worker.scale.down.utilization'
>;

/** Anything that answers "was this key set explicitly?" (a Set of keys or LoadedConfig.explicit). */
export interface ExplicitKeys {
  has(key: string): boolean;
}

function resolve(config: WorkerSlotConfig, explicit: ExplicitKeys): { range: WorkerSlotRange; problems: string[] } {
  const problems: string[] = [];
  const up = config['worker.scale.up.utilization'];
  const down = config['worker.scale.down.utilization'];
  if (down >= up) {
    problems.push(`worker.scale.down.utilization (${down}) must be below worker.scale.up.utilization (${up})`);
  }
  if (explicit.has('worker.threads')) {
    const n = config['worker.threads'];
    const alsoSet = ['worker.threads.min', 'worker.threads.max'].filter((k) => explicit.has(k));
    if (alsoSet.length > 0) {
      problems.push(
        `worker.threads=${n} fixes the slot count, so ${alsoSet.join(' and ')} cannot also be set: ` +
          'drop worker.threads to make slots elastic, or drop the min/max settings',
      );
    }
    return { range: { min: n, max: n, fixed: true }, problems };
  }
  const min = config['worker.threads.min'];
  const max = explicit.has('worker.threads.max') ? config['worker.threads.max'] : Math.max(config['worker.threads.max'], min);
  if (min > max) problems.push(`worker.threads.min (${min}) is greater than worker.threads.max (${max})`);
  return { range: { min, max, fixed: false }, problems };
}

/** Every problem with the slot settings, one readable line each (loadBrokerConfig reports them). */
export function workerSlotProblems(config: WorkerSlotConfig, explicit: ExplicitKeys): string[] {
  return resolve(config, explicit).problems;
}

/** The slot range the broker runs with; throws STRATA_ERR_CONFIG on inconsistent settings. */
export function workerSlotRange(config: WorkerSlotConfig, explicit: ExplicitKeys): WorkerSlotRange {
  const { range, problems } = resolve(config, explicit);
  if (problems.length > 0) throw new StrataError('STRATA_ERR_CONFIG', `invalid worker slot settings: ${problems.join('; ')}`);
  return range;
}

/** The elastic-slot policy's settings (src/partitions/scaling-policy.ts) from the broker's. */
export function scalingSettings(
  config: WorkerSlotConfig & Pick<BrokerConfig, 'worker.scale.window.ms' | 'worker.scale.interval.ms'>,
  explicit: ExplicitKeys,
): ScalingSettings {
  const range = workerSlotRange(config, explicit);
  return {
    minSlots: range.min,
    maxSlots: range.max,
    scaleUpUtilization: config['worker.scale.up.utilization'],
    scaleDownUtilization: config['worker.scale.down.utilization'],
    windowMs: config['worker.scale.window.ms'],
    maxSampleGapMs: 2 * config['worker.scale.interval.ms'],
  };
}
