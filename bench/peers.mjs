// Thread: main (bench). The peers of issue 5, one after the other on this machine, through
// their usual Node clients: Redis Streams (ioredis), NATS JetStream (nats), RabbitMQ stream
// queues (amqplib). For each: publish N 100-byte records (1,000,000; 200,000 with --quick)
// with a bounded window of outstanding acks, consume them all from the start, and end-to-end
// latency at fixed rates (1,000 / 10,000 / 100,000 records/s, 10 s after a 2 s warm-up; --quick:
// 10,000 only, 3 s after 1 s) measured from each record's scheduled send time. Every record
// carries its sequence number and must be consumed exactly once, or the peer reports a FAILURE
// instead of a figure. Shared servers at 127.0.0.1:6379 / 4222 / 5672 are used when they
// answer; otherwise private redis-server / nats-server processes are started on free ports and
// stopped by PID afterwards, and RabbitMQ is reported as skipped. See ./peers/*.mjs.
//
// Usage: node bench/peers.mjs [--quick] [--only=redis,nats,rabbitmq] [--records=N]
//          [--rates=1000,10000,100000] [--seconds=S] [--warmup=S]
//          [--redis-port=6379] [--nats-port=4222] [--rabbitmq-port=5672] [--no-start]
import path from 'node:path';
import { fmt, isMain, parseArgs } from './lib/cli.mjs';
import { machineInfo, writeResult } from './lib/results.mjs';
import { runNats } from './peers/nats-jetstream.mjs';
import { runRabbitmq } from './peers/rabbitmq-streams.mjs';
import { runRedis } from './peers/redis-streams.mjs';

export const PEERS = {
  redis: { run: runRedis, portOption: 'redis-port', defaultPort: 6379 },
  nats: { run: runNats, portOption: 'nats-port', defaultPort: 4222 },
  rabbitmq: { run: runRabbitmq, portOption: 'rabbitmq-port', defaultPort: 5672 },
};

export const PEERS_DEFAULTS = {
  quick: false,
  only: '',
  rates: '',
  records: 0,
  seconds: 0,
  warmup: -1,
  start: true,
  'redis-port': 6379,
  'nats-port': 4222,
  'rabbitmq-port': 5672,
};

function parseList(v) {
  if (Array.isArray(v)) return v;
  if (!v) return [];
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Run the selected peers in turn. Options: quick, only ('redis,nats' or an array), rates (array
 * or '1000,10000'), records, seconds, warmup, start (false: never start private servers) and
 * the ports. Returns { redis, nats, rabbitmq } (null for a peer not selected).
 */
export async function runPeers(o = {}) {
  const opts = { ...PEERS_DEFAULTS, ...o };
  const only = parseList(opts.only);
  for (const p of only) if (!PEERS[p]) throw new Error(`unknown peer ${p}; choose from ${Object.keys(PEERS).join(', ')}`);
  const rates = parseList(opts.rates).map(Number);
  for (const r of rates) if (!(r > 0)) throw new Error(`bad rate ${r}`);
  const out = {};
  for (const [name, peer] of Object.entries(PEERS)) {
    if (only.length && !only.includes(name)) {
      out[name] = null;
      continue;
    }
    const t0 = performance.now();
    let r;
    try {
      r = await peer.run({
        quick: opts.quick,
        records: opts.records || undefined,
        rates: rates.length ? rates : undefined,
        seconds: opts.seconds || undefined,
        warmup: opts.warmup >= 0 ? opts.warmup : undefined,
        start: opts.start,
        port: opts[peer.portOption] || peer.defaultPort,
      });
    } catch (err) {
      r = { name, ok: false, skipped: null, failures: [`unexpected: ${err.message}`], server: null, client: null, publish: null, consume: null, latency: {} };
    }
    r.wallSeconds = Math.round((performance.now() - t0) / 100) / 10;
    out[name] = r;
  }
  return out;
}

function table(rows, header) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  return all
    .map((r, n) => {
      const line = r.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ');
      return n === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** CPU in cores: the peer's server, this process (clients), everything else on the machine. */
const cpuCell = (c) => (c ? `cpu: server ${c.brokerCores ?? '?'}, bench ${c.loadGeneratorCores}, others ${c.otherProcessesCores ?? '?'} cores` : 'cpu: —');
const rateCell = (f) => (f ? `${fmt(f.recordsPerSec)} rec/s (${fmt(f.MBps, 1)} MiB/s)` : '—');

/** Rows of the peers table: [peer, figure, measured, notes]. */
export function peerRows(res) {
  const rows = [];
  for (const [key, r] of Object.entries(res)) {
    if (!r) continue;
    const name = r.name ?? key;
    if (r.skipped) {
      rows.push([name, 'SKIPPED', r.skipped, '']);
      continue;
    }
    const server = r.server ? `${r.server.version ?? '?'} at ${r.server.host}:${r.server.port}${r.server.startedByBench ? ' (started by the bench)' : ''}` : '';
    const client = r.client ? `${r.client.package} ${r.client.version ?? '?'}` : '';
    const failedOn = (prefix) => r.failures.filter((f) => f.startsWith(prefix));
    const pubFail = r.failures.filter((f) => f.startsWith('publish') || f.startsWith('XLEN') || f.startsWith('stream holds'));
    const conFail = failedOn('consume');
    const general = r.failures.filter((f) => !f.startsWith('publish') && !f.startsWith('XLEN') && !f.startsWith('stream holds') && !f.startsWith('consume') && !f.startsWith('latency'));
    rows.push([name, 'publish', pubFail.length || general.length ? `FAILURE: ${[...pubFail, ...general].join('; ')}` : rateCell(r.publish), `${cpuCell(r.publish?.cpu)}; server ${server}, client ${client}`]);
    rows.push(['', 'consume', conFail.length || general.length || !r.consume ? `FAILURE: ${conFail.join('; ') || general.join('; ') || 'nothing consumed'}` : rateCell(r.consume), r.consume ? `${cpuCell(r.consume.cpu)}; ${fmt(r.consume.records)} records, each exactly once` : '']);
    for (const [rate, l] of Object.entries(r.latency ?? {})) {
      const label = `latency @ ${fmt(Number(rate))} rec/s`;
      if (!l.ok) rows.push(['', label, `FAILURE: ${l.failures.join('; ')}`, '']);
      else {
        const sustained = l.sustained ? '' : `NOT SUSTAINED${l.stoppedEarly ? ` (stopped: ${l.stoppedEarly})` : ''}: `;
        const figures = l.measured > 0 ? `p50 ${l.p50Ms} / p99 ${l.p99Ms} / p99.9 ${l.p999Ms} / max ${l.maxMs} ms` : 'no record measured (stopped during the warm-up)';
        const lag = l.sendLag?.count > 0 ? `; producer timer lag p99 ${l.sendLag.p99Ms} ms` : '';
        rows.push(['', label, `${sustained}${figures}`, `achieved ${fmt(l.achievedRate)} rec/s${lag}; ${cpuCell(l.cpu)}`]);
      }
    }
  }
  return rows;
}

/** The peers table on stdout. */
export function printPeers(res) {
  console.log(table(peerRows(res), ['peer', 'figure', 'measured', 'notes']));
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), PEERS_DEFAULTS);
  const t0 = performance.now();
  const res = await runPeers(opts);
  printPeers(res);
  const totalSeconds = Math.round((performance.now() - t0) / 100) / 10;
  console.log(`\ntotal ${totalSeconds} s`);
  const file = writeResult('peers', { machine: machineInfo(), options: opts, totalSeconds, peers: res });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = Object.values(res).some((r) => r && !r.skipped && !r.ok) ? 1 : 0;
}
