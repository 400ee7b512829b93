// Integration: ACLs for SASL users (principal User:<name>). Two SCRAM users; only alice has WRITE
// on the topic. Over a SASL_PLAINTEXT listener KafkaJS produces as alice and is refused as bob
// (TOPIC_AUTHORIZATION_FAILED, nothing appended); over the HTTP front with basic auth
// (http.authentication.enable) the REST proxy produces as alice and answers bob's records with
// TOPIC_AUTHORIZATION_FAILED — the same ACL decides for both. The plaintext listener's
// User:ANONYMOUS is the super user that sets things up.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { listOffset } from '../helpers/raw-requests.js';
import { JSON_V2, rest, restBase } from '../helpers/rest.js';
import { listenerPort } from '../helpers/security.js';
import { strataOk } from '../helpers/strata-cli.js';
import { AclOperation as Op, binding, createAcls } from '../helpers/acls.js';
import { uniqueTopic } from '../helpers/topics.js';

const ALICE = { user: 'alice', password: 'alice-secret' };
const BOB = { user: 'bob', password: 'bob-secret' };
let broker: BrokerHandle;
let saslPort: number;

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-acl-sasl-'));
  for (const u of [ALICE, BOB]) await strataOk(['users', 'create', u.user, '--password', u.password, '--data-dir', dataDir]);
  broker = await startBroker({
    dataDir,
    args: [
      ...LOCAL_STORE_FLAGS,
      '--listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      '--authorizer.class.name=strata',
      '--super.users=User:ANONYMOUS',
      '--http.authentication.enable=true',
      '--num.partitions=1',
    ],
  });
  saslPort = listenerPort(broker, 'SASL_PLAINTEXT');
}, 90_000);

const endOffset = async (topic: string) => {
  const c = await RawKafkaConnection.connect('127.0.0.1', broker.port);
  try {
    return (await listOffset(c, topic, 0, -1)).offset;
  } finally {
    c.close();
  }
};

const basic = (u: { user: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${u.user}:${u.password}`).toString('base64')}` });

describe('ACLs for SASL users', () => {
  it('KafkaJS over SCRAM and the REST proxy with basic auth: alice may write, bob may not', async () => {
    const topic = uniqueTopic('acl-sasl');
    await strataOk(['topics', 'create', topic, '--partitions', '1', '--bootstrap-server', broker.bootstrap]);
    await strataOk(['acls', 'add', '--allow', 'User:alice', '--operation', 'WRITE', '--operation', 'DESCRIBE', '--topic', topic, '--bootstrap-server', broker.bootstrap]);
    const producer = (u: { user: string; password: string }) =>
      kafkaClient(`127.0.0.1:${saslPort}`, { sasl: { mechanism: 'scram-sha-256', username: u.user, password: u.password }, retry: { retries: 0 } }).producer();
    const alice = producer(ALICE);
    await alice.connect();
    try {
      await alice.send({ topic, messages: [{ value: 'from alice' }] });
    } finally {
      await alice.disconnect();
    }
    const bob = producer(BOB);
    await bob.connect();
    try {
      await expect(bob.send({ topic, messages: [{ value: 'from bob' }] })).rejects.toThrow(/authoriz/i);
    } finally {
      await bob.disconnect();
    }
    expect(await endOffset(topic)).toBe(1n);

    const base = restBase(broker);
    const body = { records: [{ value: { from: 'rest' } }] };
    const asAlice = await rest(base, 'POST', `/topics/${topic}`, body, JSON_V2, basic(ALICE));
    expect([asAlice.status, asAlice.body.offsets?.[0]?.error_code], asAlice.text).toEqual([200, null]);
    const asBob = await rest(base, 'POST', `/topics/${topic}`, body, JSON_V2, basic(BOB));
    expect(asBob.status, asBob.text).toBe(200);
    expect(asBob.body.offsets[0].error).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    expect(await endOffset(topic)).toBe(2n);
  });
});
