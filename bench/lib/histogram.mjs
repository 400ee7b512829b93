// Thread: main (bench). HDR-like latency histogram: log-linear buckets with 64 sub-buckets per
// power of two (≤ 1.6 % relative error), exact min/max/count/mean. Values are recorded in
// microseconds (fractions allowed); memory is constant whatever the sample count, and two
// histograms merge by adding bucket counts (so it scales to the 100k/s runs of issue 5).

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64 sub-buckets per octave
// Values are scaled by 16 before bucketing: resolution 1/16 µs at the bottom.
const SCALE = 16;
const MAX_OCTAVE = 40; // up to 2^40 / 16 µs ≈ 19 hours

export class Histogram {
  constructor() {
    this.counts = new Float64Array((MAX_OCTAVE + 1) * SUB);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  static index(valueUs) {
    let v = Math.floor(valueUs * SCALE);
    if (v < 0) v = 0;
    if (v < SUB) return v;
    const octave = Math.floor(Math.log2(v)) - SUB_BITS + 1; // ≥ 1
    if (octave > MAX_OCTAVE) return (MAX_OCTAVE + 1) * SUB - 1;
    const sub = Math.floor(v / 2 ** (octave - 1)) - SUB; // 0..SUB-1
    return octave * SUB + sub;
  }

  /** Lower bound (µs) of bucket i, and its width. */
  static bounds(i) {
    const octave = Math.floor(i / SUB);
    const sub = i % SUB;
    if (octave === 0) return [sub / SCALE, 1 / SCALE];
    const width = 2 ** (octave - 1);
    return [((SUB + sub) * width) / SCALE, width / SCALE];
  }

  /** Record `valueUs` microseconds, `n` times. */
  record(valueUs, n = 1) {
    this.counts[Histogram.index(valueUs)] += n;
    this.count += n;
    this.sum += valueUs * n;
    if (valueUs < this.min) this.min = valueUs;
    if (valueUs > this.max) this.max = valueUs;
  }

  merge(other) {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** Value (µs) at percentile p (0..100): midpoint of the bucket holding it, clamped to [min, max]. */
  percentile(p) {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const [lo, width] = Histogram.bounds(i);
        return Math.min(this.max, Math.max(this.min, lo + width / 2));
      }
    }
    return this.max;
  }

  /** Summary in milliseconds, for reports. */
  summaryMs() {
    if (this.count === 0) return { count: 0 };
    const ms = (us) => (us === null ? null : Math.round(us) / 1000);
    return {
      count: this.count,
      minMs: ms(this.min),
      meanMs: ms(this.sum / this.count),
      p50Ms: ms(this.percentile(50)),
      p90Ms: ms(this.percentile(90)),
      p99Ms: ms(this.percentile(99)),
      p999Ms: ms(this.percentile(99.9)),
      p9999Ms: ms(this.percentile(99.99)),
      maxMs: ms(this.max),
    };
  }

  /** Percentile curve (for the charts of issue 5): [[percentile, ms], ...]. */
  curveMs(points = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]) {
    return points.map((p) => [p, p === 0 ? this.min / 1000 : p === 100 ? this.max / 1000 : this.percentile(p) / 1000]);
  }
}

/** Plain-data form (for postMessage / JSON), and back. */
export function histogramToData(h) {
  return { counts: h.counts, count: h.count, sum: h.sum, min: h.min, max: h.max };
}

export function histogramFromData(d) {
  const h = new Histogram();
  h.counts.set(d.counts);
  h.count = d.count;
  h.sum = d.sum;
  h.min = d.min;
  h.max = d.max;
  return h;
}
