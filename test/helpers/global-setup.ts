// Thread: vitest main process (globalSetup of the `integration` project, runs once before its
// test files; the `unit` project has none, so unit tests need no build, Redis or kcat).
// Builds the broker when dist/ is older than its sources (scripts/build-if-stale.mjs), checks
// that Redis answers PING and that kcat is installed, and hands the results to test files through `provide` (read them with `inject`).
// Dependency-free on purpose: raw TCP PING instead of a Redis client.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { buildIfStale } from '../../scripts/build-if-stale.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the built broker entry point (dist/src/main.js). */
    brokerEntry: string;
    /** Repository root (cwd for the broker process). */
    repoRoot: string;
    /** Redis URL that answered PING. */
    redisUrl: string;
    /** Absolute path of the kcat binary. */
    kcatPath: string;
    /** First line of `kcat -V`. */
    kcatVersion: string;
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function build(): void {
  if (process.env.STRATA_TEST_SKIP_BUILD === '1') return;
  let result: { built: boolean; reason: string; ms: number };
  try {
    // Same staleness check as `npm start`'s prestart: no tsc run when dist/ is current.
    result = buildIfStale(repoRoot, { quiet: true });
  } catch (err) {
    throw new Error(`globalSetup: integration tests need dist/src/main.js, and the ${(err as Error).message}`);
  }
  process.stderr.write(
    result.built ? `globalSetup: built dist in ${result.ms} ms (${result.reason})\n` : `globalSetup: ${result.reason}, no build\n`,
  );
}

/** Sends PING over raw TCP (RESP inline command) and resolves when +PONG (or an auth error) arrives. */
export function redisPing(url: string, timeoutMs = 3000): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to PING within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (!received.includes('\r\n')) return;
      // -NOAUTH still proves a Redis server is there; the URL's credentials are the client's business.
      if (received.startsWith('+PONG') || received.startsWith('-NOAUTH')) done();
      else done(new Error(`unexpected reply to PING: ${JSON.stringify(received.slice(0, 100))}`));
    });
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error('connection closed before a reply')));
  });
}

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export default async function setup(project: TestProject): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  try {
    await redisPing(redisUrl);
  } catch (err) {
    throw new Error(
      `Redis not reachable at ${redisUrl} — start redis-server or set REDIS_URL (${(err as Error).message})`,
    );
  }

  const kcatPath = findOnPath('kcat');
  if (!kcatPath) throw new Error('kcat not found: apt-get install kcat');
  const version = spawnSync(kcatPath, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  const kcatVersion = `${version.stdout ?? ''}`.split('\n').find((l) => l.startsWith('Version')) ?? 'unknown';

  build();
  const brokerEntry = path.join(repoRoot, 'dist', 'src', 'main.js');
  if (!fs.existsSync(brokerEntry)) {
    throw new Error(`globalSetup: build produced no ${brokerEntry}`);
  }

  project.provide('brokerEntry', brokerEntry);
  project.provide('repoRoot', repoRoot);
  project.provide('redisUrl', redisUrl);
  project.provide('kcatPath', kcatPath);
  project.provide('kcatVersion', kcatVersion);
}
