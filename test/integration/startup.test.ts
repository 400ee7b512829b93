// Integration: start-up rough edges of a real broker process (issue 12, bugs 3, 5 and 6).
// - A busy HTTP port does not stop the broker: Kafka is served, one warning names
//   http.listeners, and /readyz answers on that port once it is freed.
// - A busy Kafka port stops start-up with one readable line on stderr and exit code 1.
// - A data directory held by a running broker is refused (exit 1, naming the directory and
//   the holder's pid); after the holder is killed with SIGKILL a new broker starts; two
//   brokers started at the same moment on one directory: exactly one runs.
// - A listener with a security protocol other than PLAINTEXT stops start-up (exit 2).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startBroker, waitFor } from '../helpers/broker.js';
import { LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import { kcatConsumeJson, kcatProduce, expectKcatOk } from '../helpers/kcat.js';
import { uniqueTopic } from '../helpers/topics.js';
import { runProcess } from '../helpers/strata-cli.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-startup-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Holds a TCP port on 127.0.0.1 until free() is called. */
async function occupyPort(): Promise<{ port: number; free(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, free: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the broker entry with these flags and waits for it to exit (it must not start). */
function runBrokerExpectingExit(args: string[], timeoutMs = 30_000): Promise<Exited> {
  return runProcess(process.execPath, [inject('brokerEntry'), '--http.listeners=', ...LOCAL_STORE_FLAGS, ...args], {
    cwd: inject('repoRoot'),
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_'))),
    timeoutMs,
    what: 'the broker (expected to exit)',
  });
}

describe('HTTP port in use at start-up', () => {
  it('serves Kafka, warns once naming http.listeners, and answers /readyz once the port is free', async () => {
    const busy = await occupyPort();
    let freed = false;
    try {
      const broker = await startBroker({ args: [...LOCAL_STORE_FLAGS, `--http.listeners=127.0.0.1:${busy.port}`] });
      const topic = uniqueTopic('http-busy');
      expectKcatOk(await kcatProduce(broker.bootstrap, topic, 'one\ntwo\nthree\n'));
      const records = await kcatConsumeJson(broker.bootstrap, topic, { count: 3 });
      expect(records.map((r) => r.payload)).toEqual(['one', 'two', 'three']);

      const warnings = broker.logLines().filter((l) => l.level === 40 && String(l.msg).includes('http.listeners'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toContain(`127.0.0.1:${busy.port}`);
      expect(broker.logLines().find((l) => l.msg === 'broker ready')?.httpPort).toBeUndefined();

      await busy.free();
      freed = true;
      const ready = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${busy.port}/readyz`);
          return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: `/readyz on the freed port ${busy.port}` },
      );
      expect(ready.status).toBe('ready');
      expect(ready.lateBinds).toEqual([expect.objectContaining({ listener: `127.0.0.1:${busy.port}` })]);
      expect((await fetch(`http://127.0.0.1:${busy.port}/metrics`)).status).toBe(200);
      expect(broker.logLines().some((l) => l.msg === 'http listening' && l.port === busy.port)).toBe(true);
      // Still exactly one warning after all the retries.
      expect(broker.logLines().filter((l) => l.level === 40 && String(l.msg).includes('http.listeners'))).toHaveLength(1);
      expect(await broker.stop()).toEqual({ code: 0, signal: null });
    } finally {
      if (!freed) await busy.free();
    }
  });
});

describe('other start-up failures', () => {
  it('a Kafka port in use: one readable line on stderr and exit code 1', async () => {
    const busy = await occupyPort();
    try {
      const result = await runBrokerExpectingExit([`--listeners=PLAINTEXT://127.0.0.1:${busy.port}`, `--log.dirs=${tempDir()}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`strata: cannot start the broker: listeners: cannot listen on 127.0.0.1:${busy.port}: the address is already in use`);
      expect(result.stderr).not.toMatch(/^\s*at /m); // no stack trace on the terminal
    } finally {
      await busy.free();
    }
  });

  it('an SSL listener without a keystore, or an advertised listener that is not a listener, stops start-up with exit code 2', async () => {
    const result = await runBrokerExpectingExit([
      '--listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
      '--advertised.listeners=SASL_SSL://example.com:9093',
      `--log.dirs=${tempDir()}`,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a listener uses SSL or SASL_SSL but no keystore is set: set ssl.keystore.location');
    expect(result.stderr).toContain('advertised.listeners: "SASL_SSL://example.com:9093" names listener SASL_SSL, which is not in listeners (PLAINTEXT, SSL)');
    expect(result.stdout).not.toContain('broker ready');
  });
});

describe('log directory lock', () => {
  it('refuses a second broker on a held data dir; a broker killed with SIGKILL does not block the next', async () => {
    const dataDir = tempDir();
    const first = await startBroker({ dataDir, args: LOCAL_STORE_FLAGS });
    const second = await runBrokerExpectingExit(['--listeners=PLAINTEXT://127.0.0.1:0', `--log.dirs=${dataDir}`]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`log directory ${dataDir} is in use by another broker (pid ${first.pid}`);
    expect(second.stderr).not.toMatch(/^\s*at /m);
    expect(first.running).toBe(true); // the refused start left the holder alone

    await first.kill9();
    expect(fs.existsSync(path.join(dataDir, '.lock'))).toBe(true); // SIGKILL leaves the stale lock
    const next = await startBroker({ dataDir, args: LOCAL_STORE_FLAGS });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, '.lock'), 'utf8')).pid).toBe(next.pid);
    expect(await next.stop()).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, '.lock'))).toBe(false); // released on a clean stop
  });

  it('two brokers started at the same moment on one data dir: exactly one runs', async () => {
    const dataDir = tempDir();
    const results = await Promise.allSettled([startBroker({ dataDir, args: LOCAL_STORE_FLAGS }), startBroker({ dataDir, args: LOCAL_STORE_FLAGS })]);
    const started = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startBroker>>>).value;
    expect(String(refused[0]!.reason)).toContain(`is in use by another broker (pid ${winner.pid}`);
    await winner.stop();
  });
});
