// Unit tests of the benchmark suite's own logic (bench/ is plain .mjs, loaded dynamically):
// the report's ratios, targets and failure detection, the SVG charts and the peers' exactly-once
// verifier. A wrong ratio or a missed loss here would make the published figures lie. The batch
// walker that counts fetched records imports the built codecs (dist/), so its test is
// test/integration/bench-batches.test.ts.
import { describe, expect, it } from 'vitest';

const load = (p: string) => import(new URL(`../../../bench/${p}`, import.meta.url).href);

const curve = (p50: number, p99: number, max: number) => [
  [0, p50 / 2],
  [50, p50],
  [90, (p50 + p99) / 2],
  [99, p99],
  [99.9, (p99 + max) / 2],
  [100, max],
];

function sampleRun(overrides: Record<string, unknown> = {}) {
  return {
    startedAt: '2026-11-25T00:00:00.000Z',
    options: { quick: false },
    totalSeconds: 1,
    machine: { cpuCount: 2, cpuModel: 'test', totalMemoryBytes: 2 ** 34, platform: 'linux', loadAverage: [0, 0, 0], node: 'v20', v8: '11', gitCommit: 'abc', gitDirty: false, strataVersion: '0.1.0', dependencies: {} },
    limits: {
      tcpLoopback: { MBps: 2000 },
      fileWrite: { MBps: 500 },
      fileWriteFdatasync: { MBps: 200 },
      pageCacheRead: { MBps: 10000 },
      crc32c: { implementation: 'native', MBps: 8000 },
      latencyFloor: { relayEndToEnd: { p50Ms: 0.1, p99Ms: 0.5, p999Ms: 3, maxMs: 4 }, relayEndToEndCurve: curve(0.1, 0.5, 4), timerLag: { p99Ms: 0.1, maxMs: 3 } },
    },
    produceAcks1: { ok: true, recordsPerSec: 3_000_000, MBps: 300 },
    produceAcksAll: { ok: true, recordsPerSec: 1_200_000, MBps: 120 },
    fetch: { ok: true, recordsPerSec: 5_000_000, MBps: 500 },
    latency: {
      10000: { workload: 'latency', ok: true, options: { rate: 10000 }, achievedRate: 10000, endToEnd: { p50Ms: 0.3, p99Ms: 2, p999Ms: 5, maxMs: 9 }, endToEndCurve: curve(0.3, 2, 9), fromActualSend: { p50Ms: 0.2, p99Ms: 1.8, p999Ms: 4 }, sendLag: { p99Ms: 0.2, maxMs: 2 }, sent: 100, received: 100, cpu: { brokerCores: 0.3, otherProcessesCores: 0 } },
    },
    peers: {
      redis: { ok: true, skipped: null, server: { version: '7' }, client: { package: 'ioredis', version: '5' }, publish: { recordsPerSec: 200_000 }, consume: { recordsPerSec: 1_000_000 }, latency: { 10000: { ok: true, sustained: true, p50Ms: 0.2, p99Ms: 1, p999Ms: 2, maxMs: 3, achievedRate: 10000, curve: curve(0.2, 1, 3) } } },
      nats: { ok: true, skipped: null, server: { version: '2' }, client: { package: 'nats', version: '2' }, publish: { recordsPerSec: 50_000 }, consume: { recordsPerSec: 400_000 }, latency: { 10000: { ok: true, sustained: false, p50Ms: 900, p99Ms: 4000, p999Ms: 4500, maxMs: 5000, achievedRate: 4100, curve: curve(900, 4000, 5000) } } },
      rabbitmq: { ok: false, skipped: 'RabbitMQ not reachable at 127.0.0.1:5672', failures: [] },
    },
    scaling: { ok: true, slots: [], partitions: [], memory: { ok: true, partitions: 10000, rssBytes: 600 * 2 ** 20 } },
    recovery: { ok: true, runs: [{ sizeGB: 10, records: 1, partitions: 12, segments: 12, unclean: { ok: true, readyMs: 400, listOffsetsMs: 410, tailFetchMs: 2500, brokerRecoveredMs: 100, pageCacheTrusted: true } }] },
    ...overrides,
  };
}

describe('bench report', () => {
  it('puts every figure beside its target, its same-run limit and each peer (Strata ÷ peer)', async () => {
    const { headlineRows } = await load('lib/report.mjs');
    const rows: string[][] = headlineRows(sampleRun());
    const byFigure = new Map(rows.map((r) => [r[0], r]));
    const ingest = byFigure.get('ingest, raw, acks=1')!;
    expect(ingest[3]).toBe('yes');
    expect(ingest[4]).toBe('15 % of loopback TCP'); // 300 / 2000 MiB/s
    expect(ingest[5]).toBe('15×'); // 3M ÷ 200k
    expect(ingest[6]).toBe('60×'); // 3M ÷ 50k
    expect(ingest[7]).toBe('skipped');
    expect(byFigure.get('fetch, page cache')![5]).toBe('5.0×');
    const lat = byFigure.get('e2e latency @ 10,000 rec/s')!;
    expect(lat[3]).toBe('**NO**'); // p99 2 ms > 1 ms
    expect(lat[5]).toBe('2.0× (1 ms)');
    expect(lat[6]).toMatch(/did not sustain the rate \(4,100\/s\)/);
    expect(byFigure.get('RSS at 10,000 partitions')![3]).toBe('**NO**');
  });

  it('lists the targets a run missed and the workloads that failed verification', async () => {
    const { shortfalls, failedWorkloads, headlineRows } = await load('lib/report.mjs');
    const run = sampleRun();
    const missed: string[] = shortfalls(run);
    expect(missed.some((m) => m.startsWith('p99 latency at 10,000 rec/s is 2 ms'))).toBe(true);
    expect(missed.some((m) => m.startsWith('RSS at 10,000 partitions 600 MiB'))).toBe(true);
    expect(missed.some((m) => m.includes('after SIGKILL took 2.50 s'))).toBe(true); // serving = tail fetch
    expect(missed.some((m) => m.startsWith('ingest acks=1'))).toBe(false); // 3M ≥ 2M and 15× Redis
    expect(failedWorkloads(run)).toEqual([]); // a skipped peer is not a failure
    const smallLost = sampleRun({ smallRequests: { ok: false, failures: ['raw 4 conn: partition 0: high watermark 9 != 10 requests acknowledged'] } });
    expect(failedWorkloads(smallLost)).toEqual(['small requests: raw 4 conn: partition 0: high watermark 9 != 10 requests acknowledged']);
    const lost = sampleRun({ fetch: { ok: false, failures: ['pass 1: counted 999,990 records, produced 1,000,000'] } });
    expect(failedWorkloads(lost)).toEqual(['fetch: pass 1: counted 999,990 records, produced 1,000,000']);
    expect(headlineRows(lost).find((r: string[]) => r[0] === 'fetch, page cache')[1]).toMatch(/^FAILURE: pass 1/);
    const clients = sampleRun({ clients: { ok: false, failures: ['x'], rdkafka: { version: '2.0.2', runs: { 1: { ok: true, failures: [], recordsPerSec: 2_000_000, MBps: 210 }, all: { ok: false, failures: ['ListOffsets sum 99 ≠ 100 produced'] } } } } });
    const clientRows = headlineRows(clients).filter((r: string[]) => r[0].startsWith('ingest, librdkafka'));
    expect(clientRows.map((r: string[]) => r[1])).toEqual(['2,000,000 rec/s (210.0 MiB/s)', 'FAILURE: ListOffsets sum 99 ≠ 100 produced']);
    expect(clientRows[0]![5]).toBe('10×'); // 2M ÷ Redis 200k
    const crashed = sampleRun({ latency: { ok: false, failures: ['latency crashed: boom'] } });
    expect(failedWorkloads(crashed)).toEqual(['latency @ ?: latency crashed: boom']);
    const slow = sampleRun({ produceAcks1: { ok: true, recordsPerSec: 1_500_000, MBps: 150 } });
    expect(shortfalls(slow)).toEqual(expect.arrayContaining(['ingest acks=1 1,500,000 rec/s < 2,000,000', 'ingest acks=1 is 7.5× Redis Streams (target ≥ 10×)']));
  });
  it('draws charts for ingest, consume and latency, with peers that did not keep up named', async () => {
    const { charts } = await load('lib/report.mjs');
    const svgs: Record<string, string> = charts(sampleRun());
    expect(Object.keys(svgs).sort()).toEqual(['consume.svg', 'ingest.svg', 'latency-10000.svg']);
    expect(svgs['ingest.svg']).toContain('Strata raw, acks=1');
    expect(svgs['ingest.svg']).toContain('skipped: RabbitMQ not reachable');
    expect(svgs['latency-10000.svg']).toContain('NATS JetStream (only 4.10k/s)');
    expect(svgs['latency-10000.svg']).toContain('floor: Node relay, 1 kHz');
    for (const svg of Object.values(svgs)) expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>$/);
  });
});

describe('bench SVG charts', () => {
  it('bar widths are proportional to the values', async () => {
    const { barChart } = await load('lib/svg.mjs');
    const svg: string = barChart({ title: 't', items: [{ label: 'a', value: 100 }, { label: 'b', value: 25 }] });
    const widths = [...svg.matchAll(/<rect x="250" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[0]! / widths[1]!).toBeCloseTo(4, 1);
  });

  it('compact numbers', async () => {
    const { compact } = await load('lib/svg.mjs');
    expect([compact(5_288_695), compact(85_400), compact(999), compact(null)]).toEqual(['5.29M', '85.4k', '999', '—']);
  });
});

describe('peers: exactly-once verifier', () => {
  it('names lost and duplicated records and ignores foreign payloads', async () => {
    const { SeqVerifier, makePayload } = await load('peers/common.mjs');
    const v = new SeqVerifier(5);
    for (const seq of [0, 1, 1, 3, 4]) v.see(makePayload(seq));
    v.see(Buffer.from('not ours'));
    expect([v.unique, v.duplicates, v.foreign, v.received]).toEqual([4, 1, 1, 5]);
    const failures: string[] = v.failures();
    expect(failures.join('\n')).toMatch(/1 of 5 records lost .*first missing sequence number 2/);
    expect(failures.join('\n')).toMatch(/1 .*twice|duplicat/);
    const clean = new SeqVerifier(3);
    for (const seq of [2, 0, 1]) clean.see(makePayload(seq));
    expect(clean.failures()).toEqual([]);
  });
});
