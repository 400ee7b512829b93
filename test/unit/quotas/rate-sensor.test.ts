// Thread: vitest worker. Kafka's quota sensor: windows, the minimum window size, expiry and the
// throttle-time formula.
import { describe, expect, it } from 'vitest';
import { RateSensor, throttleTimeMs } from '../../../src/quotas/rate-sensor.js';

describe('RateSensor', () => {
  it('divides by at least windowNum − 1 windows while young', () => {
    const s = new RateSensor({ windowNum: 11, windowMs: 1000 });
    s.record(1000, 0);
    // 0 ms elapsed, 10 full windows assumed: 1000 / 10 s
    expect(s.rate(0)).toBeCloseTo(100);
    expect(s.windowSizeMs(500)).toBe(10_500);
    expect(s.rate(500)).toBeCloseTo(1000 / 10.5);
  });

  it('keeps windowNum samples and measures over the elapsed time once old enough', () => {
    const s = new RateSensor({ windowNum: 3, windowMs: 1000 });
    for (let t = 0; t < 3000; t += 100) s.record(100, t); // 1000 per second
    expect(s.windowSizeMs(2950)).toBe(2950);
    expect(s.rate(2950)).toBeCloseTo(3000 / 2.95, 0);
    // the first sample (0–999) expires at 3000: only two samples remain, window counted as 2 s
    expect(s.windowSizeMs(3000)).toBe(2000);
    expect(s.rate(3000)).toBeCloseTo(1000);
  });

  it('forgets everything after windowNum × windowMs of silence', () => {
    const s = new RateSensor({ windowNum: 2, windowMs: 1000 });
    s.record(1e9, 0);
    expect(s.idle(1999)).toBe(false);
    expect(s.idle(2000)).toBe(true);
    expect(s.rate(2000)).toBe(0);
  });

  it('throttles by (observed − bound) / bound × window size', () => {
    const s = new RateSensor({ windowNum: 11, windowMs: 1000 });
    // 10 s window at t=0: 20 000 bytes → 2000 B/s against a 1000 B/s bound → 10 s of throttle
    expect(s.recordAndThrottleMs(20_000, 1000, 0)).toBe(10_000);
    const fresh = new RateSensor({ windowNum: 11, windowMs: 1000 });
    expect(fresh.recordAndThrottleMs(5_000, 1000, 0)).toBe(0);
  });

  it('steady traffic at the bound is not throttled, above it is', () => {
    const s = new RateSensor({ windowNum: 3, windowMs: 1000 });
    let throttled = 0;
    for (let t = 0; t < 10_000; t += 100) throttled += s.recordAndThrottleMs(90, 1000, t) > 0 ? 1 : 0;
    expect(throttled).toBe(0);
    let over = 0;
    for (let t = 10_000; t < 12_000; t += 100) over += s.recordAndThrottleMs(200, 1000, t);
    expect(over).toBeGreaterThan(0);
  });
});

describe('throttleTimeMs', () => {
  it('is zero within the bound and rounds', () => {
    expect(throttleTimeMs(100, 100, 1000)).toBe(0);
    expect(throttleTimeMs(50, 100, 1000)).toBe(0);
    expect(throttleTimeMs(150, 100, 1000)).toBe(500);
    expect(throttleTimeMs(100.06, 100, 1000)).toBe(1); // 0.6 ms rounds up
    expect(throttleTimeMs(300, 100, 11_000)).toBe(22_000);
  });
});
