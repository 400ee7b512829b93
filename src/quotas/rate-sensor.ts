// Thread: main. Kafka's quota sensor (org.apache.kafka.common.metrics Rate over a SampledStat):
// `windowNum` samples of `windowMs` each; a sample starts at the first value recorded after the
// previous one completed, a sample older than windowNum × windowMs is reset before use. The rate
// is the sum of the samples over the elapsed time since the oldest one began, counted as at
// least windowNum − 1 full windows (so a fresh sensor does not see an infinite rate). Every
// operation is O(windowNum) on two small typed arrays: nothing is allocated per record.
// The throttle time is Kafka's QuotaUtils.throttleTime: (observed − bound) / bound × window size.

export interface SensorConfig {
  /** quota.window.num */
  windowNum: number;
  /** quota.window.size.seconds × 1000 */
  windowMs: number;
}

export class RateSensor {
  private readonly values: Float64Array;
  /** Start of each sample (ms); NaN: never used. */
  private readonly starts: Float64Array;
  private current = 0;
  /** Last time anything was recorded (for expiring idle sensors). */
  lastRecordMs = 0;

  constructor(private readonly cfg: SensorConfig) {
    this.values = new Float64Array(cfg.windowNum);
    this.starts = new Float64Array(cfg.windowNum).fill(Number.NaN);
  }

  record(value: number, nowMs: number): void {
    this.lastRecordMs = nowMs;
    let i = this.current;
    const start = this.starts[i]!;
    if (Number.isNaN(start)) {
      this.starts[i] = nowMs;
    } else if (nowMs - start >= this.cfg.windowMs) {
      i = this.current = (i + 1) % this.cfg.windowNum;
      this.starts[i] = nowMs;
      this.values[i] = 0;
    }
    this.values[i] = this.values[i]! + value;
  }

  /** Resets samples too old to count (Kafka's purgeObsoleteSamples). */
  private purge(nowMs: number): void {
    const expireAge = this.cfg.windowNum * this.cfg.windowMs;
    for (let i = 0; i < this.cfg.windowNum; i++) {
      const start = this.starts[i]!;
      if (!Number.isNaN(start) && nowMs - start >= expireAge) {
        this.starts[i] = nowMs;
        this.values[i] = 0;
      }
    }
  }

  /** Kafka's Rate.windowSize: elapsed since the oldest sample, at least windowNum − 1 windows, at least 1 ms. */
  windowSizeMs(nowMs: number): number {
    this.purge(nowMs);
    let oldest = nowMs;
    for (let i = 0; i < this.cfg.windowNum; i++) {
      const start = this.starts[i]!;
      if (!Number.isNaN(start) && start < oldest) oldest = start;
    }
    let elapsed = nowMs - oldest;
    const fullWindows = Math.floor(elapsed / this.cfg.windowMs);
    const minFullWindows = this.cfg.windowNum - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.cfg.windowMs;
    return Math.max(elapsed, 1);
  }

  /** Units per second over the retained samples. */
  rate(nowMs: number): number {
    const windowMs = this.windowSizeMs(nowMs);
    let total = 0;
    for (let i = 0; i < this.cfg.windowNum; i++) total += this.values[i]!;
    return total / (windowMs / 1000);
  }

  /** Records `value`, then: 0 within `bound` (per second), else how long the client must wait (ms, uncapped). */
  recordAndThrottleMs(value: number, bound: number, nowMs: number): number {
    this.record(value, nowMs);
    const windowMs = this.windowSizeMs(nowMs);
    let total = 0;
    for (let i = 0; i < this.cfg.windowNum; i++) total += this.values[i]!;
    const observed = total / (windowMs / 1000);
    return throttleTimeMs(observed, bound, windowMs);
  }

  /** True once every sample has expired: the sensor is as good as a new one. */
  idle(nowMs: number): boolean {
    return nowMs - this.lastRecordMs >= this.cfg.windowNum * this.cfg.windowMs;
  }
}

/** Kafka's QuotaUtils.throttleTime: 0 within the bound, else (observed − bound) / bound × window, rounded. */
export function throttleTimeMs(observed: number, bound: number, windowMs: number): number {
  if (!(observed > bound) || bound <= 0) return 0;
  return Math.round(((observed - bound) / bound) * windowMs);
}
