// Thread: main (bench). Security figures (issue 18): one fresh broker with three listeners —
// PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512) — and, in the same run:
//   produce / fetch throughput per listener: kcat (librdkafka) produces --records records of
//     --value-bytes bytes (acks=all) to a topic of its own, then consumes them all back (kcat's
//     own start and first connection are inside each figure);
//   connection set-up time: --connections sequential connections per listener, each timed from
//     connect to the first answer it can use — PLAINTEXT: ApiVersions; SSL: TLS handshake +
//     ApiVersions; SASL_SSL: TLS handshake + SaslHandshake v1 + SCRAM-SHA-512 client-first and
//     client-final (the client's PBKDF2 with the server's 4096 iterations included) — p50/p99/max.
// A warm-up pass (a quarter of the records over PLAINTEXT, 20 SCRAM logins) runs first and is
// not reported. Certificates are made with the openssl CLI in a temp dir; the user is written
// with `strata users create --data-dir` before the broker starts. Prints the figures and writes
// bench/results/security-<timestamp>.json. Bounded: every kcat run and phase has a timeout.
//
// Usage: npm run build && node bench/security.mjs [--records=200000] [--value-bytes=100]
//        [--connections=200] [--timeout-s=120]
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import net from 'node:net';
import { isMain, parseArgs } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { KafkaClient } from './lib/kafka-client.mjs';
import { machineInfo, REPO_DIR, round, writeResult } from './lib/results.mjs';

const DEFAULTS = { records: 200_000, 'value-bytes': 100, connections: 200, 'timeout-s': 120 };
const USER = 'bench';
const PASSWORD = 'bench-secret';

function openssl(cwd, args) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

/** CA + server keystore (EC P-256, SAN 127.0.0.1) in a temp dir. */
function makeCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-certs-'));
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key']);
  openssl(dir, ['req', '-x509', '-key', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Strata Bench CA']);
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'server.key']);
  openssl(dir, ['req', '-new', '-key', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  fs.writeFileSync(path.join(dir, 'keystore.pem'), fs.readFileSync(path.join(dir, 'server.key'), 'utf8') + fs.readFileSync(path.join(dir, 'server.pem'), 'utf8'));
  return { dir, ca: path.join(dir, 'ca.pem'), keystore: path.join(dir, 'keystore.pem') };
}

/** Runs kcat with `input` on stdin (or none), stdout discarded unless kept; bounded. */
function kcat(args, { input, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let outBytes = 0;
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')}: over ${timeoutMs} ms\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stdout.on('data', (c) => (outBytes += c.length));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr = (stderr + c).slice(-8000)));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`kcat exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ outBytes, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

function figure(records, bytes, ms) {
  return { records, ms: round(ms, 1), recordsPerSec: Math.round((records * 1000) / ms), mbPerSec: round(bytes / 1e6 / (ms / 1000), 2) };
}

async function throughput(listener, port, security, opts, input) {
  const topic = `bench-sec-${listener.toLowerCase()}-${randomBytes(3).toString('hex')}`;
  const base = ['-b', `127.0.0.1:${port}`, '-t', topic, ...Object.entries(security).flatMap(([k, v]) => ['-X', `${k}=${v}`])];
  const timeoutMs = opts['timeout-s'] * 1000;
  let t0 = performance.now();
  await kcat(['-P', ...base, '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000'], { input, timeoutMs });
  const produce = figure(opts.records, opts.records * opts['value-bytes'], performance.now() - t0);
  t0 = performance.now();
  const { outBytes } = await kcat(['-C', ...base, '-o', 'beginning', '-e', '-c', String(opts.records), '-f', '%s\n'], { timeoutMs });
  const fetch = figure(opts.records, outBytes - opts.records, performance.now() - t0);
  return { produce, fetch };
}

function percentiles(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50Ms: round(at(0.5), 2), p99Ms: round(at(0.99), 2), maxMs: round(s[s.length - 1], 2) };
}

function secureSocket(port, ca) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, noDelay: true });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function plainSocket(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const HASH = { name: 'sha512', bytes: 64 };
const hmac = (key, data) => createHmac(HASH.name, key).update(data).digest();

/** SaslHandshake v1 + SCRAM-SHA-512 over an open client; throws unless authenticated. */
async function scramLogin(client) {
  const hs = await client.request(17, 1, { mechanism: 'SCRAM-SHA-512' });
  if (hs.errorCode !== 0) throw new Error(`SaslHandshake: error ${hs.errorCode}`);
  const cnonce = randomBytes(24).toString('base64');
  const bare = `n=${USER},r=${cnonce}`;
  const first = await client.request(36, 1, { authBytes: Buffer.from(`n,,${bare}`) });
  if (first.errorCode !== 0) throw new Error(`SaslAuthenticate 1: ${first.errorCode} ${first.errorMessage}`);
  const serverFirst = first.authBytes.toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const salted = pbkdf2Sync(PASSWORD, Buffer.from(attrs.s, 'base64'), Number(attrs.i), HASH.bytes, HASH.name);
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash(HASH.name).update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  const final = await client.request(36, 1, { authBytes: Buffer.from(`${withoutProof},p=${proof.toString('base64')}`) });
  if (final.errorCode !== 0) throw new Error(`SaslAuthenticate 2: ${final.errorCode} ${final.errorMessage}`);
  const expected = `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
  if (final.authBytes.toString() !== expected) throw new Error('server signature mismatch');
}

async function setupTimes(kind, port, ca, count, deadline) {
  const times = [];
  for (let i = 0; i < count; i++) {
    if (Date.now() > deadline) throw new Error(`${kind} set-up: over the --timeout-s bound`);
    const t0 = performance.now();
    const socket = kind === 'PLAINTEXT' ? await plainSocket(port) : await secureSocket(port, ca);
    const client = new KafkaClient(socket, 'strata-bench', 64 * 1024 * 1024);
    if (kind === 'SASL_SSL') await scramLogin(client);
    else await client.request(18, 0, {});
    times.push(performance.now() - t0);
    client.close();
  }
  return percentiles(times);
}

export async function runSecurity(opts) {
  const certs = makeCerts();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-sec-'));
  execFileSync(process.execPath, [path.join(REPO_DIR, 'dist', 'src', 'cli', 'strata.js'), 'users', 'create', USER, '--password', PASSWORD, '--mechanism', 'SCRAM-SHA-512', '--data-dir', logDir], { stdio: 'ignore', timeout: 30_000 });
  const ports = {};
  const broker = await startBroker({
    logDir,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'ssl.keystore.location': certs.keystore,
      'redis.url': '',
      'num.partitions': 1,
    },
    onStdoutLine: (line) => {
      if (!line.includes('kafka listener bound')) return;
      const rec = JSON.parse(line);
      ports[rec.listener] = rec.port;
    },
  });
  const ssl = { 'security.protocol': 'SSL', 'ssl.ca.location': certs.ca };
  const saslSsl = { 'security.protocol': 'SASL_SSL', 'ssl.ca.location': certs.ca, 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': USER, 'sasl.password': PASSWORD };
  const value = 'x'.repeat(opts['value-bytes']);
  const input = Buffer.from(Array.from({ length: opts.records }, () => value).join('\n') + '\n');
  const ca = fs.readFileSync(certs.ca);
  try {
    const bound = () => Date.now() + opts['timeout-s'] * 1000;
    // Warm-up (JIT, first segments, kcat's first connection), not reported.
    const quarter = Math.max(1, Math.floor(opts.records / 4));
    await throughput('WARMUP', ports.PLAINTEXT, {}, { ...opts, records: quarter }, input.subarray(0, quarter * (opts['value-bytes'] + 1)));
    await setupTimes('SASL_SSL', ports.SASL_SSL, ca, Math.min(20, opts.connections), bound());
    const throughputs = {
      PLAINTEXT: await throughput('PLAINTEXT', ports.PLAINTEXT, {}, opts, input),
      SSL: await throughput('SSL', ports.SSL, ssl, opts, input),
      SASL_SSL: await throughput('SASL_SSL', ports.SASL_SSL, saslSsl, opts, input),
    };
    const setup = {
      PLAINTEXT: await setupTimes('PLAINTEXT', ports.PLAINTEXT, ca, opts.connections, bound()),
      SSL: await setupTimes('SSL', ports.SSL, ca, opts.connections, bound()),
      'SASL_SSL (SCRAM-SHA-512)': await setupTimes('SASL_SSL', ports.SASL_SSL, ca, opts.connections, bound()),
    };
    return { throughput: throughputs, connectionSetup: setup };
  } finally {
    await broker.stop();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const figures = await runSecurity(opts);
  console.log(`Security: ${opts.records} records of ${opts['value-bytes']} bytes per listener (kcat, acks=all), ${opts.connections} connections per set-up figure`);
  for (const [listener, f] of Object.entries(figures.throughput)) {
    console.log(`${listener.padEnd(10)} produce ${String(f.produce.recordsPerSec).padStart(8)} records/s ${String(f.produce.mbPerSec).padStart(6)} MB/s   fetch ${String(f.fetch.recordsPerSec).padStart(8)} records/s ${String(f.fetch.mbPerSec).padStart(6)} MB/s`);
  }
  for (const [kind, p] of Object.entries(figures.connectionSetup)) {
    console.log(`set-up ${kind.padEnd(26)} p50 ${String(p.p50Ms).padStart(7)} ms  p99 ${String(p.p99Ms).padStart(7)} ms  max ${String(p.maxMs).padStart(7)} ms  (n=${p.n})`);
  }
  const file = writeResult('security', { options: opts, ...figures, machine: machineInfo() });
  console.log(`wrote ${file}`);
}
