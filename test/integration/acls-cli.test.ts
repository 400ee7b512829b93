// Integration: `strata acls add | list | remove` against a broker with the authorizer on. The
// CLI connects over the plaintext listener as User:ANONYMOUS, the super user here (an operators'
// listener on localhost); the client certificate's principal (User:CN=alice,OU=eng,O=Acme) is the
// one restricted: kcat over mTLS cannot produce until `strata acls add --allow … --operation WRITE
// --topic …` and cannot again after `strata acls remove`. Usage mistakes exit 2 with a message.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import { runKcat } from '../helpers/kcat.js';
import { listOffset } from '../helpers/raw-requests.js';
import { runStrata, strataJson, strataOk } from '../helpers/strata-cli.js';
import { startSecuredBroker, type SecuredBroker } from '../helpers/acls.js';
import { uniqueTopic } from '../helpers/topics.js';

let certs: TestCerts;
let secured: SecuredBroker;
let bootstrap: string;

beforeAll(async () => {
  certs = makeTestCerts();
  secured = await startSecuredBroker(certs, [...LOCAL_STORE_FLAGS, '--super.users=User:ANONYMOUS']);
  bootstrap = secured.broker.bootstrap;
}, 60_000);

const kcatAsAlice = (topic: string, input: string) =>
  runKcat(
    ['-P', '-b', `127.0.0.1:${secured.sslPort}`, '-t', topic, '-p', '0', '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`, '-X', `ssl.certificate.location=${certs.client.cert}`, '-X', `ssl.key.location=${certs.client.key}`, '-X', 'message.timeout.ms=5000'],
    { input, timeoutMs: 30_000 },
  );

async function endOffset(topic: string): Promise<bigint> {
  const c = await secured.anonymous();
  try {
    return (await listOffset(c, topic, 0, -1)).offset;
  } finally {
    c.close();
  }
}

describe('strata acls', () => {
  it('add lets a principal write, list shows it, remove takes it back', async () => {
    const topic = uniqueTopic('acl-cli');
    await strataOk(['topics', 'create', topic, '--partitions', '1', '--bootstrap-server', bootstrap]);
    const before = await kcatAsAlice(topic, 'a\n');
    expect(before.code).not.toBe(0);
    expect(before.stderr).toMatch(/authoriz/i);
    expect(await endOffset(topic)).toBe(0n);

    const added = await strataJson<Array<Record<string, string>>>(['acls', 'add', '--allow', certs.clientPrincipal, '--operation', 'WRITE', '--operation', 'describe', '--topic', topic, '--bootstrap-server', bootstrap]);
    expect(added.map((a) => a.operation)).toEqual(['WRITE', 'DESCRIBE']);
    const listed = await strataJson<Array<Record<string, string>>>(['acls', 'list', '--topic', topic, '--bootstrap-server', bootstrap]);
    expect(listed).toEqual(
      expect.arrayContaining([{ resourceType: 'TOPIC', resourceName: topic, patternType: 'LITERAL', principal: certs.clientPrincipal, host: '*', operation: 'WRITE', permission: 'ALLOW' }]),
    );
    const table = await strataOk(['acls', 'list', '--principal', certs.clientPrincipal, '--bootstrap-server', bootstrap]);
    expect(table.stdout).toMatch(/PRINCIPAL/);
    expect(table.stdout).toContain(topic);

    const after = await kcatAsAlice(topic, 'a\nb\n');
    expect(after.code, after.stderr).toBe(0);
    expect(await endOffset(topic)).toBe(2n);

    const removed = await strataJson<unknown[]>(['acls', 'remove', '--allow', certs.clientPrincipal, '--topic', topic, '--bootstrap-server', bootstrap]);
    expect(removed).toHaveLength(2);
    expect(await strataJson<unknown[]>(['acls', 'list', '--topic', topic, '--bootstrap-server', bootstrap])).toEqual([]);
    expect((await kcatAsAlice(topic, 'c\n')).code).not.toBe(0);
    expect(await endOffset(topic)).toBe(2n);
  });

  it('prefixed, group and cluster resources and DENY', async () => {
    const prefix = uniqueTopic('acl-cli-p');
    await strataOk(['acls', 'add', '--deny', 'User:mallory', '--operation', 'ALL', '--topic', prefix, '--prefixed', '--bootstrap-server', bootstrap]);
    await strataOk(['acls', 'add', '--allow', 'User:*', '--operation', 'READ', '--group', `${prefix}-g`, '--host', '10.0.0.7', '--bootstrap-server', bootstrap]);
    await strataOk(['acls', 'add', '--allow', 'User:ops', '--operation', 'ALTER_CONFIGS', '--cluster', '--bootstrap-server', bootstrap]);
    const prefixed = await strataJson<Array<Record<string, string>>>(['acls', 'list', '--topic', prefix, '--prefixed', '--bootstrap-server', bootstrap]);
    expect(prefixed.map((a) => [a.patternType, a.principal, a.operation, a.permission])).toEqual([['PREFIXED', 'User:mallory', 'ALL', 'DENY']]);
    const group = await strataJson<Array<Record<string, string>>>(['acls', 'list', '--group', `${prefix}-g`, '--bootstrap-server', bootstrap]);
    expect(group.map((a) => [a.resourceType, a.host])).toEqual([['GROUP', '10.0.0.7']]);
    const cluster = await strataJson<Array<Record<string, string>>>(['acls', 'list', '--cluster', '--principal', 'User:ops', '--bootstrap-server', bootstrap]);
    expect(cluster.map((a) => [a.resourceName, a.operation])).toEqual([['kafka-cluster', 'ALTER_CONFIGS']]);
  });

  it('usage mistakes exit 2 with a message', async () => {
    for (const [args, message] of [
      [['acls', 'add', '--allow', 'alice', '--operation', 'READ', '--topic', 't'], /TYPE:NAME/],
      [['acls', 'add', '--allow', 'User:a', '--operation', 'FLY', '--topic', 't'], /--operation: one of/],
      [['acls', 'add', '--allow', 'User:a', '--operation', 'READ'], /name the resource/],
      [['acls', 'add', '--allow', 'User:a', '--operation', 'READ', '--topic', 't', '--group', 'g'], /one resource/],
      [['acls', 'add', '--operation', 'READ', '--topic', 't'], /--allow PRINCIPAL or --deny/],
      [['acls', 'remove'], /name a resource or a principal/],
    ] as const) {
      const r = await runStrata([...args, '--bootstrap-server', bootstrap]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
