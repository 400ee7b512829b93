// Thread: main (bench). Pure helpers of the small-requests bench (bench/small-requests.mjs):
// the run plan for --quick and full mode, librdkafka's arguments, broker CPU
// per request, Produce/Fetch request counts scraped from the broker's /metrics, the check that
// acknowledged baseOffsets are dense, and the aggregate of several rdkafka_performance runs.
// No imports from dist/: unit-tested in test/unit/bench/small-requests-math.test.ts.

/** Connection counts every produce client family is run with. */
export const CONNECTION_COUNTS = [1, 4, 16];

/**
 * What each part runs, in --quick (≈ 30 s) or full mode (≈ 3 min). Counts bound every run;
 * `seconds` bounds the time-driven ones.
 */
export function smallPlan(quick) {
  return quick
    ? {
        raw: { seconds: 1.5, inflight: 64, partitions: 4 },
        // records per librdkafka process, by number of processes (connections)
        rdkafka: { recordsPerProducer: { 1: 10_000, 4: 5_000, 16: 1_250 }, partitions: 4 },
        kafkajs: { runs: [{ inflight: 1, records: 1_000 }, { inflight: 64, records: 8_000 }], partitions: 4 },
        fetch: { consumers: 16, partitions: 16, rate: 4_000, seconds: 2 },
        latency: { rate: 10_000, warmup: 1, seconds: 2 },
      }
    : {
        raw: { seconds: 8, inflight: 64, partitions: 4 },
        rdkafka: { recordsPerProducer: { 1: 50_000, 4: 50_000, 16: 12_500 }, partitions: 4 },
        kafkajs: { runs: [{ inflight: 1, records: 10_000 }, { inflight: 64, records: 50_000 }], partitions: 4 },
        fetch: { consumers: 16, partitions: 16, rate: 4_000, seconds: 8 },
        latency: { rate: 10_000, warmup: 2, seconds: 10 },
      };
}

/**
 * rdkafka_performance arguments for single-record produce requests, as issue 13 measured them:
 * `-P -s 100 -X linger.ms=0 -X batch.num.messages=1 -X max.in.flight=64 -a 1`, quiet, idempotence
 * off (librdkafka 2.0's default, said explicitly).
 */
export function rdkafkaSmallArgs({ topic, port, records, recordBytes = 100 }) {
  return ['-P', '-t', topic, '-b', `127.0.0.1:${port}`, '-s', String(recordBytes), '-c', String(records), '-a', '1', '-q', '-X', 'linger.ms=0', '-X', 'batch.num.messages=1', '-X', 'max.in.flight=64', '-X', 'enable.idempotence=false'];
}

/** Broker CPU µs per request: cpuSeconds / requests × 1e6, rounded to 0.1; null without data. */
export function microsPerRequest(cpuSeconds, requests) {
  if (cpuSeconds === null || cpuSeconds === undefined || !Number.isFinite(cpuSeconds) || !(requests > 0)) return null;
  return Math.round((cpuSeconds / requests) * 1e7) / 10;
}

/**
 * Requests the broker counted for one API (label api="<name>"), summed over versions, from a
 * Prometheus text exposition: the `_count` series of strata_request_duration_seconds. 0 when the
 * family is declared but has no series for that API yet (nothing observed); null when the
 * family is absent (a broker that does not export it) or there is no text.
 */
export function requestCountFromMetrics(text, api) {
  if (typeof text !== 'string' || !/^# TYPE strata_request_duration_seconds /m.test(text)) return null;
  let total = 0;
  const re = /^strata_request_duration_seconds_count\{([^}]*)\}\s+([0-9.eE+-]+)\s*$/gm;
  for (const m of text.matchAll(re)) {
    if (!new RegExp(`(^|,)api="${api}"(,|$)`).test(m[1])) continue;
    total = (total ?? 0) + Number(m[2]);
  }
  return total;
}

/**
 * Checks that the acknowledged baseOffsets of one partition are 0, n, 2n, … for n records per
 * batch (no offset assigned twice, none skipped). Sorts `offsets` in place. Returns null when
 * dense, else a readable description of the first gap or duplicate.
 */
export function denseOffsetsProblem(offsets, recordsPerBatch = 1) {
  offsets.sort((a, b) => a - b);
  for (let i = 0; i < offsets.length; i++) {
    const want = i * recordsPerBatch;
    if (offsets[i] !== want) return `batch ${i} got baseOffset ${offsets[i]}, expected ${want}${i > 0 && offsets[i] === offsets[i - 1] ? ' (offset assigned twice)' : ''}`;
  }
  return null;
}

/**
 * The aggregate of N rdkafka_performance processes run at the same time: each summary is
 * { delivered, ms } (first produce() → last delivery report of that process). The window is
 * the longest process's; requests/s = all delivered / that window.
 */
export function aggregatePerf(summaries) {
  const ok = summaries.filter(Boolean);
  if (ok.length === 0 || ok.length !== summaries.length) return null;
  const delivered = ok.reduce((s, x) => s + x.delivered, 0);
  const ms = Math.max(...ok.map((x) => x.ms));
  return { delivered, seconds: ms / 1000, perSec: ms > 0 ? Math.round((delivered * 1000) / ms) : null, slowestMs: ms, fastestMs: Math.min(...ok.map((x) => x.ms)) };
}
