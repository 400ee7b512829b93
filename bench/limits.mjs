// Thread: main (bench). The machine's limits, measured in the same run as the broker figures:
//   - loopback TCP throughput between two Node processes (child writes 1 MiB buffers),
//   - sequential write of a fresh file, without and with fdatasync after every 1 MiB,
//   - page-cache read throughput (re-reading a file just written),
//   - CRC32C throughput of the implementation the broker uses (dist/src/protocol/crc32c.js),
//   - the end-to-end latency floor: the latency bench's method (a producer thread on an absolute
//     1 ms schedule, 1,000-byte messages, a consumer on the main thread, latency from the
//     scheduled time) through a single-threaded Node TCP relay (lib/relay-server.mjs) instead
//     of a broker, and the producer thread's timer lag alone. No broker can beat these here.
// Every loop is bounded in time and bytes. Usage: node bench/limits.mjs [--seconds=3] [--dir=/tmp]
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { Histogram } from './lib/histogram.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Loopback TCP: a child Node process sends, this process receives and counts. */
export function tcpLoopback({ seconds = 3, maxBytes = 64 * 1024 * MiB, chunkBytes = MiB } = {}) {
  return new Promise((resolve, reject) => {
    let received = 0;
    let t0 = 0;
    let child;
    const server = net.createServer((sock) => {
      sock.on('data', (c) => {
        if (t0 === 0) t0 = performance.now();
        received += c.length;
      });
      sock.on('close', () => {
        const secs = (performance.now() - t0) / 1000;
        server.close();
        resolve({ bytes: received, seconds: round(secs, 3), MBps: round(received / MiB / secs), chunkBytes });
      });
      sock.on('error', reject);
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      child = spawn(process.execPath, [path.join(HERE, 'lib', 'tcp-source.mjs'), String(port), String(seconds * 1000), String(maxBytes), String(chunkBytes)], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`tcp-source exited with ${code}`));
      });
      // hard bound: kill our child if it overruns by far
      const guard = setTimeout(() => child.kill('SIGKILL'), seconds * 1000 + 30000);
      guard.unref();
    });
  });
}

/** Sequential 1 MiB writes to a fresh file; with fdatasync: one fdatasync after each write. */
export function fileWrite({ dir, seconds = 3, maxBytes = 2048 * MiB, fdatasync = false } = {}) {
  const file = path.join(dir, `write-${fdatasync ? 'sync' : 'nosync'}.dat`);
  const buf = Buffer.alloc(MiB, 0xa5);
  const fd = openSync(file, 'w');
  let bytes = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  try {
    while (bytes < maxBytes && performance.now() < deadline) {
      bytes += writeSync(fd, buf, 0, buf.length, bytes);
      if (fdatasync) fdatasyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
  const secs = (performance.now() - t0) / 1000;
  return { file, bytes, seconds: round(secs, 3), MBps: round(bytes / MiB / secs), fdatasyncPerMiB: fdatasync, syncsPerSecond: fdatasync ? round(bytes / MiB / secs) : undefined };
}

/** Re-read a file that is in the page cache, 1 MiB at a time, for ~seconds. */
export function pageCacheRead({ file, fileBytes, seconds = 2 } = {}) {
  const buf = Buffer.allocUnsafe(MiB);
  const fd = openSync(file, 'r');
  // one untimed pass so every page is resident
  for (let pos = 0; pos < fileBytes; pos += readSync(fd, buf, 0, buf.length, pos));
  let bytes = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      for (let pos = 0; pos < fileBytes; ) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        bytes += n;
      }
    }
  } finally {
    closeSync(fd);
  }
  const secs = (performance.now() - t0) / 1000;
  return { bytes, fileBytes, seconds: round(secs, 3), MBps: round(bytes / MiB / secs) };
}

/** CRC32C over a 1 MiB buffer, repeatedly, for ~seconds. */
export async function crcThroughput({ seconds = 1 } = {}) {
  const { crc32c, crc32cImplementation } = await import('../dist/src/protocol/crc32c.js');
  const buf = Buffer.alloc(MiB);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31) & 0xff;
  for (let i = 0; i < 50; i++) crc32c(buf); // warm-up
  let bytes = 0;
  let x = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 16; i++) x ^= crc32c(buf);
    bytes += 16 * MiB;
  }
  const secs = (performance.now() - t0) / 1000;
  return { implementation: crc32cImplementation, bytes, seconds: round(secs, 3), MBps: round(bytes / MiB / secs), checksum: x >>> 0 };
}

const RELAY_PRODUCER = `
const { parentPort, workerData: d } = require('node:worker_threads');
const net = require('node:net');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sock = net.connect({ host: '127.0.0.1', port: d.port, noDelay: true });
sock.on('connect', () => {
  const T0 = now() + 20;
  let k = 0;
  const lags = [];
  const loop = () => {
    while (k < d.ticks && T0 + k <= now()) {
      const msg = Buffer.alloc(d.bytes, 0x61);
      msg.writeDoubleBE(T0 + k, 0);
      lags.push(now() - (T0 + k));
      sock.write(msg);
      k++;
    }
    if (k >= d.ticks) { sock.end(); parentPort.postMessage({ lags }); return; }
    const wait = T0 + k - now();
    if (wait > 2) setTimeout(loop, wait - 1.5);
    else { if (wait > 0) Atomics.wait(sleeper, 0, 0, wait); setImmediate(loop); }
  };
  loop();
});
`;

/**
 * Latency floor: producer thread → single-threaded Node relay (child process) → consumer on this
 * thread, one 1,000-byte message per 1 ms tick on an absolute schedule, for `seconds` after a
 * 1 s warm-up; latency from the scheduled send time. Also the producer's own timer lag.
 */
export async function latencyFloor({ seconds = 5, bytes = 1000 } = {}) {
  const relay = spawn(process.execPath, [path.join(HERE, 'lib', 'relay-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const guard = setTimeout(() => relay.kill('SIGKILL'), (seconds + 30) * 1000);
  guard.unref();
  try {
    const port = await new Promise((resolve, reject) => {
      relay.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      relay.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    });
    const consumer = net.connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise((resolve, reject) => consumer.once('connect', resolve).once('error', reject));
    consumer.write('C');
    // The relay answers 'K' once the consumer is registered; only then may the producer connect.
    await new Promise((resolve, reject) => consumer.once('data', resolve).once('error', reject));
    const ticks = Math.round((seconds + 1) * 1000);
    const warmup = 1000;
    const e2e = new Histogram();
    let received = 0;
    let pending = Buffer.alloc(0);
    const done = new Promise((resolve) => {
      consumer.on('data', (chunk) => {
        const t = Number(process.hrtime.bigint()) / 1e6;
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        while (pending.length >= bytes) {
          if (received++ >= warmup) e2e.record((t - pending.readDoubleBE(0)) * 1000);
          pending = pending.subarray(bytes);
        }
        if (received >= ticks) resolve();
      });
    });
    const worker = new Worker(RELAY_PRODUCER, { eval: true, workerData: { port, ticks, bytes } });
    const { lags } = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`relay delivered ${received} of ${ticks} messages`)), 10_000).unref())]);
    await worker.terminate();
    consumer.destroy();
    const lag = new Histogram();
    for (const l of lags.slice(warmup)) lag.record(l * 1000);
    return { seconds, messageBytes: bytes, messages: ticks, relayEndToEnd: e2e.summaryMs(), relayEndToEndCurve: e2e.curveMs(), timerLag: lag.summaryMs() };
  } finally {
    relay.kill('SIGKILL');
  }
}

export async function runLimits(opts = {}) {
  const seconds = opts.seconds ?? 3;
  const dir = mkdtempSync(path.join(opts.dir ?? os.tmpdir(), 'strata-limits-'));
  try {
    const tcp = await tcpLoopback({ seconds });
    const write = fileWrite({ dir, seconds });
    const writeSynced = fileWrite({ dir, seconds, fdatasync: true });
    const read = pageCacheRead({ file: write.file, fileBytes: Math.min(write.bytes, 512 * MiB), seconds: Math.max(1, seconds - 1) });
    const crc = await crcThroughput({ seconds: Math.max(1, seconds / 3) });
    const floor = await latencyFloor({ seconds: Math.max(3, seconds * 2) });
    return { dir, tcpLoopback: tcp, fileWrite: strip(write), fileWriteFdatasync: strip(writeSynced), pageCacheRead: read, crc32c: crc, latencyFloor: floor };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function strip(r) {
  const { file, ...rest } = r;
  return rest;
}

export function printLimits(l) {
  console.log('Machine limits');
  console.log(`  loopback TCP (2 Node processes, 1 MiB writes) ${fmt(l.tcpLoopback.MBps)} MB/s`);
  console.log(`  file write, no sync                           ${fmt(l.fileWrite.MBps)} MB/s`);
  console.log(`  file write, fdatasync per 1 MiB               ${fmt(l.fileWriteFdatasync.MBps)} MB/s`);
  console.log(`  page-cache read (1 MiB reads)                 ${fmt(l.pageCacheRead.MBps)} MB/s`);
  console.log(`  CRC32C (${l.crc32c.implementation})  ${fmt(l.crc32c.MBps)} MB/s`);
  if (l.latencyFloor) {
    const f = l.latencyFloor.relayEndToEnd;
    const t = l.latencyFloor.timerLag;
    console.log(`  latency floor, 1 ms ticks through a Node relay: p50 ${f.p50Ms} / p99 ${f.p99Ms} / p99.9 ${f.p999Ms} / max ${f.maxMs} ms; timer lag alone p99 ${t.p99Ms} / max ${t.maxMs} ms`);
  }
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), { seconds: 3, dir: os.tmpdir() });
  const limits = await runLimits(opts);
  printLimits(limits);
  const file = writeResult('limits', { machine: machineInfo(), options: opts, limits });
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}
