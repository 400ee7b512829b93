// Integration (issue 12, bugs 7, 9, 10): how `strata` behaves for a new user — global options
// before the subcommand, --help everywhere, usage errors before any network, produce
// auto-creating a topic (and a clear error when the broker refuses), groups describe of an
// unknown group, OFFSET_OUT_OF_RANGE, --progress off a terminal, Ctrl-C, and the README's
// new-group consume that used to hang.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS, freePort } from '../helpers/groups.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { runStrata, strataJson, strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let kafka: Kafka;
let bs: string[];
let deadBs: string[];

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS, '--redis.url=', '--worker.threads=2', '--num.partitions=2'] });
  kafka = kafkaClient(broker.bootstrap);
  bs = ['--bootstrap-server', broker.bootstrap];
  deadBs = ['--bootstrap-server', `127.0.0.1:${await freePort()}`];
});

describe('strata parsing (bug 10)', () => {
  it('accepts global options before the subcommand', async () => {
    const topic = uniqueTopic();
    await strataOk(['--bootstrap-server', broker.bootstrap, 'topics', 'create', topic, '--partitions', '1']);
    const list = await strataOk(['--bootstrap-server', broker.bootstrap, '--output', 'json', 'topics', 'list']);
    expect(JSON.parse(list.stdout)).toContainEqual({ name: topic, partitions: 1 });
    const eq = await strataOk([`--bootstrap-server=${broker.bootstrap}`, '--output=json', 'topics', 'describe', topic]);
    expect((JSON.parse(eq.stdout) as { name: string }).name).toBe(topic);
  });

  it('--help for every command, without a broker', async () => {
    for (const command of ['topics', 'groups', 'produce', 'consume']) {
      const r = await runStrata([command, '--help', ...deadBs]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`strata ${command}`);
      expect(r.stdout).toContain('--bootstrap-server');
    }
    const consume = await runStrata(['consume', '-h']);
    expect(consume.stdout).toContain('--from-beginning');
    expect(consume.stdout).toContain('--max-messages N');
    const main = await runStrata(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('strata broker --help lists every broker setting');
  });

  it('strata broker --help lists every broker setting with its default, and starts nothing', async () => {
    const r = await runStrata(['broker', '--help'], { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    for (const [name, def] of [['listeners', 'PLAINTEXT://127.0.0.1:9092'], ['log.dirs', './data'], ['auto.create.topics.enable', 'true'], ['http.listeners', '127.0.0.1:8080'], ['group.initial.rebalance.delay.ms', '3000']]) {
      expect(r.stdout).toMatch(new RegExp(`^${name!.replace(/\./g, '\\.')}\\s+${def!.replace(/\./g, '\\.')}\\s+STRATA_`, 'm'));
    }
  });

  it('usage errors exit 2 before connecting: unknown option, extra argument, unknown --format placeholder', async () => {
    const cases: Array<[string[], string]> = [
      [['consume', 't', '--max-mesages', '3'], 'unknown option --max-mesages for strata consume'],
      [['topics', 'describe', 'a', 'b'], 'unexpected argument "b"'],
      [['consume', 'orders', 'billing'], 'strata consume: unexpected argument "billing"'],
      [['consume', 't', '--format', '{offset} {vaule}'], 'unknown placeholder {vaule}'],
      [['topics', 'list', '--partitions', '3'], 'option --partitions does not apply'],
      [['consume', 't', '--from-beginning=yes'], '--from-beginning is a flag'],
      [['--from-beginning', 'consume', 't'], 'unknown option --from-beginning for strata '],
      [['frobnicate'], 'unknown command "frobnicate"'],
    ];
    for (const [args, message] of cases) {
      const r = await runStrata([...args, ...deadBs]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain('cannot connect');
    }
  });
});

describe('strata produce to an unknown topic (bug 9)', () => {
  it('auto-creates it when the broker does (num.partitions), like kcat', async () => {
    const topic = uniqueTopic();
    const r = await strataOk(['produce', topic, ...bs], { input: 'one\ntwo\nthree\n' });
    expect(r.stderr).toContain(`Produced 3 records`);
    const d = await strataJson<{ partitions: Array<{ logEndOffset: number }> }>(['topics', 'describe', topic, ...bs]);
    expect(d.partitions).toHaveLength(2);
    expect(d.partitions.reduce((s, p) => s + p.logEndOffset, 0)).toBe(3);
    const back = await strataOk(['consume', topic, '--from-beginning', '--max-messages', '3', ...bs]);
    expect(back.stdout.trim().split('\n').sort()).toEqual(['one', 'three', 'two']);
  });

  it('says clearly when the broker does not auto-create topics', async () => {
    const strict = await startBroker({ args: ['--redis.url=', '--worker.threads=1', '--auto.create.topics.enable=false'] });
    try {
      const topic = uniqueTopic();
      const r = await runStrata(['produce', topic, '--bootstrap-server', strict.bootstrap], { input: 'x\n' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`topic ${topic} does not exist and the broker did not create it`);
      expect(r.stderr).toContain(`strata topics create ${topic}`);
      const list = await strataJson<Array<{ name: string }>>(['topics', 'list', '--bootstrap-server', strict.bootstrap]);
      expect(list.map((t) => t.name)).not.toContain(topic);
    } finally {
      await strict.stop();
    }
  });
});

describe('strata groups describe of an unknown group (bug 10)', () => {
  it('says the group does not exist and exits 1', async () => {
    const r = await runStrata(['groups', 'describe', `no-such-group-${uniqueTopic()}`, ...bs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/strata: error: group no-such-group-\S+ does not exist/);
    expect(r.stdout).toBe('');
  });
});

describe('strata consume and OFFSET_OUT_OF_RANGE (bug 10)', () => {
  it('an explicit --offset past the log end is an error naming the valid range', async () => {
    const topic = uniqueTopic();
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    await strataOk(['produce', topic, ...bs], { input: 'a\nb\nc\nd\ne\n' });
    const r = await runStrata(['consume', topic, '--partition', '0', '--offset', '100', '--max-messages', '1', ...bs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`offset 100 of ${topic}-0 is out of range (log 0..5)`);
  });

  it('a committed offset out of range: reset as auto.offset.reset; ending with 0 records is an error', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    await strataOk(['produce', topic, ...bs], { input: 'a\nb\nc\nd\ne\n' });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '100' }] });
    } finally {
      await admin.disconnect();
    }
    // Reset to the log end: nothing to read, so "Consumed 0 records" is a failure.
    const latest = await runStrata(['consume', topic, '--group', groupId, '--partition', '0', '--timeout-ms', '1500', ...bs]);
    expect(latest.code).toBe(1);
    expect(latest.stderr).toContain(`offset 100 of ${topic}-0 is out of range (log 0..5): continuing from 5`);
    expect(latest.stderr).toContain(`strata: error: consumed 0 records: offset 100 of ${topic}-0 is out of range`);
    // Reset to the log start: reads everything, success.
    const earliest = await runStrata(['consume', topic, '--group', groupId, '--partition', '0', '--from-beginning', '--max-messages', '5', ...bs]);
    expect(earliest.code, earliest.stderr).toBe(0);
    expect(earliest.stdout).toBe('a\nb\nc\nd\ne\n');
  });
});

describe('strata consume --max-messages for a new group (bug 7)', () => {
  it('ends after the default idle timeout instead of hanging, and commits nothing', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    await strataOk(['produce', topic, ...bs], { input: 'old\n' });
    const started = Date.now();
    const r = await runStrata(['consume', topic, '--group', groupId, '--max-messages', '100', ...bs], { timeoutMs: 40_000 });
    const elapsed = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(''); // a new group starts at the log end without --from-beginning
    expect(r.stderr).toContain(`Consumed 0 records from ${topic}`);
    expect(elapsed).toBeGreaterThanOrEqual(10_000);
    // --from-beginning applies to the new group: it reads the old record.
    const fb = await strataOk(['consume', topic, '--group', groupId, '--from-beginning', '--max-messages', '1', ...bs]);
    expect(fb.stdout).toBe('old\n');
  }, 60_000);
});

describe('strata produce --progress (bug 10)', () => {
  it('writes no progress line when stderr is not a terminal', async () => {
    const topic = uniqueTopic();
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    const lines = Array.from({ length: 60_000 }, (_, i) => `v${i}`).join('\n') + '\n';
    const r = await strataOk(['produce', topic, '--progress', '--batch-size', '50', ...bs], { input: lines });
    expect(r.stderr).toMatch(/^Produced 60000 records .*\n$/);
    expect(r.stderr).not.toContain('\r');
  });
});

describe('strata consume and Ctrl-C (bug 10)', () => {
  it('SIGINT exits at once, leaves the group and commits exactly what was printed', async () => {
    const topic = uniqueTopic();
    const groupId = `g-${topic}`;
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    await strataOk(['produce', topic, ...bs], { input: 'r1\nr2\nr3\n' });
    const entry = path.join(inject('repoRoot'), 'dist', 'src', 'cli', 'strata.js');
    // No --max-messages, no --timeout-ms: it would run until interrupted.
    const child = spawn(process.execPath, [entry, 'consume', topic, '--group', groupId, '--from-beginning', ...bs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitFor(() => stdout === 'r1\nr2\nr3\n', { timeoutMs: 20_000, what: 'three records printed' });
      // Its commit follows the print: wait until the group has it, then interrupt mid long-poll.
      await waitFor(
        async () => (await strataJson<{ partitions: Array<{ committedOffset: number }> }>(['groups', 'describe', groupId, ...bs])).partitions[0]?.committedOffset === 3,
        { timeoutMs: 20_000, what: 'offset 3 committed' },
      );
      const sent = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      expect(Date.now() - sent).toBeLessThan(2_000);
      expect(code).toBe(130);
      expect(stderr).toContain(`Consumed 3 records from ${topic}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // It left the group (no member waiting for a session timeout) and committed 3.
    const d = await strataJson<{ members: unknown[]; partitions: Array<{ committedOffset: number }> }>(['groups', 'describe', groupId, ...bs]);
    expect(d.members).toEqual([]);
    expect(d.partitions.map((p) => p.committedOffset)).toEqual([3]);
  });
});
