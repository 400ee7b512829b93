// Thread: vitest test worker. Runs the built `strata` command (dist/src/cli/strata.js) as a
// child process with optional stdin and returns its exit code and output (runProcess: any
// command, the same way).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion with `input` on stdin; rejects (after SIGKILL) when it outlives
 * timeoutMs, with the tail of its output in the message.
 */
export function runProcess(
  command: string,
  args: string[],
  { input, env = process.env, cwd, timeoutMs = 60_000, what = `${command} ${args.join(' ')}` }: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; what?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** The built `strata` with STRATA_* variables removed from its environment. */
export function runStrata(args: string[], { input, timeoutMs = 60_000 }: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const entry = path.join(inject('repoRoot'), 'dist', 'src', 'cli', 'strata.js');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('STRATA_')) delete env[k];
  return runProcess(process.execPath, [entry, ...args], { input, env, timeoutMs, what: `strata ${args.join(' ')}` });
}

/** Runs and expects exit 0; returns stdout parsed as JSON when `json`. */
export async function strataOk(args: string[], opts: { input?: string } = {}): Promise<CliResult> {
  const r = await runStrata(args, opts);
  if (r.code !== 0) throw new Error(`strata ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export async function strataJson<T = unknown>(args: string[], opts: { input?: string } = {}): Promise<T> {
  const r = await strataOk([...args, '--output', 'json'], opts);
  return JSON.parse(r.stdout) as T;
}
