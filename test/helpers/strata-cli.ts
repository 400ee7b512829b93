// Thread: vitest test worker. Runs the built `strata` command (dist/src/cli/strata.js) as a
// child process with optional stdin and returns its exit code and output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runStrata(args: string[], { input, timeoutMs = 60_000 }: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const entry = path.join(inject('repoRoot'), 'dist', 'src', 'cli', 'strata.js');
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('STRATA_')) delete env[k];
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`strata ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
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
