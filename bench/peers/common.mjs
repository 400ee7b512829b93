// Thread: main (bench), also imported by the peer latency producer thread. Shared by the peer
// benchmarks (Redis Streams, NATS JetStream, RabbitMQ streams): the 100-byte record payload with
// its sequence number and scheduled send time, the verifier that flags lost and duplicated
// sequence numbers, the bounded-window publish helper, the fixed-rate latency driver (producer on
// its own thread, on an absolute schedule, consumer here; see ./latency-producer.mjs), TCP port
// probing, and private servers (redis-server, nats-server) started on a free port with a fresh
// temp directory and stopped by PID afterwards (also when the bench process exits).
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Histogram, histogramFromData } from '../lib/histogram.mjs';
import { CpuMeter, REPO_DIR, round } from '../lib/results.mjs';

export const HOST = '127.0.0.1';
export const RECORD_BYTES = 100;
export const MiB = 1024 * 1024;

/** Milliseconds of process.hrtime: one clock shared by every thread of the process. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Payload: [0,4) magic 'SBP1' | [4,8) sequence number (uint32 BE) | [8,16) scheduled send time |
// [16,24) actual send time (float64 BE, ms of process.hrtime) | padding ('a') to 100 bytes.
// ---------------------------------------------------------------------------------------------
const MAGIC = 0x53425031; // 'SBP1'
const TEMPLATE = Buffer.alloc(RECORD_BYTES, 0x61);
TEMPLATE.writeUInt32BE(MAGIC, 0);

/** A fresh 100-byte payload for sequence number `seq` (fresh: clients may keep a reference). */
export function makePayload(seq, scheduledMs = 0, actualMs = scheduledMs) {
  const b = Buffer.allocUnsafe(RECORD_BYTES);
  TEMPLATE.copy(b, 0);
  b.writeUInt32BE(seq, 4);
  b.writeDoubleBE(scheduledMs, 8);
  b.writeDoubleBE(actualMs, 16);
  return b;
}

/** { seq, scheduled, actual } of a payload (Buffer or Uint8Array), or null if it is not one of ours. */
export function readPayload(u8) {
  if (!u8 || u8.byteLength !== RECORD_BYTES) return null;
  const b = Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  if (b.readUInt32BE(0) !== MAGIC) return null;
  return { seq: b.readUInt32BE(4), scheduled: b.readDoubleBE(8), actual: b.readDoubleBE(16) };
}

/**
 * Exactly-once check over sequence numbers 0..expected-1. `see(payload)` returns the decoded
 * payload when it is a first sighting, null otherwise (duplicate, foreign or out of range).
 */
export class SeqVerifier {
  constructor(expected) {
    this.expected = expected;
    this.seen = new Uint8Array(expected);
    this.unique = 0;
    this.duplicates = 0;
    this.foreign = 0;
  }

  see(u8) {
    const p = readPayload(u8);
    if (!p || p.seq >= this.expected) {
      this.foreign++;
      return null;
    }
    if (this.seen[p.seq]) {
      this.duplicates++;
      return null;
    }
    this.seen[p.seq] = 1;
    this.unique++;
    return p;
  }

  /** Messages consumed, duplicates included. */
  get received() {
    return this.unique + this.duplicates;
  }

  /** Failure messages (empty when every one of `sent` sequence numbers was seen exactly once). */
  failures(sent = this.expected, what = 'records') {
    const out = [];
    let lost = 0;
    let firstLost = -1;
    for (let i = 0; i < sent; i++) {
      if (!this.seen[i]) {
        lost++;
        if (firstLost < 0) firstLost = i;
      }
    }
    if (lost > 0) out.push(`${lost} of ${sent} ${what} lost (never consumed; first missing sequence number ${firstLost})`);
    if (this.duplicates > 0) out.push(`${this.duplicates} ${what} consumed twice (duplicated sequence numbers)`);
    if (this.foreign > 0) out.push(`${this.foreign} unexpected messages (not a bench payload or sequence number out of range)`);
    return out;
  }
}

/**
 * Bounded window of outstanding acknowledgements: `await win.acquire()` before each send
 * (resolves at once while fewer than `size` are outstanding), `win.release()` on each ack.
 * Once the window is full the sender waits until it is half empty, so it sends in bursts
 * rather than one message per ack. `await win.drain(deadlineMs)` waits for the rest.
 */
export class AckWindow {
  constructor(size) {
    this.size = size;
    this.outstanding = 0;
    this.waiter = null;
  }

  acquire() {
    if (this.outstanding < this.size) {
      this.outstanding++;
      return null;
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    }).then(() => {
      this.outstanding++;
    });
  }

  release() {
    this.outstanding--;
    if (this.waiter && this.outstanding <= this.size / 2) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }

  /** Wake a waiting sender (e.g. after a failure) without an ack. */
  wake() {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async drain(deadlineMs) {
    while (this.outstanding > 0 && performance.now() < deadlineMs) await sleep(2);
    return this.outstanding;
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput figures
// ---------------------------------------------------------------------------------------------

/** { records, seconds, recordsPerSec, MBps } — MBps is MiB/s of 100-byte payloads. */
export function rateFigure(records, seconds) {
  return {
    records,
    seconds: round(seconds, 3),
    recordsPerSec: seconds > 0 ? Math.round(records / seconds) : null,
    MBps: seconds > 0 ? round((records * RECORD_BYTES) / MiB / seconds, 1) : null,
  };
}

export { CpuMeter };

/** Version of an installed npm package, from node_modules/<name>/package.json. */
export function clientVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(REPO_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** A short random suffix for keys, subjects and queue names. */
export function uniqueSuffix() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The skeleton every peer module returns. */
export function emptyResult(name, clientPackage) {
  return {
    name,
    ok: false,
    skipped: null,
    failures: [],
    server: null,
    client: { package: clientPackage, version: clientVersion(clientPackage) },
    publish: null,
    consume: null,
    latency: {},
  };
}

/** `promise`, or a rejection with `message` after `ms` (the work behind it keeps running; callers clean up). */
export function withTimeout(promise, ms, message) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Ports and private servers
// ---------------------------------------------------------------------------------------------

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function probePort(port, host = HOST, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** A port nothing listens on right now (the kernel's choice for an ephemeral listener). */
export function freePort(host = HOST) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const liveServers = new Set();
const cleanups = new Set();
let exitHooked = false;

function killAllOnExit() {
  for (const s of liveServers) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(s.dir, { recursive: true, force: true });
  }
  liveServers.clear();
}

/**
 * Private servers die with this process, however it exits. On Ctrl-C (SIGINT/SIGTERM/SIGHUP)
 * loads stop first (isInterrupted() turns true, 'stop' cleanups such as terminating the latency
 * producer thread run), then, 100 ms later, the 'delete' cleanups (keys, streams, queues on
 * shared servers), all within 3 s. (A handler installed earlier that exits at once, e.g.
 * bench/lib/broker.mjs's when run.mjs is the entry point, wins.)
 */
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killAllOnExit);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, async () => {
      interrupted = true;
      const run = (phase) => Promise.all([...cleanups].filter((c) => c.phase === phase).map((c) => Promise.resolve().then(c.fn).catch(() => {})));
      await Promise.race([
        (async () => {
          await run('stop');
          await sleep(100);
          await run('delete');
        })(),
        sleep(3000),
      ]);
      killAllOnExit();
      process.exit(130);
    });
  }
}

let interrupted = false;

/** True once the bench was interrupted (Ctrl-C): load loops stop sending. */
export const isInterrupted = () => interrupted;

/**
 * Run `fn` (async) if the bench is interrupted before the returned function is called.
 * phase 'stop' runs first (stop load), 'delete' after it (remove what the bench created).
 */
export function registerCleanup(fn, phase = 'delete') {
  hookExit();
  const entry = { fn, phase };
  cleanups.add(entry);
  return () => cleanups.delete(entry);
}

/**
 * Start `command` with `args(port, dir)` on a free port of 127.0.0.1 and a fresh temp directory;
 * resolves once the port accepts connections. Returns { pid, port, dir, command, stop(), logTail() }.
 * stop() sends SIGTERM to that PID (SIGKILL after 10 s) and removes the directory.
 */
export async function startPrivateServer({ name, command, args, readyTimeoutMs = 15000 }) {
  hookExit();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `strata-bench-${name}-`));
  const argv = args(port, dir);
  const child = spawn(command, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const remember = (chunk) => {
    for (const line of String(chunk).split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
    }
  };
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);
  const handle = { name, pid: child.pid, port, dir, command: [command, ...argv].join(' '), exited: false, logTail: () => tail.join('\n') };
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      handle.exited = true;
      handle.exitCode = code;
      handle.exitSignal = signal;
      resolve();
    });
    child.once('error', (err) => {
      remember(`spawn error: ${err.message}`);
      handle.exited = true;
      resolve();
    });
  });
  handle.stop = async () => {
    if (!handle.exited && handle.pid) {
      try {
        process.kill(handle.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      let grace;
      await Promise.race([exited, new Promise((resolve) => (grace = setTimeout(resolve, 10000)))]);
      clearTimeout(grace);
      if (!handle.exited) {
        handle.killedAfterGrace = true;
        try {
          process.kill(handle.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
    }
    child.stdout.destroy();
    child.stderr.destroy();
    liveServers.delete(handle);
    rmSync(dir, { recursive: true, force: true });
    return { exitCode: handle.exitCode ?? null, exitSignal: handle.exitSignal ?? null, killedAfterGrace: handle.killedAfterGrace === true };
  };
  if (child.pid) liveServers.add(handle);
  const deadline = performance.now() + readyTimeoutMs;
  while (!(await probePort(port))) {
    if (handle.exited || performance.now() > deadline) {
      await handle.stop();
      throw new Error(`${name} did not start (${handle.exited ? `exited, code ${handle.exitCode}` : `port ${port} not open after ${readyTimeoutMs} ms`}): ${tail.slice(-5).join(' | ')}`);
    }
    await sleep(50);
  }
  return handle;
}

/**
 * PID of the process listening on 127.0.0.1:`port` (Linux: /proc/net/tcp, then the socket
 * inode among /proc/<pid>/fd), so CPU use of a shared server can be told apart from other
 * processes'; null when unknown (not Linux, or not permitted).
 */
export function listenerPid(port) {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const inodes = new Set();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && f[3] === '0A' && f[1].endsWith(`:${hexPort}`)) inodes.add(`socket:[${f[9]}]`);
      }
    }
    if (inodes.size === 0) return null;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let fds;
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return Number(pid);
        } catch {
          // fd closed meanwhile
        }
      }
    }
  } catch {
    // not Linux
  }
  return null;
}

/** The executable's path if it is on PATH (or in /usr/sbin, /usr/bin), else null. */
export function findExecutable(name) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * Where the peer runs: the shared server when `port` accepts connections, else a private one
 * from `start()` (null when it cannot be started). Returns { port, startedByBench, server|null,
 * pid (the server's, when known), reason } where reason explains a missing server.
 */
export async function locateServer({ label, port, start }) {
  if (await probePort(port)) return { port, startedByBench: false, server: null, pid: listenerPid(port) };
  if (!start) return { port: null, reason: `${label} not reachable at ${HOST}:${port}` };
  try {
    const server = await start();
    if (!server) return { port: null, reason: `${label} not reachable at ${HOST}:${port} and no server binary installed` };
    return { port: server.port, startedByBench: true, server, pid: server.pid, probedPort: port };
  } catch (err) {
    return { port: null, reason: `${label} not reachable at ${HOST}:${port}, and a private server failed to start: ${err.message}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Fixed-rate latency driver
// ---------------------------------------------------------------------------------------------

export const LATENCY_RATES = [1000, 10000, 100000];

/**
 * End-to-end latency at a fixed rate, free of coordinated omission, mirroring bench/latency.mjs:
 * a producer thread (./latency-producer.mjs) publishes `perTick` records every `tickMs` on an
 * absolute schedule (tick k due at T0 + k·tickMs), each record carrying its tick's scheduled
 * time; the consumer on this thread records now − scheduled for every record. Records
 * scheduled during the warm-up are verified but not measured. A producer that falls behind
 * keeps its schedule (so the delay shows as latency) and the achieved rate is reported; it
 * stops early (stoppedEarly says why, sustained: false) beyond maxLagSeconds behind schedule
 * or maxInflightRecords unacknowledged. Not sustaining a rate is a figure, not a failure:
 * failures are lost / duplicated / unacknowledged records and errors.
 *
 *   publisher: { moduleUrl, options }  — the producer thread imports moduleUrl and calls its
 *              createLatencyPublisher(options) → { publish(payloads) → Promise (all acked), close() }
 *   startConsumer(onRecord) → Promise<{ stop(), error?() }> — calls onRecord(payload, nowMs?) per
 *              message; error() returns the error that ended the consumer, if any
 */
export async function runLatencyAt({ rate, seconds, warmup, publisher, startConsumer, tickMs: tickOpt = 1, maxInflightRecords, maxLagSeconds = 5, drainSeconds = 10, serverPid = null }) {
  const tickMs = Math.max(tickOpt, 1000 / rate);
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const totalTicks = Math.round(((warmup + seconds) * 1000) / tickMs);
  const warmupTicks = Math.round((warmup * 1000) / tickMs);
  const planned = totalTicks * perTick;
  const maxInflight = maxInflightRecords ?? Math.max(20000, rate * 2); // 2 s of records unacknowledged → stop
  const out = { ok: false, failures: [], rate, tickMs, recordsPerTick: perTick, seconds, warmup, achievedRate: null, sustained: false, stoppedEarly: null, sent: 0, received: 0, measured: 0 };
  const verifier = new SeqVerifier(planned);
  const e2e = new Histogram();
  const fromSend = new Histogram();
  const warmupSeqs = warmupTicks * perTick;
  const onRecord = (u8, now = nowMs()) => {
    const p = verifier.see(u8);
    if (p && p.seq >= warmupSeqs) {
      e2e.record((now - p.scheduled) * 1000);
      fromSend.record((now - p.actual) * 1000);
    }
  };
  let consumer = null;
  let worker = null;
  let unregister = () => {};
  try {
    consumer = await startConsumer(onRecord);
    const cpu = new CpuMeter(serverPid);
    unregister = registerCleanup(() => worker?.terminate(), 'stop');
    worker = new Worker(new URL('./latency-producer.mjs', import.meta.url), {
      workerData: { moduleUrl: publisher.moduleUrl, options: publisher.options, perTick, tickMs, totalTicks, warmupTicks, maxInflight, maxLagMs: maxLagSeconds * 1000, drainSeconds },
    });
    const errored = new Promise((_, reject) => worker.once('error', reject));
    errored.catch(() => {});
    const T0 = await Promise.race([
      errored,
      new Promise((resolve, reject) => {
        worker.once('message', (m) => {
          if (m.type !== 'ready') return reject(new Error(`producer thread: ${m.error ?? m.type}`));
          const t = nowMs() + 50;
          worker.postMessage({ type: 'start', T0: t });
          resolve(t);
        });
      }),
    ]);
    const done = await withTimeout(
      Promise.race([errored, new Promise((resolve) => worker.once('message', resolve))]),
      (warmup + seconds + drainSeconds + 30) * 1000,
      'producer thread did not finish in time',
    );
    const sendSeconds = (done.lastSend - T0) / 1000 + tickMs / 1000;
    out.failures.push(...done.failures);
    // Wait for the consumer to see everything acknowledged (bounded).
    const deadline = nowMs() + drainSeconds * 1000;
    while (verifier.unique < done.acked && nowMs() < deadline && !consumer.error?.()) await sleep(5);
    const consumerError = consumer.error?.();
    if (consumerError) out.failures.push(`consumer: ${consumerError.message}`);
    const usage = cpu.stop();
    const sendLag = histogramFromData(done.sendLag);
    const ack = histogramFromData(done.ackLatency);
    out.failures.push(...verifier.failures(done.sent));
    if (done.acked !== done.sent) out.failures.push(`${done.sent} records sent but ${done.acked} acknowledged`);
    const s = e2e.summaryMs();
    const achievedRate = round(done.sent / sendSeconds, 0);
    Object.assign(out, {
      achievedRate,
      // Sustained: every tick sent, at ≥ 98 % of the rate asked for (the schedule is absolute,
      // so a producer or server that cannot keep up shows as a lower rate and a growing latency).
      sustained: !done.stoppedEarly && achievedRate >= 0.98 * rate,
      stoppedEarly: done.stoppedEarly,
      sent: done.sent,
      acked: done.acked,
      received: verifier.received,
      duplicates: verifier.duplicates,
      measured: e2e.count,
      sendSeconds: round(sendSeconds, 3),
      p50Ms: s.p50Ms ?? null,
      p99Ms: s.p99Ms ?? null,
      p999Ms: s.p999Ms ?? null,
      maxMs: s.maxMs ?? null,
      curve: e2e.count > 0 ? e2e.curveMs() : [],
      endToEnd: s,
      fromActualSend: fromSend.summaryMs(),
      sendLag: sendLag.summaryMs(),
      publishAck: ack.summaryMs(),
      maxInflightRecords: done.maxInflight,
      cpu: usage,
    });
  } catch (err) {
    out.failures.push(err.message);
  } finally {
    unregister();
    if (worker) await worker.terminate();
    if (consumer) {
      try {
        await consumer.stop();
      } catch (err) {
        out.failures.push(`stopping the consumer: ${err.message}`);
      }
    }
  }
  out.ok = out.failures.length === 0;
  return out;
}

/** Latency at each rate of `rates`, each against a fresh stream made by `prepare(rate)`. */
/**
 * The throughput phase every peer runs, with the same figures and checks: publish plan.records
 * (`publish(n, timeoutMs)` → { acked, seconds, error, timedOut }), then `afterPublish(acked)`
 * (a server-side count check: a failure message or nothing), then consume everything acked from
 * the start (`consume(verifier, n, timeoutMs)` → { seconds, timedOut, error?, reads? }), each
 * timed with the server's CPU; every sequence number must be consumed exactly once.
 */
export async function measureThroughput(result, plan, serverPid, { publish, afterPublish, consume, ackWord = 'acknowledged' }) {
  const cpuPub = new CpuMeter(serverPid);
  const pub = await publish(plan.records, plan.publishTimeoutSeconds * 1000);
  result.publish = { ...rateFigure(pub.acked, pub.seconds), cpu: cpuPub.stop() };
  const countCheck = await afterPublish?.(pub.acked);
  if (pub.error) result.failures.push(`publish: ${pub.error.message}`);
  if (pub.timedOut) result.failures.push(`publish: only ${pub.acked} of ${plan.records} records ${ackWord} within the ${plan.publishTimeoutSeconds} s cap`);
  if (countCheck) result.failures.push(countCheck);
  if (pub.acked === 0) return;
  const verifier = new SeqVerifier(pub.acked);
  const cpuCon = new CpuMeter(serverPid);
  const con = await consume(verifier, pub.acked, plan.consumeTimeoutSeconds * 1000);
  result.consume = { ...rateFigure(verifier.unique, con.seconds), ...(con.reads === undefined ? {} : { reads: con.reads }), cpu: cpuCon.stop() };
  if (con.error) result.failures.push(`consume: ${con.error.message}`);
  if (con.timedOut) result.failures.push(`consume: only ${verifier.received} of ${pub.acked} records read within the ${plan.consumeTimeoutSeconds} s cap`);
  result.failures.push(...verifier.failures(pub.acked).map((f) => `consume: ${f}`));
}

export async function runLatencies(result, { rates, seconds, warmup, prepare }) {
  for (const rate of rates) {
    let r;
    try {
      r = await prepare(rate);
    } catch (err) {
      r = { ok: false, failures: [err.message], rate };
    }
    result.latency[String(rate)] = r;
    for (const f of r.failures) result.failures.push(`latency @ ${rate} rec/s: ${f}`);
  }
}

/** Plan of a peer run from the orchestrator's options. */
export function peerPlan(opts = {}) {
  const quick = opts.quick === true;
  return {
    quick,
    records: opts.records || (quick ? 200_000 : 1_000_000),
    publishTimeoutSeconds: opts['publish-timeout'] || 60,
    consumeTimeoutSeconds: opts['consume-timeout'] || 60,
    rates: opts.rates?.length ? opts.rates : quick ? [10000] : LATENCY_RATES,
    seconds: opts.seconds || (quick ? 3 : 10),
    warmup: opts.warmup ?? (quick ? 1 : 2),
  };
}
