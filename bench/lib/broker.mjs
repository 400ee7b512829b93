// Thread: main (bench). Starts a Strata broker child process on 127.0.0.1 with a fresh log
// directory, waits for its "broker ready" log line, and stops exactly that process (by PID)
// with SIGTERM (SIGKILL after a grace period). Every broker started here is also killed when
// the bench process exits, however it exits.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_DIR, processRssBytes } from './results.mjs';

// STRATA_BENCH_MAIN runs another entry point (e.g. another build) with the same flags.
const mainPath = () => process.env.STRATA_BENCH_MAIN ?? path.join(REPO_DIR, 'dist', 'src', 'main.js');
const live = new Set();
let snapshotDir = null;

/**
 * Copy dist/ (and package.json, for "type": "module") to a temp directory and run brokers from
 * there, so that a rebuild of the shared working tree during a long run cannot change or break
 * the broker being measured. node_modules is symlinked. Removed at exit.
 */
export function snapshotDist() {
  if (process.env.STRATA_BENCH_MAIN) return process.env.STRATA_BENCH_MAIN;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-dist-'));
  cpSync(path.join(REPO_DIR, 'dist'), path.join(dir, 'dist'), { recursive: true });
  cpSync(path.join(REPO_DIR, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(REPO_DIR, 'node_modules'), path.join(dir, 'node_modules'));
  snapshotDir = dir;
  process.env.STRATA_BENCH_MAIN = path.join(dir, 'dist', 'src', 'main.js');
  return process.env.STRATA_BENCH_MAIN;
}

function killAllOnExit() {
  for (const b of live) {
    try {
      process.kill(b.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (!b.keepData) rmSync(b.logDir, { recursive: true, force: true });
  }
  live.clear();
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
  snapshotDir = null;
}
process.on('exit', killAllOnExit);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAllOnExit();
    // Another handler (the peers' clean-up of streams and queues on shared servers) exits
    // the process itself once it is done, within seconds; otherwise exit now.
    if (process.listenerCount(sig) === 0) process.exit(130);
  });
}

/**
 * Start a broker. Options:
 *   workerThreads  → --worker.threads
 *   config         → extra { 'name': value } passed as --name=value
 *   cpuProfDir     → run under `node --cpu-prof --cpu-prof-dir=<dir>`
 *   logDir         → reuse a directory instead of a fresh temp one
 *   keepData       → do not delete the log directory on stop
 *   readyTimeoutMs → default 30 s
 *   onStdoutLine   → called with every stdout line (log lines, and V8 traces such as --trace-gc)
 * Returns { pid, port, host, logDir, stop(), rss(), logTail() }.
 */
export async function startBroker(opts = {}) {
  const MAIN = mainPath();
  if (!existsSync(MAIN)) throw new Error(`${MAIN} not found: run \`npm run build\` first`);
  const logDir = opts.logDir ?? mkdtempSync(path.join(os.tmpdir(), 'strata-bench-'));
  const args = [];
  if (opts.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  if (opts.nodeArgs) args.push(...opts.nodeArgs);
  args.push(MAIN, '--listeners=PLAINTEXT://127.0.0.1:0', `--log.dirs=${logDir}`);
  if (opts.workerThreads) args.push(`--worker.threads=${opts.workerThreads}`);
  // The HTTP endpoints default to 127.0.0.1:8080, which another broker may hold: any free port.
  const config = { 'http.listeners': '127.0.0.1:0', ...(opts.config ?? {}) };
  for (const [k, v] of Object.entries(config)) args.push(`--${k}=${v}`);

  const child = spawn(process.execPath, args, { cwd: path.dirname(path.dirname(path.dirname(MAIN))), stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const remember = (line) => {
    tail.push(line);
    if (tail.length > 50) tail.shift();
  };
  const handle = {
    pid: child.pid,
    host: '127.0.0.1',
    port: 0,
    logDir,
    keepData: opts.keepData === true,
    args,
    exited: false,
    exitCode: null,
    exitSignal: null,
    logTail: () => tail.join('\n'),
    rss: () => processRssBytes(child.pid),
    stop: () => stop(handle, child),
  };
  live.add(handle);
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      handle.exited = true;
      handle.exitCode = code;
      handle.exitSignal = signal;
      resolve();
    });
  });
  handle.exitPromise = exitPromise;

  const ready = new Promise((resolve, reject) => {
    let buffered = '';
    // Keep draining stdout for the broker's whole life: a full pipe would stall its logger.
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        remember(line);
        opts.onStdoutLine?.(line);
        if (handle.port === 0 && line.includes('broker ready')) {
          try {
            const rec = JSON.parse(line);
            if (rec.msg === 'broker ready' && rec.port) {
              handle.port = rec.port;
              resolve();
            }
          } catch {
            // not JSON: ignore
          }
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      for (const line of chunk.split('\n')) if (line) remember(`[stderr] ${line}`);
    });
    child.once('exit', (code, signal) => reject(new Error(`broker exited before ready (code ${code}, signal ${signal}):\n${tail.join('\n')}`)));
    const timer = setTimeout(() => reject(new Error(`broker not ready after ${opts.readyTimeoutMs ?? 30000} ms:\n${tail.join('\n')}`)), opts.readyTimeoutMs ?? 30000);
    timer.unref();
  });
  try {
    await ready;
  } catch (err) {
    await stop(handle, child);
    throw err;
  }
  return handle;
}

async function stop(handle, child) {
  if (!handle.exited) {
    try {
      process.kill(handle.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const grace = new Promise((resolve) => setTimeout(resolve, 15000).unref());
    await Promise.race([handle.exitPromise, grace]);
    if (!handle.exited) {
      handle.killedAfterGrace = true;
      try {
        process.kill(handle.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await handle.exitPromise;
    }
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
  live.delete(handle);
  if (!handle.keepData) rmSync(handle.logDir, { recursive: true, force: true });
  return { exitCode: handle.exitCode, exitSignal: handle.exitSignal, killedAfterGrace: handle.killedAfterGrace === true };
}
