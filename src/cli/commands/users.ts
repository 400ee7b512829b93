// Thread: main (CLI process). `strata users create | list | delete`: SCRAM users.
// Over the Kafka protocol (DescribeUserScramCredentials / AlterUserScramCredentials, as
// Kafka's kafka-configs.sh): the salt is made and the password salted (Hi()) here; only the
// salt, iterations and salted password travel, and the broker keeps StoredKey and ServerKey.
// For the first user of a secured broker — no one can authenticate yet — the same commands
// write the credential store directly from the broker's host: `--data-dir DIR` (the broker's
// first log dir; a running broker picks the file up at the next authentication) or
// `--redis-url URL [--redis-key-prefix P]` (a cluster's shared Redis).
import { randomBytes } from 'node:crypto';
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import type { KafkaClient } from '../client/kafka-client.js';
import { json, out, table, type OutputFormat } from '../output.js';
import { iterationsProblem, userNameProblem, type CredentialStore } from '../../security/credential-store.js';
import { LocalCredentialStore } from '../../security/local-credential-store.js';
import { RedisCredentialStore } from '../../security/redis-credential-store.js';
import { credentialFromSaltedPassword, DEFAULT_ITERATIONS, SCRAM_MECHANISM_TYPE, SCRAM_MECHANISMS, saltedPasswordSync, scramMechanismOfType, type ScramMechanism } from '../../security/scram.js';

const usage = (message: string) => new CliError(message, 'STRATA_ERR_CLI_USAGE');

function mechanismsOf(o: Options, fallback: readonly ScramMechanism[]): ScramMechanism[] {
  const given = o.all('mechanism').flatMap((m) => m.split(',')).map((m) => m.trim().toUpperCase()).filter((m) => m !== '');
  if (given.length === 0) return [...fallback];
  for (const m of given) if (!(SCRAM_MECHANISMS as readonly string[]).includes(m)) throw usage(`--mechanism: SCRAM-SHA-256 or SCRAM-SHA-512, got "${m}"`);
  return [...new Set(given)] as ScramMechanism[];
}

/** The store named by --data-dir or --redis-url, or undefined (then: the Kafka protocol). */
function directStore(o: Options): CredentialStore | undefined {
  const dataDir = o.str('data-dir');
  const redisUrl = o.str('redis-url');
  const prefix = o.str('redis-key-prefix') ?? 'strata:';
  if (dataDir !== undefined && redisUrl !== undefined) throw usage('--data-dir and --redis-url: give one');
  if (dataDir !== undefined) return new LocalCredentialStore(dataDir);
  if (redisUrl !== undefined) return new RedisCredentialStore(redisUrl, prefix, 5_000);
  return undefined;
}

export async function usersCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const [action, name] = o.positional;
  const store = directStore(o);
  try {
    switch (action) {
      case 'create': {
        if (!name) throw usage('strata users create: missing NAME');
        const problem = userNameProblem(name);
        if (problem !== undefined) throw usage(`strata users create: ${problem}`);
        const password = o.str('password');
        if (password === undefined || password === '') throw usage('strata users create: --password P is required');
        const iterations = o.int('iterations', 1) ?? DEFAULT_ITERATIONS;
        const bad = iterationsProblem(iterations);
        if (bad !== undefined) throw usage(`--iterations: ${bad}`);
        const mechanisms = mechanismsOf(o, SCRAM_MECHANISMS);
        o.rejectUnknown('users create');
        const salted = mechanisms.map((m) => {
          const salt = randomBytes(32);
          return { mechanism: m, salt, iterations, saltedPassword: saltedPasswordSync(m, password, salt, iterations) };
        });
        if (store) for (const s of salted) await store.upsert(name, s.mechanism, credentialFromSaltedPassword(s.mechanism, s.salt, iterations, s.saltedPassword));
        else await client.alterUser(name, salted.map((s) => ({ mechanism: SCRAM_MECHANISM_TYPE[s.mechanism], iterations, salt: s.salt, saltedPassword: s.saltedPassword })), []);
        out(format === 'json' ? json({ user: name, mechanisms, iterations }) + '\n' : `user ${name}: ${mechanisms.join(', ')} (${iterations} iterations)\n`);
        return;
      }
      case 'list':
      case undefined: {
        o.rejectUnknown('users list');
        const users = store
          ? [...(await store.list())].map(([user, creds]) => ({ user, credentials: SCRAM_MECHANISMS.filter((m) => creds[m]).map((m) => ({ mechanism: m, iterations: creds[m]!.iterations })) }))
          : (await client.describeUsers(null)).map((u) => ({ user: u.user, credentials: u.credentials.map((c) => ({ mechanism: scramMechanismOfType(c.mechanism) ?? `unknown(${c.mechanism})`, iterations: c.iterations })) }));
        users.sort((a, b) => (a.user < b.user ? -1 : 1));
        out(format === 'json' ? json(users) + '\n' : table(['USER', 'MECHANISMS'], users.map((u) => [u.user, u.credentials.map((c) => `${c.mechanism} (${c.iterations})`).join(', ')])));
        return;
      }
      case 'delete': {
        if (!name) throw usage('strata users delete: missing NAME');
        const asked = o.all('mechanism').length > 0;
        const mechanisms = mechanismsOf(o, SCRAM_MECHANISMS);
        o.rejectUnknown('users delete');
        let have: ScramMechanism[];
        if (store) {
          const creds = await store.get(name);
          have = SCRAM_MECHANISMS.filter((m) => creds?.[m] !== undefined);
        } else {
          const described = await client.describeUsers([name]).catch((err: unknown) => {
            if (err instanceof CliError && /RESOURCE_NOT_FOUND/.test(err.message)) return [];
            throw err;
          });
          have = (described[0]?.credentials ?? []).map((c) => scramMechanismOfType(c.mechanism)).filter((m): m is ScramMechanism => m !== undefined);
        }
        const targets = asked ? mechanisms : have;
        const missing = targets.filter((m) => !have.includes(m));
        if (targets.length === 0 || missing.length > 0) throw new CliError(`user ${name} has no ${missing.length > 0 ? missing.join(', ') : 'SCRAM'} credentials`, 'STRATA_ERR_CLI_KAFKA');
        if (store) for (const m of targets) await store.delete(name, m);
        else await client.alterUser(name, [], targets.map((m) => SCRAM_MECHANISM_TYPE[m]));
        out(format === 'json' ? json({ user: name, deleted: targets }) + '\n' : `user ${name}: deleted ${targets.join(', ')}\n`);
        return;
      }
      default:
        throw usage(`strata users: unknown action "${action}" (create, list, delete)`);
    }
  } finally {
    await store?.close();
  }
}
