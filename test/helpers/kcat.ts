// Thread: vitest test worker. Runs kcat (librdkafka's CLI) against a test broker, every call
// bounded by a timeout (the child is killed by PID when it runs over).
import { spawn } from 'node:child_process';
import { inject } from 'vitest';

export interface KcatResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
  timedOut: boolean;
  args: string[];
}

export interface KcatOptions {
  input?: string | Buffer;
  timeoutMs?: number;
}

export function kcatBinary(): string {
  try {
    return inject('kcatPath');
  } catch {
    return 'kcat';
  }
}

/** Runs `kcat ...args`, feeding `input` on stdin; never rejects on a non-zero exit. */
export function runKcat(args: string[], { input, timeoutMs = 30_000 }: KcatOptions = {}): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(kcatBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run kcat: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        args,
      });
    });
    child.stdin.on('error', () => {
      // kcat may exit before reading all input; the exit code tells the story
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** kcat's stderr with repeated lines (librdkafka retries) counted once, and the middle cut. */
export function summariseStderr(stderr: string, maxLines = 30): string {
  const counts = new Map<string, { line: string; n: number }>();
  for (const line of stderr.split('\n')) {
    if (line === '') continue;
    // Ignore the timestamp field ("%3|1795562090.349|...") when comparing.
    const key = line.replace(/^(%\d+)\|[\d.]+\|/, '$1|');
    const seen = counts.get(key);
    if (seen) seen.n++;
    else counts.set(key, { line, n: 1 });
  }
  const lines = [...counts.values()].map(({ line, n }) => (n > 1 ? `${line}  [×${n}]` : line));
  if (lines.length <= maxLines) return lines.join('\n');
  const half = Math.floor(maxLines / 2);
  return [...lines.slice(0, half), `  … ${lines.length - maxLines} line(s) cut …`, ...lines.slice(-half)].join('\n');
}

/** Throws with kcat's stderr unless it exited 0 in time. */
export function expectKcatOk(result: KcatResult): KcatResult {
  if (result.code !== 0 || result.timedOut) {
    throw new Error(
      `kcat ${result.args.join(' ')} → ${result.timedOut ? 'timed out' : `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}`}\n` +
        `stderr:\n${summariseStderr(result.stderr)}\nstdout (first 2000 chars):\n${result.stdout.slice(0, 2000)}`,
    );
  }
  return result;
}

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProduceOptions {
  partition?: number;
  /** Key delimiter (`-K`); omit for keyless (null-key) records. */
  keyDelimiter?: string;
  /** Headers (`-H name=value`), applied to every record of this call. */
  headers?: Array<[string, string]>;
  compression?: Codec;
  /** Empty values become NULL (`-Z`). */
  emptyAsNull?: boolean;
  /** Record delimiter (`-D`), default newline. */
  delimiter?: string;
  /** Extra `-X prop=value` settings. */
  config?: Record<string, string | number>;
  extraArgs?: string[];
  timeoutMs?: number;
}

/** `kcat -P`: one record per line of `input`; throws unless every record was delivered. */
export async function kcatProduce(bootstrap: string, topic: string, input: string | Buffer, opts: ProduceOptions = {}): Promise<KcatResult> {
  const args = ['-P', '-b', bootstrap, '-t', topic, '-X', 'acks=all', '-X', 'message.timeout.ms=20000'];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  if (opts.keyDelimiter !== undefined) args.push('-K', opts.keyDelimiter);
  for (const [name, value] of opts.headers ?? []) args.push('-H', `${name}=${value}`);
  if (opts.compression) args.push('-z', opts.compression);
  if (opts.emptyAsNull) args.push('-Z');
  if (opts.delimiter !== undefined) args.push('-D', opts.delimiter);
  for (const [k, v] of Object.entries(opts.config ?? {})) args.push('-X', `${k}=${v}`);
  args.push(...(opts.extraArgs ?? []));
  const result = expectKcatOk(await runKcat(args, { input, timeoutMs: opts.timeoutMs ?? 30_000 }));
  // kcat reports failed deliveries on stderr (and exits non-zero on recent versions).
  if (/% ERROR|Delivery failed|Failed to produce/.test(result.stderr)) {
    throw new Error(`kcat -P reported a failure:\n${result.stderr}`);
  }
  return result;
}

/** A record as kcat -J prints it. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  tstype: 'create' | 'logappend' | 'none' | string;
  ts: number;
  broker: number;
  headers?: string[];
  key: string | null;
  payload: string | null;
  key_error?: string;
  payload_error?: string;
}

export interface ConsumeOptions {
  partition?: number;
  /** `-o` value: beginning (default), end, an offset, `s@ts`… */
  offset?: string | number;
  /** Stop after this many records (`-c`). */
  count?: number;
  config?: Record<string, string | number>;
  extraArgs?: string[];
  timeoutMs?: number;
}

function consumeArgs(bootstrap: string, topic: string, opts: ConsumeOptions): string[] {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-e', '-o', String(opts.offset ?? 'beginning')];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  if (opts.count !== undefined) args.push('-c', String(opts.count));
  for (const [k, v] of Object.entries(opts.config ?? {})) args.push('-X', `${k}=${v}`);
  args.push(...(opts.extraArgs ?? []));
  return args;
}

/** `kcat -C -e -J`: every record from `offset` to the end, parsed. */
export async function kcatConsumeJson(bootstrap: string, topic: string, opts: ConsumeOptions = {}): Promise<KcatRecord[]> {
  const args = [...consumeArgs(bootstrap, topic, opts), '-J'];
  const result = expectKcatOk(await runKcat(args, { timeoutMs: opts.timeoutMs ?? 20_000 }));
  return result.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as KcatRecord);
}

/** `kcat -C -e -f FORMAT`: raw formatted output (byte-exact comparisons). */
export async function kcatConsumeFormat(bootstrap: string, topic: string, format: string, opts: ConsumeOptions = {}): Promise<KcatResult> {
  const args = [...consumeArgs(bootstrap, topic, opts), '-f', format];
  return expectKcatOk(await runKcat(args, { timeoutMs: opts.timeoutMs ?? 20_000 }));
}

export interface KcatMetadata {
  originating_broker: { id: number; name: string };
  query: { topic: string };
  controllerid?: number;
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{
    topic: string;
    error?: string;
    partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }>; error?: string }>;
  }>;
}

/** `kcat -L -J [-t topic]`. */
export async function kcatMetadata(bootstrap: string, topic?: string, timeoutMs = 20_000): Promise<KcatMetadata> {
  const args = ['-L', '-J', '-b', bootstrap];
  if (topic) args.push('-t', topic);
  const result = expectKcatOk(await runKcat(args, { timeoutMs }));
  return JSON.parse(result.stdout) as KcatMetadata;
}

/**
 * `kcat -Q -t topic:partition:timestamp`: the first offset whose timestamp is ≥ timestamp
 * (-1 when there is none). Timestamp -1 = latest, -2 = earliest.
 */
export async function kcatQueryOffset(bootstrap: string, topic: string, partition: number, timestamp: number, timeoutMs = 20_000): Promise<number> {
  const result = expectKcatOk(await runKcat(['-Q', '-b', bootstrap, '-t', `${topic}:${partition}:${timestamp}`], { timeoutMs }));
  // Output: "<topic> [<partition>] offset <N>"
  const m = /\[(\d+)\]\s+offset\s+(-?\d+)/.exec(result.stdout);
  if (!m || Number(m[1]) !== partition) throw new Error(`unexpected kcat -Q output: ${result.stdout}${result.stderr}`);
  return Number(m[2]);
}
