// Thread: main (bench). What the cluster benches (cluster-moves.mjs, failover.mjs) share: a
// cluster of broker processes on 127.0.0.1 started and stopped by node id, with the log lines
// they care about collected as events; an idempotent acks=all kcat producer fed a steady bounded
// rate through stdin; CPU accounting per phase; the S3 server started with retries; summaries.
import { spawn } from 'node:child_process';
import { startBroker } from './broker.mjs';
import { sleep } from './cli.mjs';
import { Histogram } from './histogram.mjs';
import { ApiKey, KafkaClient, metadata } from './kafka-client.mjs';
import { machineBusySeconds, processCpuSeconds, round } from './results.mjs';
import { startS3 } from './s3.mjs';

export const PHASE_TIMEOUT_MS = 60_000;

/** count, p50, p99, max (ms) of `values` (ms). */
export function summary(values) {
  const h = new Histogram();
  for (const v of values) h.record(v * 1000);
  return { count: h.count, p50Ms: round(h.percentile(50) / 1000, 1), p99Ms: round(h.percentile(99) / 1000, 1), maxMs: round(h.max / 1000, 1) };
}

/** The log lines kept as events (by msg), and msg prefixes. */
const EVENT_MSGS = new Set(['partition taken over from another broker', 'partition handed over to another broker', 'partition rebuilt from object storage after its leader died']);
const EVENT_PREFIXES = ['controlled shutdown'];
const EVENT_PARTS = ['local copy dropped'];

/** The cluster: brokers by node id, their log events, and start/stop by node id. */
export class Cluster {
  constructor(baseConfig, { clientId = 'strata-bench-cluster' } = {}) {
    this.baseConfig = baseConfig;
    this.clientId = clientId;
    this.brokers = new Map();
    this.events = []; // { at, node, msg, partition, ...fields } for the log lines above
    // CPU seconds per broker process, sampled, so a broker that exits still counts.
    this.cpu = new Map();
    this.sampler = setInterval(() => this.sampleCpu(), 100);
  }

  sampleCpu() {
    for (const b of this.brokers.values()) {
      const s = b.exited ? null : processCpuSeconds(b.pid);
      if (s !== null) this.cpu.set(b.pid, s);
    }
  }

  /** Starts broker `nodeId`; `logDir` reuses a data directory (a restart), `keepData` keeps it on stop. */
  async start(nodeId, { logDir, keepData = false } = {}) {
    const spawnedAt = performance.now();
    let httpPort = null;
    const b = await startBroker({
      readyTimeoutMs: 60_000,
      logDir,
      keepData,
      config: { ...this.baseConfig, 'node.id': nodeId },
      onStdoutLine: (line) => {
        if (!line.includes('partition') && !line.includes('controlled shutdown') && !line.includes('broker ready') && !line.includes('local copy')) return;
        let rec;
        try {
          rec = JSON.parse(line);
        } catch {
          return;
        }
        if (rec.msg === 'broker ready') httpPort = rec.httpPort ?? null;
        const msg = String(rec.msg);
        if (EVENT_MSGS.has(msg) || EVENT_PREFIXES.some((p) => msg.startsWith(p)) || EVENT_PARTS.some((p) => msg.includes(p))) {
          const partition = typeof rec.partition === 'string' ? Number(rec.partition.slice(rec.partition.lastIndexOf(':') + 1)) : undefined;
          this.events.push({ ...rec, at: performance.now(), node: nodeId, msg, partition });
        }
      },
    });
    b.nodeId = nodeId;
    b.spawnedAt = spawnedAt;
    b.readyAt = performance.now();
    b.httpPort = httpPort;
    b.client = await KafkaClient.connect({ port: b.port, clientId: this.clientId });
    await b.client.apiVersions();
    this.brokers.set(nodeId, b);
    return b;
  }

  live() {
    return [...this.brokers.values()].filter((b) => !b.exited);
  }

  /** Leader per partition as each live broker's Metadata reports it (-1: error or none). */
  async views(topic) {
    return Promise.all(
      this.live().map(async (b) => {
        const md = await metadata(b.client, [topic]);
        return (md.topics[0]?.partitions ?? []).slice().sort((x, y) => x.partitionIndex - y.partitionIndex).map((p) => (p.errorCode === 0 ? p.leaderId : -1));
      }),
    );
  }

  /** Resolves with the time every live broker agrees on a fair spread over the live brokers. */
  async waitBalanced(topic, partitions, timeoutMs = PHASE_TIMEOUT_MS) {
    const ids = this.live().map((b) => b.nodeId);
    const fair = partitions / ids.length;
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      const views = await this.views(topic).catch(() => null);
      if (views) {
        last = views[0];
        const same = views.every((v) => JSON.stringify(v) === JSON.stringify(views[0]));
        if (same && views[0].length === partitions && ids.every((id) => views[0].filter((l) => l === id).length === fair)) return { at: performance.now(), leaders: views[0] };
      }
      await sleep(20);
    }
    throw new Error(`no fair spread within ${timeoutMs} ms; last view ${JSON.stringify(last)}`);
  }

  /** The first log event matching `pred` at or after `since`. */
  async waitEvent(pred, since, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.at >= since && pred(x));
      if (e) return e;
      if (Date.now() > deadline) return null;
      await sleep(5);
    }
  }

  /**
   * Metadata names the new leader as soon as the controller decides; it serves only once the
   * old one has handed over. The time the last partition whose leader changed from `before` to
   * `leaders` is served by its new leader (its takeover logged at or after `since`), or null.
   */
  async servedAt(before, leaders, since, timeoutMs = 30_000) {
    const changed = leaders.map((l, p) => (l !== before[p] ? p : -1)).filter((p) => p >= 0);
    const events = await Promise.all(changed.map((p) => this.waitEvent((e) => e.msg === 'partition taken over from another broker' && e.partition === p && e.node === leaders[p], since, timeoutMs)));
    if (events.some((e) => e === null)) return null;
    return { at: Math.max(since, ...events.map((e) => e.at)), moved: changed.length };
  }

  /** One broker's /metrics as { name → value } (unlabelled series only, summed over labels otherwise). */
  async scrape(nodeId) {
    const b = this.brokers.get(nodeId);
    if (!b?.httpPort) return null;
    const text = await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).text();
    const out = {};
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m) out[m[1]] = (out[m[1]] ?? 0) + Number(m[3]);
    }
    return out;
  }

  cpuSeconds() {
    this.sampleCpu();
    let s = 0;
    for (const v of this.cpu.values()) s += v;
    return s;
  }

  async stopAll() {
    clearInterval(this.sampler);
    await Promise.all([...this.brokers.values()].map(async (b) => {
      b.client?.close();
      await b.stop();
    }));
  }
}

/**
 * kcat -P, idempotent, acks=all, fed `rate` records/s through stdin until finish(): records
 * `k<i % keys>:v<i><pad>` (≈ 100-byte values), so a consumer can check each value once, in
 * order per partition. `bootstrap` may list several brokers (comma-separated); `from` offsets
 * the sequence (a second producer after the first died). Once kcat exits, feeding stops.
 */
export function steadyProducer(bootstrap, topic, rate, { keys = 600, extra = [], from = 0 } = {}) {
  const child = spawn('kcat', ['-P', '-b', bootstrap, '-t', topic, '-K', ':', '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'message.timeout.ms=120000', '-X', 'linger.ms=5', ...extra], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c.toString()));
  child.stdin.on('error', () => {}); // EPIPE once kcat has exited: seen as exitCode
  let exitCode;
  const exited = new Promise((resolve) => child.on('close', (code) => resolve((exitCode = code))));
  const pad = 'x'.repeat(90);
  let sent = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    let chunk = '';
    if (exitCode !== undefined) return; // kcat died (e.g. a fatal idempotence error): nothing reads stdin
    for (; sent < due; sent++) chunk += `k${(from + sent) % keys}:v${from + sent}${pad}\n`;
    if (chunk) child.stdin.write(chunk);
  }, 10);
  return {
    pid: child.pid,
    from,
    get sent() {
      return sent;
    },
    /** kcat's exit code once it exited on its own or was finished; undefined while it runs. */
    get exitCode() {
      return exitCode;
    },
    get stderr() {
      return stderr;
    },
    async finish(timeoutMs) {
      clearInterval(timer);
      child.stdin.end();
      let t;
      const code = await Promise.race([exited, new Promise((resolve) => (t = setTimeout(resolve, timeoutMs, 'timeout')))]);
      clearTimeout(t);
      if (code === 'timeout') child.kill('SIGKILL');
      return { code, stderr, failed: (stderr.match(/Delivery failed/g) ?? []).length, seconds: (performance.now() - t0) / 1000 };
    },
  };
}

/** Sum of every partition's end offset, asked of its leader. */
export async function endOffsetsSum(cluster, topic, leaders) {
  let total = 0;
  for (const b of cluster.live()) {
    const mine = leaders.map((l, p) => (l === b.nodeId ? p : -1)).filter((p) => p >= 0);
    if (mine.length === 0) continue;
    const res = await b.client.request(ApiKey.ListOffsets, b.client.pickVersion(ApiKey.ListOffsets, 7), {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: mine.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
      timeoutMs: 30000,
    });
    for (const t of res.topics) for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${p.partitionIndex} on broker ${b.nodeId}: error ${p.errorCode}`);
      total += Number(p.offset);
    }
  }
  return total;
}

const sumCpu = (pids) => pids.reduce((s, pid) => s + (processCpuSeconds(pid) ?? 0), 0);

/** CPU over a phase: brokers, this script, kcat, the S3 server's daemons, and everything else on the machine. */
export function cpuMeter(cluster, kcatPid, s3Pids) {
  const t0 = performance.now();
  const g0 = sumCpu(s3Pids);
  const m0 = machineBusySeconds();
  const b0 = cluster.cpuSeconds();
  const s0 = process.cpuUsage();
  const k0 = kcatPid ? processCpuSeconds(kcatPid) ?? 0 : 0;
  return () => {
    const s = (performance.now() - t0) / 1000;
    const machine = (machineBusySeconds() - m0) / s;
    const brokers = (cluster.cpuSeconds() - b0) / s; // a broker that exited meanwhile drops out: approximate
    const u = process.cpuUsage(s0);
    const self = (u.user + u.system) / 1e6 / s;
    const kcat = kcatPid ? Math.max(0, ((processCpuSeconds(kcatPid) ?? k0) - k0) / s) : 0;
    const s3 = (sumCpu(s3Pids) - g0) / s;
    return {
      seconds: round(s, 1),
      machineBusyCores: round(machine, 2),
      brokersCores: round(Math.max(0, brokers), 2),
      benchScriptCores: round(self, 2),
      kcatCores: round(kcat, 2),
      s3ServerCores: round(s3, 2),
      // Redis (shared) and other people's jobs on this machine:
      otherCores: round(Math.max(0, machine - Math.max(0, brokers) - self - kcat - s3), 2),
    };
  };
}

export const cpuText = (c) => `[machine ${c.machineBusyCores} of 2 cores busy: brokers ${c.brokersCores}, kcat ${c.kcatCores}, bench script ${c.benchScriptCores}, S3 server ${c.s3ServerCores}, Redis and other jobs ${c.otherCores}]`;

/** startS3(), tried again when a random port collides with another throwaway Ceph cluster. */
export async function startS3WithRetries(attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startS3();
    } catch (err) {
      if (attempt >= attempts) throw err;
      console.log(`radosgw did not start (${String(err.message).slice(0, 120)}…); again`);
    }
  }
}
