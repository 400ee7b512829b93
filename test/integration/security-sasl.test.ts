// Integration: SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with real clients against a broker
// with PLAINTEXT (operators), SASL_SSL and SASL_PLAINTEXT listeners. The first user is written
// by `strata users create --data-dir` before the broker starts; more are made over the Kafka
// protocol (AlterUserScramCredentials) by `strata users`. kcat (librdkafka 2.x) over SASL_SSL
// with SCRAM-SHA-512, KafkaJS with SCRAM-SHA-256 and PLAIN, kafka-python (KIP-43 v0 framing)
// with PLAIN and SCRAM produce and consume. Denials: a wrong password and an unknown user get
// SASL_AUTHENTICATION_FAILED (58) and the connection closes; before authentication only
// ApiVersions and the SASL APIs are served — Metadata or Produce close the connection and
// nothing is written.
import type { SASLOptions } from 'kafkajs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeFormat, kcatProduce, runKcat } from '../helpers/kcat.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { metadata, produceRequestBody } from '../helpers/raw-requests.js';
import { listenerPort } from '../helpers/security.js';
import { runProcess, strataJson, strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';
import { encodeProduceRequest, produceApi } from '../../src/protocol/generated/messages/index.js';
import { saslAuthenticate, saslHandshake } from '../helpers/sasl.js';

let certs: TestCerts;
let broker: BrokerHandle;
let saslSsl: number;
let saslPlain: number;
const ALICE = { user: 'alice', password: 'alice-secret' };
const BOB = { user: 'bob', password: 'bob-secret' };

beforeAll(async () => {
  certs = makeTestCerts();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sasl-'));
  // The first user, before any broker runs: straight into the credential file.
  await strataOk(['users', 'create', ALICE.user, '--password', ALICE.password, '--data-dir', dataDir]);
  broker = await startBroker({
    dataDir,
    args: [
      '--listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      `--ssl.keystore.location=${certs.serverKeystore}`,
      '--connection.failed.authentication.delay.ms=50',
      '--num.partitions=1',
    ],
  });
  saslSsl = listenerPort(broker, 'SASL_SSL');
  saslPlain = listenerPort(broker, 'SASL_PLAINTEXT');
  // A second user over the Kafka protocol (AlterUserScramCredentials), SCRAM-SHA-512 only.
  await strataOk(['users', 'create', BOB.user, '--password', BOB.password, '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192', '--bootstrap-server', broker.bootstrap]);
}, 90_000);

const kcatSasl = (mechanism: string, who = ALICE) => ({
  'security.protocol': 'SASL_SSL',
  'sasl.mechanisms': mechanism,
  'sasl.username': who.user,
  'sasl.password': who.password,
  'ssl.ca.location': certs.ca,
});

describe('users', () => {
  it('strata users list shows both users with their mechanisms and iterations; the file holds no password', async () => {
    const users = await strataJson<Array<{ user: string; credentials: Array<{ mechanism: string; iterations: number }> }>>(['users', 'list', '--bootstrap-server', broker.bootstrap]);
    expect(users).toEqual([
      { user: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
      { user: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
    ]);
    const file = fs.readFileSync(path.join(broker.dataDir, 'scram-credentials.json'), 'utf8');
    expect(file).not.toContain(ALICE.password);
    expect(file).not.toContain(BOB.password);
  });
});

describe('real clients over SASL', () => {
  it('kcat: SASL_SSL with SCRAM-SHA-512 produces and consumes; the principal is logged', async () => {
    const topic = uniqueTopic('sasl-kcat');
    const lines = Array.from({ length: 30 }, (_, i) => `scram-${i}`);
    await kcatProduce(`127.0.0.1:${saslSsl}`, topic, lines.join('\n') + '\n', { config: kcatSasl('SCRAM-SHA-512', BOB) });
    const consumed = await kcatConsumeFormat(`127.0.0.1:${saslSsl}`, topic, '%s\n', { config: kcatSasl('SCRAM-SHA-512', BOB) });
    expect(consumed.stdout).toBe(lines.join('\n') + '\n');
    expect(broker.logLines().some((l) => l.msg === 'authenticated' && l.principal === 'User:bob' && l.mechanism === 'SCRAM-SHA-512' && l.listener === 'SASL_SSL')).toBe(true);
  });

  it.each(['scram-sha-256', 'plain'] as const)('KafkaJS: SASL_SSL with %s produces and consumes', async (mechanism) => {
    const topic = uniqueTopic(`sasl-kafkajs-${mechanism}`);
    const kafka = kafkaClient(`127.0.0.1:${saslSsl}`, {
      ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], servername: 'localhost' },
      sasl: { mechanism, username: ALICE.user, password: ALICE.password } as SASLOptions,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `${mechanism}-${i}` })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= 10, { timeoutMs: 20_000, what: '10 records over SASL_SSL' });
    await consumer.disconnect();
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `${mechanism}-${i}`));
  });

  it.each(['PLAIN', 'SCRAM-SHA-256'])('kafka-python (KIP-43 framing): SASL_SSL with %s produces and consumes', async (mechanism) => {
    const topic = uniqueTopic(`sasl-python-${mechanism}`);
    const script = `
import sys
from kafka import KafkaProducer, KafkaConsumer
common = dict(bootstrap_servers='127.0.0.1:${saslSsl}', security_protocol='SASL_SSL', ssl_cafile='${certs.ca}',
              sasl_mechanism='${mechanism}', sasl_plain_username='${ALICE.user}', sasl_plain_password='${ALICE.password}', api_version=(2, 5, 0))
p = KafkaProducer(acks='all', **common)
for i in range(10):
    p.send('${topic}', ('py-%d' % i).encode()).get(timeout=20)
p.close()
c = KafkaConsumer('${topic}', auto_offset_reset='earliest', consumer_timeout_ms=8000, **common)
got = []
for m in c:
    got.append(m.value.decode())
    if len(got) == 10:
        break
c.close()
print(','.join(got))
`;
    const result = await runProcess('/usr/bin/python3', ['-c', script], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(Array.from({ length: 10 }, (_, i) => `py-${i}`).join(','));
  });
});

describe('denials', () => {
  it('a wrong password and an unknown user get SASL_AUTHENTICATION_FAILED (58), then the connection closes', async () => {
    for (const [user, password] of [
      [ALICE.user, 'wrong'],
      ['mallory', 'whatever'],
    ] as const) {
      const c = await RawKafkaConnection.connect('127.0.0.1', saslPlain);
      expect((await saslHandshake(c, 'PLAIN')).errorCode).toBe(0);
      const res = await saslAuthenticate(c, Buffer.from(`\u0000${user}\u0000${password}`));
      expect(res.errorCode).toBe(58);
      expect(res.errorMessage).toBe('Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN');
      expect(await c.waitClosed()).toBe(true);
    }
    for (const [user, password] of [
      [BOB.user, 'wrong'],
      ['mallory', 'whatever'],
    ] as const) {
      const failed = await runKcat(['-L', '-b', `127.0.0.1:${saslSsl}`, '-m', '5', ...Object.entries(kcatSasl('SCRAM-SHA-512', { user, password })).flatMap(([k, v]) => ['-X', `${k}=${v}`])], { timeoutMs: 20_000 });
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toMatch(/Authentication failed|SASL authentication error/i);
    }
    const failures = broker.logLines().filter((l) => l.msg === 'authentication failed');
    expect(failures.map((l) => l.reason)).toEqual(expect.arrayContaining(['wrong password', 'unknown user', 'invalid proof (wrong password)']));
    expect(JSON.stringify(failures)).not.toContain('whatever');
    const metrics = await scrapeMetrics(httpPortOf(broker));
    expect(metrics.get('strata_authentications_total{listener="SASL_PLAINTEXT",mechanism="PLAIN",result="failure"}')).toBeGreaterThanOrEqual(2);
    expect(metrics.get('strata_authentications_total{listener="SASL_SSL",mechanism="SCRAM-SHA-512",result="success"}')).toBeGreaterThanOrEqual(1);
  });

  it('KafkaJS with a wrong password fails with an authentication error', async () => {
    const kafka = kafkaClient(`127.0.0.1:${saslSsl}`, {
      ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], servername: 'localhost' },
      sasl: { mechanism: 'scram-sha-256', username: ALICE.user, password: 'nope' },
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toThrow(/SASL SCRAM SHA256 authentication failed|SASL_AUTHENTICATION_FAILED|Authentication failed/i);
  });

  it('before authentication only ApiVersions and the SASL APIs are served: Metadata and Produce close the connection, nothing is written', async () => {
    const topic = uniqueTopic('unauthenticated');
    const meta = await RawKafkaConnection.connect('127.0.0.1', saslPlain);
    await expect(metadata(meta, [topic], 12, { autoCreate: true })).rejects.toThrow(/closed/);
    const prod = await RawKafkaConnection.connect('127.0.0.1', saslPlain);
    const { payload } = prod.buildRequest(produceApi.apiKey, 9, encodeProduceRequest, produceRequestBody(topic, 0, null));
    prod.writeFrame(payload);
    expect(await prod.waitClosed()).toBe(true);
    // Nothing was created: the operator listener does not know the topic.
    const admin = await RawKafkaConnection.connect('127.0.0.1', broker.port);
    const md = await metadata(admin, [topic], 12, { autoCreate: false });
    admin.close();
    expect(md.topics[0]!.errorCode).toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
  });

  it('users deleted through strata can no longer log in', async () => {
    await strataOk(['users', 'create', 'carol', '--password', 'carol-pw', '--bootstrap-server', broker.bootstrap]);
    const ok = await runKcat(['-L', '-b', `127.0.0.1:${saslSsl}`, ...Object.entries(kcatSasl('SCRAM-SHA-256', { user: 'carol', password: 'carol-pw' })).flatMap(([k, v]) => ['-X', `${k}=${v}`])], { timeoutMs: 20_000 });
    expect(ok.code, ok.stderr).toBe(0);
    await strataOk(['users', 'delete', 'carol', '--bootstrap-server', broker.bootstrap]);
    const denied = await runKcat(['-L', '-b', `127.0.0.1:${saslSsl}`, '-m', '5', ...Object.entries(kcatSasl('SCRAM-SHA-256', { user: 'carol', password: 'carol-pw' })).flatMap(([k, v]) => ['-X', `${k}=${v}`])], { timeoutMs: 20_000 });
    expect(denied.code).not.toBe(0);
  });
});
