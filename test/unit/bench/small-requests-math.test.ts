// Unit tests of the small-requests bench's pure helpers (bench/lib/small-requests-math.mjs): the
// run plan, librdkafka's arguments, broker CPU per request, request counts scraped from
// /metrics and the dense-offset check. A wrong count or division here would make issue 13's
// figures lie; no timing is asserted.
import { describe, expect, it } from 'vitest';

const load = () => import(new URL('../../../bench/lib/small-requests-math.mjs', import.meta.url).href);

describe('small-requests bench helpers', () => {
  it('plans bounded runs, with the issue\'s 4 × 50,000 librdkafka records in full mode', async () => {
    const { smallPlan, CONNECTION_COUNTS } = await load();
    expect(CONNECTION_COUNTS).toEqual([1, 4, 16]);
    const full = smallPlan(false);
    const quick = smallPlan(true);
    expect(full.rdkafka.recordsPerProducer[4]).toBe(50_000);
    for (const plan of [full, quick]) {
      for (const n of CONNECTION_COUNTS) expect(plan.rdkafka.recordsPerProducer[n]).toBeGreaterThan(0);
      expect(plan.raw.inflight).toBe(64);
      expect(plan.raw.seconds).toBeGreaterThan(0);
      expect(plan.kafkajs.runs.map((r: { inflight: number }) => r.inflight)).toEqual([1, 64]);
      expect(plan.fetch.consumers).toBe(16);
      expect(plan.latency.rate).toBe(10_000);
    }
    expect(quick.raw.seconds).toBeLessThan(full.raw.seconds);
    expect(quick.fetch.seconds).toBeLessThan(full.fetch.seconds);
  });

  it('passes librdkafka the single-record settings issue 13 measured with', async () => {
    const { rdkafkaSmallArgs } = await load();
    const args: string[] = rdkafkaSmallArgs({ topic: 't', port: 9092, records: 50_000 });
    const joined = args.join(' ');
    expect(joined).toContain('-P -t t -b 127.0.0.1:9092 -s 100 -c 50000 -a 1');
    for (const x of ['linger.ms=0', 'batch.num.messages=1', 'max.in.flight=64']) expect(args[args.indexOf(x) - 1]).toBe('-X');
  });

  it('divides broker CPU by requests (the issue: 1.26 cores at 9,800 req/s ≈ 128 µs)', async () => {
    const { microsPerRequest } = await load();
    expect(microsPerRequest(1.26, 9_800)).toBe(128.6);
    expect(microsPerRequest(0.025, 1_000)).toBe(25);
    expect(microsPerRequest(null, 10)).toBeNull();
    expect(microsPerRequest(1, 0)).toBeNull();
  });

  it('counts one API\'s requests from /metrics, summed over versions', async () => {
    const { requestCountFromMetrics } = await load();
    const text = [
      '# HELP strata_request_duration_seconds Kafka request latency',
      '# TYPE strata_request_duration_seconds histogram',
      'strata_request_duration_seconds_bucket{le="0.001",api="Produce",version="9"} 5',
      'strata_request_duration_seconds_count{api="Produce",version="9"} 1200',
      'strata_request_duration_seconds_count{api="Produce",version="3"} 34',
      'strata_request_duration_seconds_count{api="Fetch",version="12"} 77',
      'strata_request_duration_seconds_count{api="ProduceX",version="1"} 1000000',
    ].join('\n');
    expect(requestCountFromMetrics(text, 'Produce')).toBe(1234);
    expect(requestCountFromMetrics(text, 'Fetch')).toBe(77);
    // declared but nothing observed yet: 0, so a before/after difference still works
    expect(requestCountFromMetrics(text.split('\n').slice(0, 2).join('\n'), 'Produce')).toBe(0);
    expect(requestCountFromMetrics('# TYPE other_metric counter\n', 'Produce')).toBeNull();
    expect(requestCountFromMetrics(null, 'Produce')).toBeNull();
  });

  it('accepts only dense baseOffsets, in any arrival order', async () => {
    const { denseOffsetsProblem } = await load();
    expect(denseOffsetsProblem([2, 0, 1, 3])).toBeNull();
    expect(denseOffsetsProblem([])).toBeNull();
    expect(denseOffsetsProblem([0, 10, 20], 10)).toBeNull();
    expect(denseOffsetsProblem([0, 1, 1, 2])).toMatch(/batch 2 got baseOffset 1, expected 2 \(offset assigned twice\)/);
    expect(denseOffsetsProblem([0, 2, 3])).toMatch(/batch 1 got baseOffset 2, expected 1/);
  });

  it('aggregates concurrent rdkafka_performance runs over the slowest window', async () => {
    const { aggregatePerf } = await load();
    const a = aggregatePerf([
      { delivered: 50_000, ms: 4_000 },
      { delivered: 50_000, ms: 5_000 },
    ]);
    expect(a).toMatchObject({ delivered: 100_000, seconds: 5, perSec: 20_000, slowestMs: 5_000, fastestMs: 4_000 });
    expect(aggregatePerf([{ delivered: 1, ms: 1 }, null])).toBeNull();
    expect(aggregatePerf([])).toBeNull();
  });
});
