#!/usr/bin/env node
// Thread: main (a build tool: npm's `prepare`/`prestart`/`postbuild` and the vitest globalSetup).
// Builds dist/ (tsc, then the console UI with Vite) with `npm run build` only when a build input (src/, workers/, tsconfig*.json)
// changed since the last successful build, so a second `npm start` costs ~0.1 s instead of
// a full `tsc`. The last successful build is recorded as dist/.build-stamp, whose mtime is
// the moment that build started (an edit made while tsc ran is still newer than the stamp).
// Directory mtimes count too, so deleting or renaming a source also makes dist stale.
//
//   node scripts/build-if-stale.mjs           build if stale, else say it is current
//   node scripts/build-if-stale.mjs --check   exit 1 (and say why) if stale; never builds
//   node scripts/build-if-stale.mjs --stamp   record that dist/ was just built (postbuild)
//
// Plain Node ESM, no dependencies.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths (relative to the repository root) whose contents `npm run build` compiles. */
export const BUILD_INPUTS = ['src', 'workers', 'tsconfig.json', 'tsconfig.build.json'];
/**
 * Outputs that must exist whenever their source does: the console UI (Vite's build, part of
 * `npm run build`) is rebuilt when dist/console-ui was removed even though no source changed.
 */
export const REQUIRED_OUTPUTS = [{ source: path.join('src', 'console', 'ui', 'index.html'), output: path.join('dist', 'console-ui', 'index.html') }];
/** Written after every successful build. */
export const STAMP_FILE = path.join('dist', '.build-stamp');

/**
 * The most recently modified build input (file or directory), or null when none exists.
 * @param {string} root
 * @param {readonly string[]} [inputs]
 * @returns {{ path: string, mtimeMs: number } | null}
 */
export function newestInput(root, inputs = BUILD_INPUTS) {
  let newest = null;
  const visit = (abs) => {
    let st;
    try {
      st = fs.statSync(abs);
    } catch {
      return; // an absent input (or one deleted while scanning) is no input
    }
    if (!newest || st.mtimeMs > newest.mtimeMs) newest = { path: path.relative(root, abs), mtimeMs: st.mtimeMs };
    if (st.isDirectory()) for (const name of fs.readdirSync(abs)) visit(path.join(abs, name));
  };
  for (const input of inputs) visit(path.join(root, input));
  return newest;
}

/**
 * Whether dist/ under `root` is older than its sources.
 * @param {string} root
 * @param {readonly string[]} [inputs]
 * @returns {{ stale: boolean, reason: string }}
 */
export function buildState(root, inputs = BUILD_INPUTS) {
  let stampMs;
  try {
    stampMs = fs.statSync(path.join(root, STAMP_FILE)).mtimeMs;
  } catch {
    return { stale: true, reason: `no ${STAMP_FILE} (never built here)` };
  }
  for (const r of REQUIRED_OUTPUTS) {
    if (fs.existsSync(path.join(root, r.source)) && !fs.existsSync(path.join(root, r.output))) return { stale: true, reason: `${r.output} is missing` };
  }
  const newest = newestInput(root, inputs);
  if (!newest) return { stale: false, reason: 'no build inputs found' };
  if (newest.mtimeMs > stampMs) {
    return { stale: true, reason: `${newest.path} changed after the last build` };
  }
  return { stale: false, reason: 'dist is current' };
}

/**
 * Records a successful build that started at `startedMs` (default: now).
 * @param {string} root
 * @param {number} [startedMs]
 */
export function writeStamp(root, startedMs = Date.now()) {
  const file = path.join(root, STAMP_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ builtAt: new Date(startedMs).toISOString() })}\n`);
  const t = new Date(startedMs);
  fs.utimesSync(file, t, t);
}

/**
 * Runs `npm run build` in `root` when dist/ is stale.
 * @param {string} root
 * @param {{ quiet?: boolean, command?: readonly string[] }} [opts] quiet: capture tsc's output
 *   (it is put in the thrown error) instead of passing it through; command: the build command
 *   (default `npm run --silent build`), for tests.
 * @returns {{ built: boolean, reason: string, ms: number }}
 * @throws {Error} when the build fails; its message says how and carries the output.
 */
export function buildIfStale(root, opts = {}) {
  const state = buildState(root);
  if (!state.stale) return { built: false, reason: state.reason, ms: 0 };
  const [cmd, ...args] = opts.command ?? ['npm', 'run', '--silent', 'build'];
  const started = Date.now();
  const result = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    timeout: 600_000,
  });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    const how = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    throw new Error(`build failed (${[cmd, ...args].join(' ')}: ${how})${output ? `:\n${output}` : ''}`);
  }
  writeStamp(root, started);
  return { built: true, reason: state.reason, ms: Date.now() - started };
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const arg = process.argv[2];
  if (arg === '--stamp') {
    writeStamp(root);
    return;
  }
  if (arg === '--check') {
    const state = buildState(root);
    console.log(`build-if-stale: ${state.stale ? 'stale' : 'current'}: ${state.reason}`);
    process.exitCode = state.stale ? 1 : 0;
    return;
  }
  if (arg !== undefined) {
    console.error(`build-if-stale: unknown argument ${JSON.stringify(arg)} (expected --check or --stamp)`);
    process.exitCode = 2;
    return;
  }
  try {
    const r = buildIfStale(root);
    console.error(r.built ? `build-if-stale: built in ${r.ms} ms (${r.reason})` : `build-if-stale: ${r.reason}, no build needed`);
  } catch (err) {
    console.error(`build-if-stale: ${err.message}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
