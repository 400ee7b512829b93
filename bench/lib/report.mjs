// Thread: main (bench). Turns one `run.mjs` result (bench/results/run-*.json) into what a person
// reads: the summary table for stdout, and a Markdown report with SVG charts (throughput bars,
// latency percentile curves, scaling bars). Every Strata figure stands beside its target, its
// ratio to the machine limit measured in the same run, and its ratio to each peer measured in
// the same run. Pure functions of the result object, so `node bench/report.mjs <file>` can
// redraw the report of any stored run.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fmt } from './cli.mjs';
import { barChart, compact, percentileChart } from './svg.mjs';

export const TARGETS = {
  produceAcks1RecordsPerSec: 2_000_000,
  produceAcksAllRecordsPerSec: 1_000_000, // "acks=all ≥ half" of the acks=1 target
  fetchRecordsPerSec: 4_000_000,
  latencyP99Ms: 1, // at 10,000 records/s (issue 5)
  latencyRate: 10_000,
  rssAt10kPartitionsBytes: 512 * 2 ** 20,
  restart10GBSeconds: 2,
  ingestVsRedis: 10,
};

export const PEERS = [
  ['redis', 'Redis Streams'],
  ['nats', 'NATS JetStream'],
  ['rabbitmq', 'RabbitMQ streams'],
];

const okFig = (r) => r && r.ok !== false && !r.skipped;
const pct = (r) => (r === null || r === undefined || !Number.isFinite(r) ? '—' : `${fmt(r * 100, 0)} %`);
const times = (r) => (r === null || r === undefined || !Number.isFinite(r) ? '—' : r >= 10 ? `${fmt(r, 0)}×` : `${fmt(r, r >= 1 ? 1 : 2)}×`);
const met = (ok) => (ok === null ? '—' : ok ? 'yes' : '**NO**');
const div = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : null);
const failure = (r) => `FAILURE: ${(r?.failures ?? ['no result'])[0] ?? ''}`;
const peerResult = (res, key) => res.peers?.[key];
const peerFigure = (res, key, pick) => {
  const p = peerResult(res, key);
  return okFig(p) ? pick(p) ?? null : null;
};

/** Latency results by rate; accepts the older single-rate shape too. */
export function latencyByRate(res) {
  const l = res.latency;
  if (!l) return {};
  if (l.workload === 'latency') return { [l.options.rate]: l };
  if (Array.isArray(l.failures)) return { '?': l }; // the workload crashed before any rate ran
  return l;
}

/**
 * Headline rows: [figure, Strata, target, met, vs limit, vs Redis, vs NATS, vs RabbitMQ].
 * Throughput ratios are Strata ÷ peer (above 1: Strata faster); latency ratios are
 * Strata p99 ÷ peer p99 (above 1: Strata slower).
 */
export function headlineRows(res) {
  const L = res.limits;
  const rows = [];
  const peerCols = (mine, pick) => PEERS.map(([k]) => {
    const p = peerResult(res, k);
    if (!p) return '—';
    if (p.skipped) return 'skipped';
    if (!p.ok) return 'failed';
    return times(div(mine, pick(p)));
  });
  const thr = (label, r, target, limitName, limitMBps, pick) => {
    if (!r) return;
    if (!okFig(r)) return rows.push([label, r?.skipped ? `skipped: ${r.skipped}` : failure(r), target ? `≥ ${fmt(target)} rec/s` : '', '—', limitName ?? '', ...PEERS.map(() => '—')]);
    rows.push([
      label,
      `${fmt(r.recordsPerSec)} rec/s (${fmt(r.MBps, 1)} MiB/s)`,
      target ? `≥ ${fmt(target)} rec/s` : '',
      target ? met(r.recordsPerSec >= target) : '',
      limitMBps ? `${pct(div(r.MBps, limitMBps))} of ${limitName}` : '',
      ...(pick ? peerCols(r.recordsPerSec, pick) : PEERS.map(() => '')),
    ]);
  };
  const pub = (p) => p.publish?.recordsPerSec;
  const sub = (p) => p.consume?.recordsPerSec;
  thr('ingest, raw, acks=1', res.produceAcks1, TARGETS.produceAcks1RecordsPerSec, 'loopback TCP', L?.tcpLoopback?.MBps, pub);
  thr('ingest, raw, acks=all', res.produceAcksAll, TARGETS.produceAcksAllRecordsPerSec, 'write+fdatasync', L?.fileWriteFdatasync?.MBps, pub);
  if (okFig(res.produceAcks1) && okFig(res.produceAcksAll)) {
    const r = div(res.produceAcksAll.recordsPerSec, res.produceAcks1.recordsPerSec);
    rows.push(['acks=all ÷ acks=1', pct(r), '≥ 50 %', met(r >= 0.5), '', '', '', '']);
  }
  for (const [key, name] of [['rdkafka', 'librdkafka'], ['kafkajs', 'KafkaJS']]) {
    const c = res.clients?.[key];
    if (!c) continue;
    if (c.skipped) {
      rows.push([`ingest, ${name}`, `skipped: ${c.skipped}`, '', '', '', '', '', '']);
      continue;
    }
    for (const acks of ['1', 'all']) {
      const run = c.runs?.[acks];
      if (run) thr(`ingest, ${name}, acks=${acks}`, run, null, acks === '1' ? 'loopback TCP' : 'write+fdatasync', acks === '1' ? L?.tcpLoopback?.MBps : L?.fileWriteFdatasync?.MBps, pub);
    }
  }
  thr('fetch, page cache', res.fetch, TARGETS.fetchRecordsPerSec, 'page-cache read', L?.pageCacheRead?.MBps, sub);
  if (res.fetchRemote) {
    const r = res.fetchRemote;
    if (!okFig(r)) rows.push(['fetch, object storage', r.skipped ? `skipped: ${r.skipped}` : failure(r), '', '', '', '', '', '']);
    else rows.push(['fetch, object storage (cold)', `${fmt(r.recordsPerSec)} rec/s (${fmt(r.MBps, 1)} MiB/s)`, '', '', `${r.ofRawPercent} % of raw ranged GETs (${fmt(r.rawRangedGet.MBps, 1)} MiB/s)`, ...peerCols(r.recordsPerSec, sub)]);
  }
  for (const [rate, l] of Object.entries(latencyByRate(res))) {
    const label = `e2e latency @ ${fmt(Number(rate))} rec/s`;
    const isTarget = Number(rate) === TARGETS.latencyRate;
    const target = isTarget ? `p99 ≤ ${TARGETS.latencyP99Ms} ms` : '';
    if (!okFig(l)) {
      rows.push([label, failure(l), target, '—', '', '', '', '']);
      continue;
    }
    const e = l.endToEnd;
    rows.push([
      label,
      `p50 ${e.p50Ms} · p99 ${e.p99Ms} · p99.9 ${e.p999Ms} · max ${e.maxMs} ms`,
      target,
      isTarget ? met(e.p99Ms <= TARGETS.latencyP99Ms) : '',
      L?.latencyFloor ? `floor p99 ${L.latencyFloor.relayEndToEnd.p99Ms} ms (Node relay, 1 kHz)` : `harness timer lag p99 ${l.sendLag?.p99Ms} ms`,
      ...PEERS.map(([k]) => {
        const p = peerResult(res, k);
        if (!p) return '—';
        if (p.skipped) return 'skipped';
        const pl = p.latency?.[rate];
        if (!pl) return '—';
        if (pl.ok === false) return 'failed';
        if (pl.sustained === false) return `peer did not sustain the rate (${fmt(pl.achievedRate)}/s)`;
        return `${times(div(e.p99Ms, pl.p99Ms))} (${pl.p99Ms} ms)`;
      }),
    ]);
  }
  const s = res.scaling;
  if (s?.memory) {
    const m = s.memory;
    if (!okFig(m)) rows.push(['RSS at 10,000 partitions', failure(m), '≤ 512 MiB', '—', '', '', '', '']);
    else rows.push(['RSS at 10,000 partitions', `${fmt(m.rssBytes / 2 ** 20)} MiB`, '≤ 512 MiB', met(m.rssBytes <= TARGETS.rssAt10kPartitionsBytes), '', '', '', '']);
  }
  // The headline shows the largest log; every size is in the restart section.
  const largest = Math.max(...(res.recovery?.runs ?? []).map((r) => r.sizeGB));
  for (const run of (res.recovery?.runs ?? []).filter((r) => r.sizeGB === largest)) {
    for (const [mode, label] of RESTART_MODES) {
      const r = run[mode];
      if (!r) continue;
      const judged = run.sizeGB >= 10 && mode !== 'kernelCrash';
      const target = judged ? `≤ ${TARGETS.restart10GBSeconds} s` : '';
      const name = `restart, ${fmt(run.sizeGB, run.sizeGB < 1 ? 2 : 0)} GiB log, ${label}`;
      if (!okFig(r)) rows.push([name, failure(r), target, '—', '', '', '', '']);
      else rows.push([name, `${fmt(servingMs(r) / 1000, 2)} s to serving (ready ${fmt(r.readyMs / 1000, 2)} s)`, target, judged ? met(servingMs(r) <= TARGETS.restart10GBSeconds * 1000) : '', '', '', '', '']);
    }
  }
  return rows;
}

/** Restart kinds measured by recovery.mjs: [result key, label]. */
const RESTART_MODES = [
  ['unclean', 'after SIGKILL'],
  ['kernelCrash', 'after a simulated kernel crash'],
  ['clean', 'after SIGTERM'],
];
/** Spawn → answering: ListOffsets equal to the records written and a Fetch of the tail. */
const servingMs = (r) => Math.max(r.readyMs ?? 0, r.listOffsetsMs ?? 0, r.tailFetchMs ?? 0);

export const HEADLINE_HEADER = ['figure', 'Strata', 'target', 'met', 'vs machine limit', 'vs Redis Streams', 'vs NATS JetStream', 'vs RabbitMQ streams'];

/** Plain-text table for stdout. */
export function textTable(rows, header = HEADLINE_HEADER) {
  const strip = (s) => String(s ?? '').replace(/\*\*/g, '');
  const all = [header, ...rows].map((r) => r.map(strip));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r, n) => {
    const line = r.map((c, i) => c.padEnd(widths[i])).join('  ');
    return n === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

const mdRow = (r) => `| ${r.map((c) => String(c ?? '').replace(/\|/g, '\\|')).join(' | ')} |`;
const mdTable = (header, rows) => [mdRow(header), mdRow(header.map(() => '---')), ...rows.map(mdRow)].join('\n');

/** The charts of one run: { fileName: svgText }. */
export function charts(res) {
  const out = {};
  const pub = (k) => peerFigure(res, k, (p) => p.publish?.recordsPerSec);
  const sub = (k) => peerFigure(res, k, (p) => p.consume?.recordsPerSec);
  const skippedText = (k) => {
    const p = peerResult(res, k);
    return p?.skipped ? `skipped: ${p.skipped}`.slice(0, 60) : p && !p.ok ? 'failed' : 'not measured';
  };
  const ingest = [];
  const add = (list, label, r, group) => {
    if (!r) return;
    list.push({ label, value: okFig(r) ? r.recordsPerSec : null, group, text: okFig(r) ? undefined : r.skipped ? `skipped: ${r.skipped}`.slice(0, 60) : 'FAILED' });
  };
  add(ingest, 'Strata raw, acks=1', res.produceAcks1, 'Strata');
  add(ingest, 'Strata raw, acks=all', res.produceAcksAll, 'Strata');
  for (const [key, name] of [['rdkafka', 'librdkafka'], ['kafkajs', 'KafkaJS']]) {
    const c = res.clients?.[key];
    if (!c) continue;
    for (const acks of ['1', 'all']) {
      const run = c.runs?.[acks];
      if (c.skipped) {
        if (acks === '1') ingest.push({ label: `Strata via ${name}`, value: null, text: `skipped: ${c.skipped}`.slice(0, 60) });
      } else if (run) add(ingest, `Strata via ${name}, acks=${acks}`, run, 'Strata');
    }
  }
  for (const [k, name] of PEERS) if (peerResult(res, k)) ingest.push({ label: `${name} publish`, value: pub(k), group: 'peers', text: pub(k) === null ? skippedText(k) : undefined });
  if (ingest.length) out['ingest.svg'] = barChart({ title: 'Ingest, 100-byte records (records/s, higher is better)', unit: 'rec/s', items: ingest, target: TARGETS.produceAcks1RecordsPerSec, targetLabel: 'Strata target' });

  const consume = [];
  add(consume, 'Strata fetch, page cache', res.fetch, 'Strata');
  add(consume, 'Strata fetch, object storage', res.fetchRemote, 'Strata');
  for (const [k, name] of PEERS) if (peerResult(res, k)) consume.push({ label: `${name} consume`, value: sub(k), group: 'peers', text: sub(k) === null ? skippedText(k) : undefined });
  if (consume.length) out['consume.svg'] = barChart({ title: 'Consume a backlog, 100-byte records (records/s, higher is better)', unit: 'rec/s', items: consume, target: TARGETS.fetchRecordsPerSec, targetLabel: 'Strata target' });

  const byRate = latencyByRate(res);
  for (const rate of Object.keys(byRate)) {
    const series = [];
    if (okFig(byRate[rate]) && byRate[rate].endToEndCurve) series.push({ name: 'Strata', curve: byRate[rate].endToEndCurve });
    if (res.limits?.latencyFloor?.relayEndToEndCurve && Number(rate) === TARGETS.latencyRate) series.push({ name: 'floor: Node relay, 1 kHz', curve: res.limits.latencyFloor.relayEndToEndCurve });
    for (const [k, name] of PEERS) {
      const pl = peerFigure(res, k, (p) => p.latency?.[rate]);
      if (pl?.curve) series.push({ name: pl.sustained === false ? `${name} (only ${compact(pl.achievedRate)}/s)` : name, curve: pl.curve });
    }
    if (series.length) out[`latency-${rate}.svg`] = percentileChart({ title: `End-to-end latency at ${fmt(Number(rate))} records/s (lower is better)`, series, targetMs: Number(rate) === TARGETS.latencyRate ? TARGETS.latencyP99Ms : null });
  }
  const strataRates = Object.entries(byRate).filter(([, l]) => okFig(l) && l.endToEndCurve);
  if (strataRates.length > 1) out['latency-strata.svg'] = percentileChart({ title: 'Strata end-to-end latency by rate', series: strataRates.map(([rate, l]) => ({ name: `${fmt(Number(rate))} rec/s`, curve: l.endToEndCurve })) });

  const s = res.scaling;
  const scale = [];
  for (const r of s?.slots ?? []) scale.push({ label: `${r.workerThreads} worker slot${r.workerThreads === 1 ? '' : 's'}, ${r.partitions} partitions`, value: okFig(r) ? r.recordsPerSec : null, group: 'worker slots', text: okFig(r) ? undefined : 'FAILED' });
  for (const r of s?.partitions ?? []) scale.push({ label: `${fmt(r.partitions)} partition${r.partitions === 1 ? '' : 's'}`, value: okFig(r) ? r.recordsPerSec : null, group: 'partitions', text: okFig(r) ? undefined : 'FAILED' });
  if (scale.length) out['scaling.svg'] = barChart({ title: 'Ingest scaling, acks=1 (records/s)', unit: 'rec/s', items: scale });
  return out;
}

function limitsSection(L) {
  if (!L) return [];
  return [
    '## Machine limits (same run)',
    '',
    `- loopback TCP between two Node processes, 1 MiB writes: ${fmt(L.tcpLoopback.MBps)} MiB/s`,
    `- sequential write to a fresh file: ${fmt(L.fileWrite.MBps)} MiB/s; with fdatasync after every 1 MiB: ${fmt(L.fileWriteFdatasync.MBps)} MiB/s`,
    `- page-cache read, 1 MiB reads: ${fmt(L.pageCacheRead.MBps)} MiB/s`,
    `- CRC32C (${L.crc32c.implementation}): ${fmt(L.crc32c.MBps)} MiB/s`,
    ...(L.latencyFloor
      ? [`- latency floor: the latency bench's method (producer thread on an absolute 1 ms schedule, consumer on the main thread, measured from the scheduled time) through a single-threaded Node TCP relay instead of a broker: p50 ${L.latencyFloor.relayEndToEnd.p50Ms} · p99 ${L.latencyFloor.relayEndToEnd.p99Ms} · p99.9 ${L.latencyFloor.relayEndToEnd.p999Ms} · max ${L.latencyFloor.relayEndToEnd.maxMs} ms; the producer thread's timer lag alone: p99 ${L.latencyFloor.timerLag.p99Ms} · max ${L.latencyFloor.timerLag.maxMs} ms`]
      : []),
    '',
  ];
}

function peersSection(res) {
  if (!res.peers) return [];
  const rates = [...new Set(PEERS.flatMap(([k]) => Object.keys(peerResult(res, k)?.latency ?? {})))].sort((a, b) => a - b);
  const header = ['peer', 'server', 'client', 'publish', 'consume', ...rates.map((r) => `latency @ ${fmt(Number(r))}/s p50 · p99 · p99.9 · max (ms)`)];
  const rows = PEERS.map(([k, name]) => {
    const p = peerResult(res, k);
    if (!p) return [name, 'not run', '', '', '', ...rates.map(() => '')];
    if (p.skipped) return [name, `skipped: ${p.skipped}`, '', '', '', ...rates.map(() => '')];
    if (!p.ok) return [name, failure(p), '', '', '', ...rates.map(() => '')];
    return [
      name,
      `${p.server?.version ?? '?'}${p.server?.startedByBench ? ' (started by the bench)' : ''}`,
      `${p.client?.package ?? ''} ${p.client?.version ?? ''}`,
      `${fmt(p.publish?.recordsPerSec)} rec/s`,
      `${fmt(p.consume?.recordsPerSec)} rec/s`,
      ...rates.map((r) => {
        const l = p.latency?.[r];
        if (!l) return '—';
        if (l.ok === false) return `failed: ${l.failures?.[0] ?? ''}`;
        return `${l.p50Ms} · ${l.p99Ms} · ${l.p999Ms} · ${l.maxMs}${l.sustained === false || (l.achievedRate && l.achievedRate < Number(r) * 0.95) ? ` (NOT SUSTAINED: ${fmt(l.achievedRate)}/s)` : ''}`;
      }),
    ];
  });
  return ['## Peers (same run, same machine, their usual Node clients)', '', mdTable(header, rows), ''];
}

function latencySection(res) {
  const byRate = latencyByRate(res);
  if (Object.keys(byRate).length === 0) return [];
  const rows = Object.entries(byRate).map(([rate, l]) => {
    if (!okFig(l)) return [fmt(Number(rate)), failure(l), '', '', '', '', ''];
    const e = l.endToEnd;
    return [fmt(Number(rate)), fmt(l.achievedRate), `${e.p50Ms} · ${e.p99Ms} · ${e.p999Ms} · ${e.maxMs}`, `${l.fromActualSend.p50Ms} · ${l.fromActualSend.p99Ms} · ${l.fromActualSend.p999Ms}`, `${l.sendLag.p99Ms} · ${l.sendLag.maxMs}`, `${fmt(l.sent)} / ${fmt(l.received)}`, `${l.cpu.brokerCores} / ${l.cpu.otherProcessesCores}`];
  });
  return [
    '## Strata end-to-end latency',
    '',
    'Measured from each record\'s *scheduled* send time (no coordinated omission), acks=1, one partition, Fetch long-poll consumer.',
    '',
    mdTable(['rate (rec/s)', 'achieved', 'p50 · p99 · p99.9 · max (ms)', 'from actual send p50 · p99 · p99.9', 'harness timer lag p99 · max', 'sent / received', 'CPU broker / others (cores)'], rows),
    '',
  ];
}

function scalingSection(res) {
  const s = res.scaling;
  if (!s) return [];
  const lines = ['## Scaling', ''];
  const rows = [];
  for (const r of [...(s.slots ?? []), ...(s.partitions ?? [])]) {
    rows.push([
      r.workerThreads ?? 'default',
      fmt(r.partitions),
      okFig(r) ? `${fmt(r.recordsPerSec)} rec/s (${fmt(r.MBps, 1)} MiB/s)` : failure(r),
      r.brokerCores ?? r.cpu?.brokerCores ?? '',
      r.brokerPeakRssBytes ? `${fmt(r.brokerPeakRssBytes / 2 ** 20)} MiB` : '',
    ]);
  }
  if (rows.length) lines.push(mdTable(['worker slots', 'partitions', 'ingest acks=1', 'broker CPU (cores)', 'broker peak RSS'], rows), '');
  if (s.memory) {
    const m = s.memory;
    lines.push(okFig(m)
      ? `Memory: ${fmt(m.partitions)} partitions, each with an active segment: broker RSS ${fmt(m.rssBytes / 2 ** 20)} MiB (target ≤ 512 MiB)${m.createSeconds ? `; created in ${m.createSeconds} s` : ''}.`
      : `Memory at 10,000 partitions: ${failure(m)}`, '');
  }
  if (s.method) lines.push(`Method: ${s.method}`, '');
  return lines;
}

function recoverySection(res) {
  const r = res.recovery;
  if (!r) return [];
  const rows = [];
  for (const run of r.runs ?? []) {
    for (const [mode, label] of RESTART_MODES) {
      const x = run[mode];
      if (!x) continue;
      rows.push([
        `${fmt(run.sizeGB, run.sizeGB < 1 ? 2 : 0)} GiB (${fmt(run.records)} records, ${run.partitions} partitions, ${run.segments} segments)`,
        label,
        okFig(x) ? `${fmt(x.readyMs)} ms` : failure(x),
        okFig(x) ? `${fmt(x.brokerRecoveredMs)} ms${x.pageCacheTrusted ? ' (page cache trusted)' : ' (full CRC scan)'}` : '',
        okFig(x) ? `${fmt(x.listOffsetsMs)} / ${fmt(x.tailFetchMs)} ms` : '',
      ]);
    }
  }
  const lines = ['## Restart time', ''];
  if (rows.length) lines.push(mdTable(['log', 'restart', 'spawn → ready', 'log recovery inside the broker', 'spawn → ListOffsets verified / tail Fetch'], rows), '');
  lines.push('Nothing was checkpointed before the kill (no segment rolled), so the whole log is unflushed tail: the worst case. The simulated kernel crash removes the broker\'s boot-id marker, which forces a CRC-32C scan of every unflushed byte; the log is still in the page cache, so this is the broker\'s own work, not a cold disk.', '');
  return lines;
}

function clientsSection(res) {
  const c = res.clients;
  if (!c) return [];
  const rows = [];
  for (const [key, name] of [['rdkafka', 'librdkafka (rdkafka_performance)'], ['kafkajs', 'KafkaJS']]) {
    const x = c[key];
    if (!x) continue;
    if (x.skipped) {
      rows.push([name, x.version ?? '', '', `skipped: ${x.skipped}`, '', '']);
      continue;
    }
    for (const acks of ['1', 'all']) {
      const run = x.runs?.[acks];
      if (!run) continue;
      rows.push([name, x.version ?? '', acks, okFig(run) ? `${fmt(run.recordsPerSec)} rec/s (${fmt(run.MBps, 1)} MiB/s)` : run.skipped ? `skipped: ${run.skipped}` : failure(run), run.cpu ? `${run.cpu.clientCores ?? run.cpu.loadGeneratorCores ?? ''} / ${run.cpu.brokerCores ?? ''}` : '', run.settings ? Object.entries(run.settings).map(([k, v]) => `${k}=${v}`).join(', ') : '']);
    }
  }
  return ['## Ingest through real Kafka clients', '', mdTable(['client', 'version', 'acks', 'ingest', 'CPU client / broker (cores)', 'settings'], rows), ''];
}

function versionsSection(res) {
  const m = res.machine;
  const v = [
    ['Strata', `${m.strataVersion ?? '?'} (commit ${m.gitCommit?.slice(0, 12) ?? '?'}${m.gitDirty ? ', dirty' : ''})`],
    ['Node.js', `${m.node} (V8 ${m.v8})`],
    ...Object.entries(m.dependencies ?? {}).map(([k, x]) => [k, x ?? '—']),
  ];
  if (res.clients?.rdkafka?.version) v.push(['librdkafka', res.clients.rdkafka.version]);
  if (res.clients?.kafkajs?.version) v.push(['KafkaJS', res.clients.kafkajs.version]);
  for (const [k, name] of PEERS) {
    const p = peerResult(res, k);
    if (p?.server?.version) v.push([`${name} server`, p.server.version]);
    if (p?.client?.version) v.push([`${name} client`, `${p.client.package} ${p.client.version}`]);
  }
  if (res.fetchRemote?.server) v.push(['object storage', `${res.fetchRemote.server.kind}${res.fetchRemote.server.version ? ` ${res.fetchRemote.server.version}` : ''}`]);
  return ['## Versions', '', mdTable(['component', 'version'], v), ''];
}

/** Targets missed in this run, one line each (the report's "shortfalls"). */
export function shortfalls(res) {
  const out = [];
  const l = latencyByRate(res)[TARGETS.latencyRate];
  if (okFig(res.produceAcks1) && res.produceAcks1.recordsPerSec < TARGETS.produceAcks1RecordsPerSec) out.push(`ingest acks=1 ${fmt(res.produceAcks1.recordsPerSec)} rec/s < ${fmt(TARGETS.produceAcks1RecordsPerSec)}`);
  if (okFig(res.produceAcksAll) && okFig(res.produceAcks1) && res.produceAcksAll.recordsPerSec < res.produceAcks1.recordsPerSec / 2) out.push('acks=all below half of acks=1');
  const redisPub = peerFigure(res, 'redis', (p) => p.publish?.recordsPerSec);
  if (okFig(res.produceAcks1) && redisPub && res.produceAcks1.recordsPerSec < TARGETS.ingestVsRedis * redisPub) out.push(`ingest acks=1 is ${times(res.produceAcks1.recordsPerSec / redisPub)} Redis Streams (target ≥ 10×)`);
  if (okFig(res.fetch) && res.fetch.recordsPerSec < TARGETS.fetchRecordsPerSec) out.push(`fetch ${fmt(res.fetch.recordsPerSec)} rec/s < ${fmt(TARGETS.fetchRecordsPerSec)}`);
  if (okFig(l) && l.endToEnd.p99Ms > TARGETS.latencyP99Ms) out.push(`p99 latency at ${fmt(TARGETS.latencyRate)} rec/s is ${l.endToEnd.p99Ms} ms (target ≤ ${TARGETS.latencyP99Ms} ms)`);
  const m = res.scaling?.memory;
  if (okFig(m) && m.rssBytes > TARGETS.rssAt10kPartitionsBytes) out.push(`RSS at 10,000 partitions ${fmt(m.rssBytes / 2 ** 20)} MiB > 512 MiB`);
  for (const run of res.recovery?.runs ?? []) {
    for (const [mode, label] of RESTART_MODES) {
      const r = run[mode];
      if (run.sizeGB >= 10 && mode !== 'kernelCrash' && okFig(r) && servingMs(r) > TARGETS.restart10GBSeconds * 1000) out.push(`restart over ${run.sizeGB} GiB ${label} took ${fmt(servingMs(r) / 1000, 2)} s > 2 s`);
    }
  }
  return out;
}

/** Names of workloads that FAILED verification (lost/duplicated/rejected records or errors). */
export function failedWorkloads(res) {
  const out = [];
  const check = (name, r) => {
    if (r && !r.skipped && r.ok === false) out.push(`${name}: ${(r.failures ?? []).slice(0, 3).join('; ')}`);
  };
  check('produce acks=1', res.produceAcks1);
  check('produce acks=all', res.produceAcksAll);
  check('fetch', res.fetch);
  check('fetch from object storage', res.fetchRemote);
  for (const [rate, l] of Object.entries(latencyByRate(res))) check(`latency @ ${rate}`, l);
  check('clients', res.clients);
  check('small requests', res.smallRequests);
  for (const [k, name] of PEERS) check(name, peerResult(res, k));
  check('scaling', res.scaling);
  check('recovery', res.recovery);
  return out;
}

/**
 * Markdown report; charts are written next to it under `<chartsDir>` and linked relatively.
 * Returns the Markdown text.
 */
export function writeReport(res, { mdPath, chartsDir }) {
  mkdirSync(chartsDir, { recursive: true });
  const svgs = charts(res);
  for (const [name, svg] of Object.entries(svgs)) writeFileSync(path.join(chartsDir, name), `${svg}\n`);
  const rel = (name) => path.relative(path.dirname(mdPath), path.join(chartsDir, name)).split(path.sep).join('/');
  const m = res.machine;
  const miss = shortfalls(res);
  const failed = failedWorkloads(res);
  const lines = [
    `# Strata benchmark — ${res.startedAt}${res.options?.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${m.cpuCount} × ${m.cpuModel}, ${fmt(m.totalMemoryBytes / 2 ** 30, 1)} GiB RAM, ${m.platform}; load average at start ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}; whole run ${res.totalSeconds ?? '?'} s.`,
    'Load generators, Strata and the peers all share this machine\'s 2 cores: absolute figures drift by up to 2× between runs, so compare the ratios to the limits and peers measured in the same run. 100-byte records throughout.',
    '',
    mdTable(HEADLINE_HEADER, headlineRows(res)),
    '',
    'Ratios: throughput is Strata ÷ peer (above 1×: Strata faster); latency is Strata p99 ÷ peer p99 at the same rate (above 1×: Strata slower).',
    '',
  ];
  if (failed.length) lines.push('## FAILED verification', '', ...failed.map((f) => `- ${f}`), '');
  lines.push('## Targets missed in this run', '', ...(miss.length ? miss.map((s) => `- ${s}`) : ['- none']), '');
  lines.push('## Charts', '');
  for (const name of Object.keys(svgs)) lines.push(`![${name.replace(/\.svg$/, '')}](${rel(name)})`, '');
  lines.push(...limitsSection(res.limits), ...clientsSection(res), ...peersSection(res), ...latencySection(res), ...scalingSection(res), ...recoverySection(res), ...versionsSection(res));
  if (res.resultFile) lines.push(`Raw data: \`${res.resultFile}\` (not committed; \`node bench/report.mjs <file>\` redraws this report from it).`, '');
  const md = lines.join('\n');
  writeFileSync(mdPath, md);
  return md;
}
