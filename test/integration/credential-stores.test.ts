// The two SCRAM credential stores against one contract: the local file (embedded brokers) and
// the Redis hash (clusters, the test's real Redis under a unique key prefix, removed
// afterwards). Upsert, get, list, delete per mechanism; a second store instance (another
// broker, or `strata users create --data-dir/--redis-url` from the host) sees the changes; no
// password is ever stored; strata users writes both directly.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { CredentialStore } from '../../src/security/credential-store.js';
import { LocalCredentialStore } from '../../src/security/local-credential-store.js';
import { RedisCredentialStore } from '../../src/security/redis-credential-store.js';
import { newScramCredential, passwordMatches } from '../../src/security/scram.js';
import { redisUrl } from '../helpers/groups.js';
import { strataJson, strataOk } from '../helpers/strata-cli.js';

const prefix = `strata-test-creds-${randomBytes(4).toString('hex')}:`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-creds-'));
const opened: CredentialStore[] = [];

afterAll(async () => {
  for (const s of opened) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const r = new Redis(redisUrl());
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  await r.quit();
});

const stores: Array<[string, () => CredentialStore, () => string]> = [
  ['local file', () => new LocalCredentialStore(dir), () => fs.readFileSync(path.join(dir, 'scram-credentials.json'), 'utf8')],
  ['redis hash', () => new RedisCredentialStore(redisUrl(), prefix, 2_000), () => ''],
];

describe.each(stores)('%s credential store', (_name, make, raw) => {
  const open = () => {
    const s = make();
    opened.push(s);
    return s;
  };

  it('upserts, reads back through another instance, lists and deletes per mechanism', async () => {
    const a = open();
    const b = open();
    expect(await a.get('alice')).toBeUndefined();
    await a.upsert('alice', 'SCRAM-SHA-256', newScramCredential('SCRAM-SHA-256', 'pw-256'));
    await a.upsert('alice', 'SCRAM-SHA-512', newScramCredential('SCRAM-SHA-512', 'pw-512', 8192));
    await a.upsert('bob:with,odd=chars', 'SCRAM-SHA-512', newScramCredential('SCRAM-SHA-512', 'bob'));
    const alice = await b.get('alice');
    expect(await passwordMatches('SCRAM-SHA-256', 'pw-256', alice!['SCRAM-SHA-256']!)).toBe(true);
    expect(alice!['SCRAM-SHA-512']!.iterations).toBe(8192);
    expect(await passwordMatches('SCRAM-SHA-512', 'pw-512', alice!['SCRAM-SHA-512']!)).toBe(true);
    expect([...(await b.list()).keys()].sort()).toEqual(['alice', 'bob:with,odd=chars']);
    expect(await b.delete('alice', 'SCRAM-SHA-256')).toBe(true);
    expect(await b.delete('alice', 'SCRAM-SHA-256')).toBe(false);
    expect(Object.keys((await a.get('alice'))!)).toEqual(['SCRAM-SHA-512']);
    expect(await a.delete('alice', 'SCRAM-SHA-512')).toBe(true);
    expect(await a.get('alice')).toBeUndefined();
    expect(raw()).not.toMatch(/pw-256|pw-512/);
  });
});

describe('strata users writes the stores directly (the first user)', () => {
  it('--data-dir and --redis-url create, list and delete', async () => {
    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-creds-cli-'));
    const redisPrefix = `${prefix}cli:`;
    for (const where of [['--data-dir', local], ['--redis-url', redisUrl(), '--redis-key-prefix', redisPrefix]]) {
      await strataOk(['users', 'create', 'admin', '--password', 'admin-pw', '--mechanism', 'SCRAM-SHA-512', ...where]);
      expect(await strataJson(['users', 'list', ...where])).toEqual([{ user: 'admin', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }]);
      await strataOk(['users', 'delete', 'admin', ...where]);
      expect(await strataJson(['users', 'list', ...where])).toEqual([]);
    }
    const store = new RedisCredentialStore(redisUrl(), redisPrefix, 2_000);
    opened.push(store);
    expect(await store.get('admin')).toBeUndefined();
    fs.rmSync(local, { recursive: true, force: true });
  });
});
