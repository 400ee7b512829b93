// Thread: vitest test worker. Starts real broker processes (`node dist/src/main.js`) for
// integration tests, waits for their "broker ready" log line, and stops them again — only
// the processes this module spawned, always by PID. Every broker still running when the
// test file ends is stopped (SIGTERM, then SIGKILL) and its temporary data dir removed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, inject } from 'vitest';

export interface StartBrokerOptions {
  /** Extra `--name=value` flags; they come after the harness defaults, so they win. */
  args?: string[];
  /** Extra environment variables (STRATA_* from the test runner's env are not inherited). */
  env?: Record<string, string>;
  /** Use this data dir (not removed at the end) instead of a fresh temp dir. */
  dataDir?: string;
  /** How long to wait for "broker ready" (default 30 s). */
  readyTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BrokerHandle {
  /** Bound (advertised) port of the current process. */
  readonly port: number;
  readonly host: string;
  /** `host:port`, for kcat `-b` and KafkaJS `brokers`. */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** PID of the current process. */
  readonly pid: number;
  /** True while the current process has not exited. */
  readonly running: boolean;
  /** Sends `signal` to the broker process and resolves with its exit status. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** SIGKILL, then waits for the process to be gone. */
  kill9(): Promise<void>;
  /** Stops the process if running (SIGTERM), then starts a new one on the same data dir and port. */
  restart(opts?: { args?: string[]; samePort?: boolean }): Promise<BrokerHandle>;
  /** Everything the broker wrote to stdout and stderr, across restarts. */
  logs(): string;
  /** Parsed pino lines from stdout (non-JSON lines skipped). */
  logLines(): Array<Record<string, unknown>>;
}

const MAX_LOG_CHARS = 4 * 1024 * 1024;

// Vitest may evaluate this module once per test file in the same worker process: keep one
// registry of live brokers per process (for the exit hook), and per-module temp dirs.
interface HarnessGlobal {
  __strataLiveBrokers?: Set<{ killNow(): void }>;
}
const harnessGlobal = globalThis as HarnessGlobal;
const processBrokers = (harnessGlobal.__strataLiveBrokers ??= (() => {
  const set = new Set<{ killNow(): void }>();
  // If the test worker exits without running afterAll, take our children with it.
  process.once('exit', () => {
    for (const b of set) b.killNow();
  });
  return set;
})());
const live = new Set<BrokerProcess>();
const tempDirs = new Set<string>();

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('STRATA_')) continue; // the harness decides the broker's settings
    env[k] = v;
  }
  return { ...env, ...extra };
}

class BrokerProcess implements BrokerHandle {
  port = 0;
  host = '127.0.0.1';
  pid = 0;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitStatus> | undefined;
  private exitStatus: ExitStatus | undefined;
  private output = '';
  private truncated = false;
  private extraArgs: string[] = [];

  constructor(
    readonly dataDir: string,
    private readonly userArgs: string[],
    private readonly env: Record<string, string> | undefined,
    private readonly readyTimeoutMs: number,
  ) {}

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitStatus === undefined;
  }

  logs(): string {
    return (this.truncated ? '[… earlier output dropped …]\n' : '') + this.output;
  }

  logLines(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.output.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // partial or non-JSON line
      }
    }
    return out;
  }

  private append(text: string): void {
    this.output += text;
    if (this.output.length > MAX_LOG_CHARS) {
      this.output = this.output.slice(this.output.length - MAX_LOG_CHARS / 2);
      this.truncated = true;
    }
  }

  /** Spawns the process and resolves once it logged "broker ready". */
  async spawn(): Promise<void> {
    const entry = inject('brokerEntry');
    const cwd = inject('repoRoot');
    const args = [
      entry,
      '--listeners=PLAINTEXT://127.0.0.1:0',
      // Many brokers run at once: never the default HTTP port 8080 (the bound one is logged as httpPort).
      '--http.listeners=127.0.0.1:0',
      `--log.dirs=${this.dataDir}`,
      ...this.userArgs,
      ...this.extraArgs,
    ];
    this.exitStatus = undefined;
    this.append(`[harness] spawn node ${args.slice(1).join(' ')}\n`);
    const child = spawn(process.execPath, args, {
      cwd,
      env: childEnv(this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pid = child.pid ?? 0;
    live.add(this);
    processBrokers.add(this);
    this.exitPromise = new Promise<ExitStatus>((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        this.append(`[harness] pid ${child.pid} exited code=${code} signal=${signal}\n`);
        live.delete(this);
        processBrokers.delete(this);
        resolve(this.exitStatus);
      });
    });

    await new Promise<void>((resolve, reject) => {
      let pending = '';
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        const pid = child.pid;
        if (pid !== undefined && this.exitStatus === undefined) child.kill('SIGKILL');
        finish(new Error(`broker (pid ${pid}) not ready within ${this.readyTimeoutMs} ms; output:\n${this.logs()}`));
      }, this.readyTimeoutMs);
      child.stdout!.setEncoding('utf8');
      child.stderr!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        this.append(chunk);
        if (settled) return;
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (!line.includes('broker ready')) continue;
          try {
            const parsed = JSON.parse(line) as { msg?: string; port?: number; host?: string };
            if (parsed.msg === 'broker ready' && typeof parsed.port === 'number') {
              this.port = parsed.port;
              if (typeof parsed.host === 'string' && parsed.host) this.host = parsed.host;
              finish();
              return;
            }
          } catch {
            // not JSON: keep waiting
          }
        }
      });
      child.stderr!.on('data', (chunk: string) => this.append(chunk));
      child.on('error', (err) => finish(new Error(`cannot spawn broker: ${err.message}`)));
      void this.exitPromise!.then((status) =>
        finish(
          new Error(
            `broker exited before ready (code=${status.code} signal=${status.signal}); output:\n${this.logs()}`,
          ),
        ),
      );
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<ExitStatus> {
    const child = this.child;
    if (!child || !this.exitPromise) throw new Error('broker was never started');
    if (this.exitStatus) return this.exitStatus;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exitPromise, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      child.kill('SIGKILL');
      await this.exitPromise;
      throw new Error(`broker (pid ${child.pid}) did not exit within ${timeoutMs} ms of ${signal}; output:\n${this.logs()}`);
    }
    return result;
  }

  async kill9(): Promise<void> {
    await this.stop('SIGKILL');
  }

  async restart(opts: { args?: string[]; samePort?: boolean } = {}): Promise<BrokerHandle> {
    if (this.running) await this.stop('SIGTERM');
    const userSetsListeners = [...this.userArgs, ...(opts.args ?? [])].some((a) => a.startsWith('--listeners'));
    const samePort = (opts.samePort ?? true) && !userSetsListeners && this.port !== 0;
    const previousPort = this.port;
    this.extraArgs = [...(opts.args ?? [])];
    if (samePort) this.extraArgs.push(`--listeners=PLAINTEXT://${this.host}:${previousPort}`);
    // The old port can briefly stay unavailable; retry the bind for a few seconds.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await this.spawn();
        return this;
      } catch (err) {
        const inUse = /EADDRINUSE/.test((err as Error).message);
        if (!samePort || !inUse || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200)); // back-off between bind attempts, not a sync stand-in
      }
    }
  }

  /** Last-resort cleanup: SIGKILL by PID, synchronously. */
  killNow(): void {
    if (this.child && this.exitStatus === undefined) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Starts a broker on a free port with a fresh temp data dir and waits until it is ready. */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<BrokerHandle> {
  let dataDir = opts.dataDir;
  if (!dataDir) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-test-'));
    tempDirs.add(dataDir);
  }
  const broker = new BrokerProcess(dataDir, opts.args ?? [], opts.env, opts.readyTimeoutMs ?? 30_000);
  await broker.spawn();
  return broker;
}

/** Stops every broker this module started (SIGTERM, SIGKILL after 15 s) and removes temp dirs. */
export async function stopAllBrokers(): Promise<void> {
  await Promise.all(
    [...live].map(async (b) => {
      try {
        await b.stop('SIGTERM', 15_000);
      } catch {
        // stop() already escalated to SIGKILL
      }
    }),
  );
  if (process.env.STRATA_TEST_KEEP_DATA === '1') return;
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

afterAll(stopAllBrokers);

/** Polls `condition` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError ? ` (last error: ${(lastError as Error).message ?? String(lastError)})` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
