// Thread: main (bench). Finds the librdkafka tools the real-client ingest bench drives:
// builds librdkafka's own `rdkafka_performance` example from the source Debian's librdkafka-dev
// ships (/usr/share/doc/librdkafka-dev/examples/rdkafka_performance.c) with gcc against the
// installed library, once, into a cache directory under os.tmpdir() keyed by a hash of the
// source, the shim headers and the compiler command; and locates `kcat` (or `kafkacat`), the
// fallback when nothing can be built. The example includes librdkafka's internal ../src/rd.h
// and rdtime.h; bench/rdkafka/ holds small stand-ins for them (only rd_ts_t, rd_clock,
// rd_snprintf, RD_MAX and RD_MIN are used).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BENCH_DIR } from './results.mjs';

export const RDKAFKA_EXAMPLES_DIR = '/usr/share/doc/librdkafka-dev/examples';
export const RDKAFKA_INCLUDE_DIR = '/usr/include/librdkafka';
const SHIM_DIR = path.join(BENCH_DIR, 'rdkafka');
const APT_HINT = 'apt-get install -y librdkafka-dev gcc';

/** The example's source text (plain or .gz, as Debian may compress docs), or null. */
function exampleSource(dir) {
  const plain = path.join(dir, 'rdkafka_performance.c');
  if (existsSync(plain)) return { file: plain, text: readFileSync(plain) };
  if (existsSync(`${plain}.gz`)) return { file: `${plain}.gz`, text: gunzipSync(readFileSync(`${plain}.gz`)) };
  return null;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return null;
  return (r.stdout || r.stderr).split('\n')[0].trim();
}

/**
 * Build (or reuse) rdkafka_performance. Returns
 *   { ok: true, binary, cached, seconds, cacheDir, source, compiler, command }
 *   { ok: false, reason }   (missing gcc / librdkafka-dev, or the compile failed: stderr tail)
 */
export function buildRdkafkaPerformance({ cacheRoot = os.tmpdir(), examplesDir = RDKAFKA_EXAMPLES_DIR, includeDir = RDKAFKA_INCLUDE_DIR, cc = 'gcc' } = {}) {
  const src = exampleSource(examplesDir);
  if (!src) return { ok: false, reason: `${examplesDir}/rdkafka_performance.c not found (${APT_HINT})` };
  if (!existsSync(path.join(includeDir, 'rdkafka.h'))) return { ok: false, reason: `${includeDir}/rdkafka.h not found (${APT_HINT})` };
  const compiler = firstLine(cc, ['--version']);
  if (!compiler) return { ok: false, reason: `${cc} not found (${APT_HINT})` };

  const shims = ['rd.h', 'rdtime.h'].map((f) => ({ name: f, text: readFileSync(path.join(SHIM_DIR, f)) }));
  const flags = ['-O2', '-I', 'src', '-I', includeDir, '-o', '<out>', 'examples/rdkafka_performance.c', '-lrdkafka'];
  const h = createHash('sha256').update(src.text);
  for (const s of shims) h.update(s.name).update(s.text);
  h.update(compiler).update(flags.join(' '));
  const key = h.digest('hex').slice(0, 16);
  const cacheDir = path.join(cacheRoot, `strata-bench-rdkafka-perf-${key}`);
  const binary = path.join(cacheDir, 'rdkafka_performance');
  const command = `${cc} ${flags.join(' ').replace('<out>', binary)}`;
  const base = { source: src.file, compiler, cacheDir, command };
  if (existsSync(binary)) return { ok: true, binary, cached: true, seconds: 0, ...base };

  // Layout the example expects: examples/rdkafka_performance.c includes "../src/rd.h".
  mkdirSync(path.join(cacheDir, 'examples'), { recursive: true });
  mkdirSync(path.join(cacheDir, 'src'), { recursive: true });
  writeFileSync(path.join(cacheDir, 'examples', 'rdkafka_performance.c'), src.text);
  for (const s of shims) copyFileSync(path.join(SHIM_DIR, s.name), path.join(cacheDir, 'src', s.name));
  // Compile to a private name, then rename: concurrent builders never see a partial binary.
  const tmp = `${binary}.${process.pid}.tmp`;
  const t0 = performance.now();
  const r = spawnSync(cc, flags.map((f) => (f === '<out>' ? tmp : f)), { cwd: cacheDir, encoding: 'utf8', timeout: 120_000 });
  const seconds = Math.round(performance.now() - t0) / 1000;
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    const tail = `${r.error?.message ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    return { ok: false, reason: `compiling rdkafka_performance failed (${command}):\n${tail}`, ...base };
  }
  renameSync(tmp, binary);
  return { ok: true, binary, cached: false, seconds, ...base };
}

/** librdkafka version the built binary runs with: its usage text says "librdkafka version 2.0.2 (0x020002ff)". */
export function rdkafkaPerformanceVersion(binary) {
  const r = spawnSync(binary, ['-h'], { encoding: 'utf8', timeout: 10_000 });
  const m = /librdkafka version (\S+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  return m ? m[1] : null;
}

/** kcat (or Debian's older name kafkacat): { ok, binary, version, librdkafkaVersion } or { ok: false, reason }. */
export function findKcat() {
  for (const name of ['kcat', 'kafkacat']) {
    const r = spawnSync(name, ['-V'], { encoding: 'utf8', timeout: 10_000 });
    if (r.error) continue;
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    const v = /Version (\S+)/.exec(text);
    const lib = /librdkafka (\S+)/.exec(text);
    return { ok: true, binary: name, version: v ? v[1] : null, librdkafkaVersion: lib ? lib[1] : null };
  }
  return { ok: false, reason: 'kcat not found (apt-get install -y kcat)' };
}
