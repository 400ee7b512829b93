// Thread: vitest test worker. scripts/build-if-stale.mjs on a throwaway repository layout in a
// temp dir (never the real dist/): a fresh tree is stale, a build makes it current, touching,
// adding or deleting a source (or a tsconfig) makes it stale again, a failed build leaves it
// stale, and the CLI's --check and --stamp do what `npm start`'s prestart relies on.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildIfStale, buildState, newestInput, STAMP_FILE, writeStamp } from '../../../scripts/build-if-stale.mjs';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'build-if-stale.mjs');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

let root = '';
let clock = 0;
/** Sets a path's mtime to a strictly increasing fake time, so no test depends on timer resolution. */
const age = (rel: string, t = (clock += 10_000)) => {
  const d = new Date(t);
  fs.utimesSync(path.join(root, rel), d, d);
};
const write = (rel: string, text = 'x') => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};

/** A "build" that copies nothing but proves it ran: writes dist/built.txt, or fails. */
const fakeBuild = (ok = true) => [process.execPath, '-e', ok ? "require('fs').mkdirSync('dist',{recursive:true});require('fs').writeFileSync('dist/built.txt','1')" : 'console.error("TS2322: nope"); process.exit(2)'];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-build-stale-'));
  temps.push(root);
  clock = Date.now() - 7 * 86_400_000; // a week ago: the CLI's --stamp (now) is newer
  for (const rel of ['src/main.ts', 'src/router/dispatch.ts', 'workers/partition-worker.ts', 'tsconfig.json', 'tsconfig.build.json']) {
    write(rel);
  }
  // Everything dated in the past, directories included.
  for (const rel of ['src/main.ts', 'src/router/dispatch.ts', 'src/router', 'src', 'workers/partition-worker.ts', 'workers', 'tsconfig.json', 'tsconfig.build.json']) {
    age(rel);
  }
});

describe('build-if-stale', () => {
  it('never built: stale, and a build makes it current', () => {
    expect(buildState(root)).toMatchObject({ stale: true, reason: expect.stringContaining('never built') });
    const r = buildIfStale(root, { quiet: true, command: fakeBuild() });
    expect(r.built).toBe(true);
    expect(fs.readFileSync(path.join(root, 'dist', 'built.txt'), 'utf8')).toBe('1');
    expect(buildState(root)).toEqual({ stale: false, reason: 'dist is current' });
    // Current: a second call runs nothing.
    fs.rmSync(path.join(root, 'dist', 'built.txt'));
    expect(buildIfStale(root, { quiet: true, command: fakeBuild() }).built).toBe(false);
    expect(fs.existsSync(path.join(root, 'dist', 'built.txt'))).toBe(false);
  });

  it('a missing console UI build makes it stale when the UI source exists', () => {
    writeStamp(root, (clock += 10_000));
    expect(buildState(root)).toEqual({ stale: false, reason: 'dist is current' });
    write('src/console/ui/index.html', '<!doctype html>');
    for (const rel of ['src/console/ui/index.html', 'src/console/ui', 'src/console', 'src']) age(rel, clock - 5_000);
    expect(buildState(root)).toEqual({ stale: true, reason: `${path.join('dist', 'console-ui', 'index.html')} is missing` });
    write('dist/console-ui/index.html', '<!doctype html>');
    expect(buildState(root)).toEqual({ stale: false, reason: 'dist is current' });
  });

  it('a touched source, a new file, a deleted file or a changed tsconfig makes it stale', () => {
    const fresh = () => {
      writeStamp(root, (clock += 10_000));
      expect(buildState(root)).toEqual({ stale: false, reason: 'dist is current' });
    };
    fresh();
    age('src/router/dispatch.ts');
    expect(buildState(root)).toEqual({ stale: true, reason: `${path.join('src', 'router', 'dispatch.ts')} changed after the last build` });

    fresh();
    write('workers/new-thing.ts'); // also moves the directory's mtime to now
    expect(buildState(root).stale).toBe(true);
    age('workers/new-thing.ts');
    age('workers');
    expect(buildState(root).stale).toBe(true); // the new file alone is newer too

    fresh();
    fs.rmSync(path.join(root, 'src', 'router', 'dispatch.ts'));
    age('src/router'); // what the OS does to the directory when a file leaves it
    expect(buildState(root)).toMatchObject({ stale: true, reason: expect.stringContaining(path.join('src', 'router')) });

    fresh();
    age('tsconfig.build.json');
    expect(buildState(root).stale).toBe(true);

    fresh();
    write('README.md');
    write('test/unit/x.test.ts');
    age('README.md');
    age('test/unit/x.test.ts');
    expect(buildState(root).stale).toBe(false); // not build inputs
  });

  it('the stamp carries the time the build started, so an edit made during the build is not lost', () => {
    const started = (clock += 10_000);
    age('src/main.ts', started + 5_000); // edited while tsc ran
    writeStamp(root, started); // build finished later
    expect(buildState(root).stale).toBe(true);
    expect(fs.statSync(path.join(root, STAMP_FILE)).mtimeMs).toBeCloseTo(started, -1);
  });

  it('a failed build throws with its output and leaves dist stale', () => {
    expect(() => buildIfStale(root, { quiet: true, command: fakeBuild(false) })).toThrow(/build failed .*exit 2.*\n.*TS2322: nope/s);
    expect(buildState(root).stale).toBe(true);
  });

  it('newestInput names the newest file or directory', () => {
    age('workers/partition-worker.ts', clock + 1_000_000);
    expect(newestInput(root)).toEqual({ path: path.join('workers', 'partition-worker.ts'), mtimeMs: expect.closeTo(clock + 1_000_000, -1) });
    expect(newestInput(root, ['no-such-dir'])).toBeNull();
  });

  it('CLI: --check exits 1 when stale and 0 when current; --stamp records a build; bad arguments are named', () => {
    // The CLI works on the repository it lives in, so run a copy of it inside the temp tree.
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.copyFileSync(script, path.join(root, 'scripts', 'build-if-stale.mjs'));
    age('scripts/build-if-stale.mjs');
    const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/build-if-stale.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const stale = run('--check');
    expect([stale.status, stale.stdout]).toEqual([1, expect.stringContaining('stale: no dist/.build-stamp')]);
    expect(run('--stamp').status).toBe(0);
    const current = run('--check');
    expect([current.status, current.stdout]).toEqual([0, expect.stringContaining('current')]);
    const bad = run('--force');
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining('unknown argument "--force"')]);
  });
});
