// Runs infra/Dockerfile's build stage in a plain shell (no container engine): a copy of exactly
// what it COPYs, node_modules linked in place of `npm ci` (no network here), then
// `npm run build`; then the runtime stage's ENTRYPOINT + CMD with its ENV starts a broker and
// its HEALTHCHECK command succeeds against it. Static checks of the file are in
// test/unit/infra/manifests.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerConfigKeys } from '../../src/config/broker-config.js';
import { envNameFor } from '../../src/config/load-config.js';
import { dockerStages } from '../helpers/dockerfile.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const knownEnv = new Set(brokerConfigKeys.map(envNameFor));
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('Dockerfile (infra/Dockerfile)', () => {
  const { build, runtime, envOf, json } = dockerStages(root);

  it('its build steps produce the ENTRYPOINT it runs, which starts a broker that passes the HEALTHCHECK', async () => {
    const copies = build.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));

    // The build stage in a plain shell: a copy of exactly what it COPYs, node_modules linked
    // in place of `npm ci` (no network here), then `npm run build`.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-docker-'));
    temps.push(dir);
    for (const src of copies) fs.cpSync(path.join(root, src), path.join(dir, src), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
    expect(built.status, `${built.stdout}${built.stderr}`).toBe(0);
    // The web console's UI (Vite) is part of the build, so the runtime stage's dist/ carries it.
    expect(fs.existsSync(path.join(dir, 'dist', 'console-ui', 'index.html'))).toBe(true);
    const [exe, ...entryArgs] = json('ENTRYPOINT');
    expect(exe).toBe('node');
    expect(fs.existsSync(path.join(dir, entryArgs[0]!))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.strata).toBe(entryArgs[0]);

    // ENTRYPOINT + CMD with the image's ENV (ports made free, /data made a temp dir) starts a
    // broker; the HEALTHCHECK command then succeeds against it.
    const env: NodeJS.ProcessEnv = { ...process.env, ...envOf(runtime), STRATA_LOG_DIRS: path.join(dir, 'data'), STRATA_LISTENERS: 'PLAINTEXT://127.0.0.1:0', STRATA_HTTP_LISTENERS: '127.0.0.1:0', STRATA_REDIS_URL: '', STRATA_WORKER_THREADS: '1' };
    for (const k of Object.keys(env)) if (k.startsWith('STRATA_') && !knownEnv.has(k)) delete env[k];
    const child = spawn(process.execPath, [...entryArgs, ...json('CMD')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const httpPort = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no "broker ready" within 60 s:\n${out}`)), 60_000);
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /"httpPort":(\d+).*"msg":"broker ready"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.once('exit', (code) => reject(new Error(`broker exited (${code}) before ready:\n${out}`)));
      });
      const hc = runtime.find((i) => i.op === 'HEALTHCHECK')!.args;
      const cmd = JSON.parse(hc.slice(hc.indexOf('CMD ') + 4)) as string[];
      const probe = spawnSync(cmd[0]!, cmd.slice(1).map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${httpPort}`)), { encoding: 'utf8', timeout: 10_000 });
      expect(probe.status, probe.stderr).toBe(0);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 240_000);
});
