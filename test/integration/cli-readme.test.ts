// Integration (issue 12, bug 7): runs every command of the README's "The `strata` command"
// code block, in order, through `sh` against a fresh broker — so the documented examples stay
// true (none may hang or fail) and the test breaks when the README drifts. A few lines carry
// extra checks on their output; each check must match a README line, so dropping a documented
// example fails here too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS } from '../helpers/groups.js';
import { runProcess, type CliResult } from '../helpers/strata-cli.js';

let broker: BrokerHandle;
let binDir: string;

/** The lines of the first ```sh block under "## The `strata` command" in README.md. */
function readmeCommands(): string[] {
  const readme = fs.readFileSync(path.join(inject('repoRoot'), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The `strata` command'));
  const block = /```sh\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 5)));
  if (!block) throw new Error('README.md: no ```sh block in "## The `strata` command"');
  return block[1]!
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

type Run = CliResult;

function sh(line: string, timeoutMs: number): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRATA_')) env[k] = v;
  env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`;
  env.STRATA_BOOTSTRAP_SERVER = broker.bootstrap;
  // The README names the default address; point it at this test's broker.
  return runProcess('sh', ['-c', line.replaceAll('127.0.0.1:9092', broker.bootstrap)], { env, timeoutMs, what: `README command ${line}` });
}

/** Extra checks for lines whose text matches the key (each must match some README line). */
const CHECKS: Array<[RegExp, (r: Run) => void]> = [
  [/^strata topics create orders --partitions 3/, (r) => expect(r.stdout).toContain('Created topic orders (3 partitions)')],
  [/^strata topics list$/, (r) => expect(r.stdout).toMatch(/^orders\s+3$/m)],
  [/topics describe orders/, (r) => expect((JSON.parse(r.stdout) as { partitions: unknown[]; overrides: Record<string, string> }).overrides).toEqual({ 'retention.ms': '86400000' })],
  [/^seq 1 100000 \| strata produce orders/, (r) => expect(r.stderr).toMatch(/Produced 100000 records/)],
  [/--compression zstd/, (r) => expect(r.stderr).toMatch(/Produced 2 records/)],
  [/strata produce new-topic/, (r) => expect(r.stderr).toMatch(/Produced 2 records .* to new-topic/)],
  [
    /^strata consume orders --from-beginning --max-messages 10 --format/,
    (r) => {
      const out = r.stdout.trim().split('\n');
      expect(out).toHaveLength(10);
      for (const l of out) expect(l).toMatch(/^\d+@\d+ \S*=\S+ \S* \d{13}$/);
    },
  ],
  [
    /^strata consume orders --group billing/,
    (r) => {
      expect(r.stdout.trim().split('\n')).toHaveLength(100);
      expect(r.stderr).toContain('Consumed 100 records from orders');
    },
  ],
  [/^strata groups list$/, (r) => expect(r.stdout).toMatch(/^billing\s+Empty\s+consumer$/m)],
  [
    /^strata groups describe billing$/,
    (r) => {
      expect(r.stdout).toMatch(/Group: billing\s+State: Empty .*Total lag: [1-9]\d*/);
      // The 100 records it printed are exactly what it committed.
      const committed = [...r.stdout.matchAll(/^orders\s+\d+\s+(\d+)\s+\d+/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      expect(committed).toBe(100);
    },
  ],
  [/--to-datetime 2026-01-01T00:00:00Z/, (r) => expect(r.stdout).toContain('Dry run: nothing committed')],
  [/--to-earliest --execute/, (r) => expect(r.stdout).toContain('Offsets of group billing reset.')],
  [/^strata groups delete billing$/, (r) => expect(r.stdout).toContain('Deleted group billing.')],
  [/^strata topics delete orders$/, (r) => expect(r.stdout).toContain('Deleted topic orders.')],
  [/^strata broker --help$/, (r) => expect(r.stdout).toMatch(/^auto\.create\.topics\.enable\s+true\s+STRATA_AUTO_CREATE_TOPICS_ENABLE\s+bool$/m)],
];

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS, '--redis.url=', '--worker.threads=2'] });
  binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-readme-bin-'));
  const entry = path.join(inject('repoRoot'), 'dist', 'src', 'cli', 'strata.js');
  fs.writeFileSync(path.join(binDir, 'strata'), `#!/bin/sh\nexec "${process.execPath}" "${entry}" "$@"\n`, { mode: 0o755 });
});

afterAll(() => {
  if (binDir) fs.rmSync(binDir, { recursive: true, force: true });
});

describe('README: the `strata` command', () => {
  it('every documented command runs and succeeds, in order', async () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const [pattern] of CHECKS) expect(commands.some((c) => pattern.test(c)), `README has a line matching ${pattern}`).toBe(true);
    for (const line of commands) {
      const r = await sh(line, 60_000);
      expect(r.code, `${line}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`).toBe(0);
      for (const [pattern, check] of CHECKS) if (pattern.test(line)) check(r);
    }
  }, 300_000);
});
