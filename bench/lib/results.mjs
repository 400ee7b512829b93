// Thread: main (bench). Machine description and result files under bench/results/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(BENCH_DIR, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

function git(args) {
  try {
    return execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(REPO_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** Everything needed to compare two result files: hardware, OS, Node, commit, load at start. */
export function machineInfo() {
  const cpus = os.cpus();
  const dirty = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    hostname: os.hostname(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    freeMemoryBytes: os.freemem(),
    loadAverage: os.loadavg(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: dirty === null ? null : dirty.length > 0,
    strataVersion: (() => {
      try {
        return JSON.parse(readFileSync(path.join(REPO_DIR, 'package.json'), 'utf8')).version;
      } catch {
        return null;
      }
    })(),
    dependencies: { piscina: packageVersion('piscina'), 'fast-crc32c': packageVersion('fast-crc32c'), sse4_crc32: packageVersion('sse4_crc32') },
  };
}

/** A file-name-safe ISO timestamp. */
export function stamp(date = new Date()) {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Write `data` (plus machine info) to bench/results/<name>-<timestamp>.json; returns the path. */
export function writeResult(name, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}-${stamp()}.json`);
  const body = { name, finishedAt: new Date().toISOString(), machine: data.machine ?? machineInfo(), ...data };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

/** CPU seconds (user+system) used so far by process `pid`, from /proc (Linux); null elsewhere. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5), counted from state = 3)
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Resident set size of `pid` in bytes, from /proc (Linux); null elsewhere. */
export function processRssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Peak resident set size (VmHWM) of `pid` in bytes, from /proc (Linux); null elsewhere. Covers all its threads. */
export function processPeakRssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine (all cores, all processes), from /proc/stat; null elsewhere. */
export function machineBusySeconds() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return null;
  }
}

/**
 * Measures CPU use over an interval: this process (the load generator), the broker, and the
 * rest of the machine (other people's work on a shared box: the main source of run-to-run
 * variance, so every figure is reported with it).
 */
export class CpuMeter {
  constructor(brokerPid) {
    this.brokerPid = brokerPid;
    this.t0 = performance.now();
    this.self0 = process.cpuUsage();
    this.broker0 = brokerPid ? processCpuSeconds(brokerPid) : null;
    this.machine0 = machineBusySeconds();
  }

  /** Cores used (1.0 = one core fully busy) since construction. */
  stop() {
    const seconds = (performance.now() - this.t0) / 1000;
    const self = process.cpuUsage(this.self0);
    const broker1 = this.brokerPid ? processCpuSeconds(this.brokerPid) : null;
    const machine1 = machineBusySeconds();
    const loadGeneratorCores = (self.user + self.system) / 1e6 / seconds;
    const brokerCores = this.broker0 === null || broker1 === null ? null : (broker1 - this.broker0) / seconds;
    const machineCores = this.machine0 === null || machine1 === null ? null : (machine1 - this.machine0) / seconds;
    return {
      loadGeneratorCores: round(loadGeneratorCores, 2),
      brokerCores: round(brokerCores, 2),
      machineBusyCores: round(machineCores, 2),
      otherProcessesCores: machineCores === null ? null : round(Math.max(0, machineCores - loadGeneratorCores - (brokerCores ?? 0)), 2),
    };
  }
}

export function round(n, digits = 1) {
  if (n === null || n === undefined || !Number.isFinite(n)) return n ?? null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
