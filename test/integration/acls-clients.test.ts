// Integration: ACLs with real clients. kcat (librdkafka) producing without WRITE fails with
// "Topic authorization failed" and appends nothing (the end offset stays), then produces once a
// PREFIXED WRITE ACL covers the topic; KafkaJS consuming in a group is refused without READ on
// the group and consumes with READ on group and topic; Metadata (KafkaJS listTopics) hides topics
// without DESCRIBE; a DENY beats a matching ALLOW; the super user (mTLS) needs no ACL;
// allow.everyone.if.no.acl.found opens only resources nobody has ACLs on. Two brokers sharing a
// Redis: an ACL created through one applies on the other (and its removal too).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { GROUP_TEST_FLAGS, LOCAL_STORE_FLAGS, redisFlags } from '../helpers/groups.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { kcatProduce, runKcat } from '../helpers/kcat.js';
import { listOffset, produce } from '../helpers/raw-requests.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import type { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { AclOperation as Op, PatternType, PermissionType, ResourceType as Res, binding, createAcls, deleteAcls, startSecuredBroker, type SecuredBroker } from '../helpers/acls.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { uniqueTopic } from '../helpers/topics.js';

let certs: TestCerts;
let secured: SecuredBroker;
let admin: RawKafkaConnection;

const batch = (n: number) => encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`r${i}`), headers: [], timestamp: Date.now() })) });

async function topicWith(name: string, records: number, on: RawKafkaConnection = admin): Promise<void> {
  const kafka = kafkaClient(`127.0.0.1:${secured.sslPort}`, superUserSsl());
  const a = kafka.admin();
  await a.connect();
  try {
    await a.createTopics({ topics: [{ topic: name, numPartitions: 1 }] });
  } finally {
    await a.disconnect();
  }
  if (records > 0) expect((await produce(on, name, 0, batch(records))).errorCode).toBe(0);
}

function superUserSsl() {
  return { ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], cert: fs.readFileSync(certs.client.cert, 'utf8'), key: fs.readFileSync(certs.client.key, 'utf8'), servername: 'localhost' } };
}

const endOffset = async (topic: string) => (await listOffset(admin, topic, 0, -1)).offset;

beforeAll(async () => {
  certs = makeTestCerts();
  secured = await startSecuredBroker(certs, [...LOCAL_STORE_FLAGS, ...GROUP_TEST_FLAGS]);
  admin = await secured.admin();
}, 60_000);
afterAll(() => admin?.close());

describe('real clients under ACLs', () => {
  it('kcat: produce without WRITE fails and appends nothing; a PREFIXED WRITE lets it produce', async () => {
    const prefix = uniqueTopic('acl-kcat');
    const topic = `${prefix}.orders`;
    await topicWith(topic, 2);
    const denied = await runKcat(['-P', '-b', secured.broker.bootstrap, '-t', topic, '-p', '0', '-X', 'message.timeout.ms=5000'], { input: 'a\nb\nc\n', timeoutMs: 30_000 });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/authoriz/i);
    expect(await endOffset(topic)).toBe(2n);
    await createAcls(admin, [binding({ resourceName: `${prefix}.`, patternType: PatternType.PREFIXED, operation: Op.WRITE })]);
    await kcatProduce(secured.broker.bootstrap, topic, 'a\nb\nc\n', { partition: 0 });
    expect(await endOffset(topic)).toBe(5n);
  });

  it('KafkaJS: a group member without READ on the group is refused; with READ on group and topic it consumes', async () => {
    const topic = uniqueTopic('acl-consume');
    const group = `${topic}-g`;
    await topicWith(topic, 3);
    await createAcls(admin, [binding({ resourceName: topic, operation: Op.READ })]);
    const kafka = kafkaClient(secured.broker.bootstrap);
    const refused = kafka.consumer({ groupId: group, retry: { retries: 0 } });
    await refused.connect();
    try {
      await refused.subscribe({ topic, fromBeginning: true });
      let crash: Error | undefined;
      refused.on(refused.events.CRASH, (e) => {
        crash = e.payload.error;
      });
      await refused.run({ eachMessage: async () => {} }).catch((err: Error) => (crash = err));
      await waitFor(() => crash, { timeoutMs: 20_000, what: 'the consumer to fail' });
      // KafkaJS reports the refused FindCoordinator (GROUP_AUTHORIZATION_FAILED: no DESCRIBE, which READ would imply) as "failed to find the coordinator".
      expect(crash!.message).toMatch(/coordinator|authoriz/i);
      const denials = await scrapeMetrics(httpPortOf(secured.broker));
      expect(denials.get('strata_authorization_denials_total{api="FindCoordinator"}') ?? 0).toBeGreaterThan(0);
    } finally {
      await refused.disconnect();
    }
    await createAcls(admin, [binding({ resourceType: Res.GROUP, resourceName: group, operation: Op.READ })]);
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await waitFor(() => seen.length >= 3, { timeoutMs: 20_000, what: '3 records' });
      expect(seen).toEqual(['r0', 'r1', 'r2']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('Metadata hides topics without DESCRIBE', async () => {
    const topic = uniqueTopic('acl-hidden');
    await topicWith(topic, 0);
    const a = kafkaClient(secured.broker.bootstrap).admin();
    await a.connect();
    try {
      expect(await a.listTopics()).not.toContain(topic);
      await createAcls(admin, [binding({ resourceName: topic, operation: Op.DESCRIBE })]);
      expect(await a.listTopics()).toContain(topic);
    } finally {
      await a.disconnect();
    }
  });

  it('a DENY beats a matching ALLOW; the super user needs no ACL', async () => {
    const prefix = uniqueTopic('acl-deny');
    await topicWith(`${prefix}.open`, 0);
    await topicWith(`${prefix}.closed`, 0);
    await createAcls(admin, [
      binding({ resourceName: `${prefix}.`, patternType: PatternType.PREFIXED, operation: Op.ALL }),
      binding({ resourceName: `${prefix}.closed`, operation: Op.WRITE, permissionType: PermissionType.DENY, principal: 'User:*' }),
    ]);
    const producer = kafkaClient(secured.broker.bootstrap, { retry: { retries: 0 } }).producer();
    await producer.connect();
    try {
      await producer.send({ topic: `${prefix}.open`, messages: [{ value: 'ok' }] });
      await expect(producer.send({ topic: `${prefix}.closed`, messages: [{ value: 'no' }] })).rejects.toThrow(/authoriz/i);
    } finally {
      await producer.disconnect();
    }
    expect(await endOffset(`${prefix}.open`)).toBe(1n);
    expect(await endOffset(`${prefix}.closed`)).toBe(0n);
    // The super user (mTLS certificate in super.users) writes where no ACL names it, even past the DENY.
    const su = kafkaClient(`127.0.0.1:${secured.sslPort}`, superUserSsl()).producer();
    await su.connect();
    try {
      await su.send({ topic: `${prefix}.closed`, messages: [{ value: 'admin' }] });
    } finally {
      await su.disconnect();
    }
    expect(await endOffset(`${prefix}.closed`)).toBe(1n);
  });
});

describe('allow.everyone.if.no.acl.found', () => {
  it('opens only resources without any ACL', async () => {
    const open = await startSecuredBroker(certs, [...LOCAL_STORE_FLAGS, '--allow.everyone.if.no.acl.found=true']);
    const su = await open.admin();
    const anon = await open.anonymous();
    try {
      const free = uniqueTopic('acl-free');
      const guarded = uniqueTopic('acl-guarded');
      await createAcls(su, [binding({ resourceName: guarded, principal: 'User:bob', operation: Op.WRITE })]);
      expect((await produce(anon, free, 0, batch(1))).errorCode).not.toBe(29); // auto-created or unknown, not refused
      await kcatProduce(open.broker.bootstrap, free, 'x\n');
      const refused = await produce(anon, guarded, 0, batch(1));
      expect(refused.errorCode).toBe(29);
    } finally {
      su.close();
      anon.close();
      await open.broker.stop();
    }
  });
});

describe('two brokers sharing a Redis', () => {
  it('an ACL created through one broker applies on the other, and so does its removal', async () => {
    const shared = redisFlags();
    const a = await startSecuredBroker(certs, shared);
    const b = await startSecuredBroker(certs, shared);
    const suA = await a.admin();
    const suB = await b.admin();
    const anonB = await b.anonymous();
    try {
      const topic = uniqueTopic('acl-shared');
      // Each broker keeps its own topics here (local metadata): create the topic on B.
      const k = kafkaClient(`127.0.0.1:${b.sslPort}`, superUserSsl()).admin();
      await k.connect();
      await k.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await k.disconnect();
      expect((await produce(anonB, topic, 0, batch(1))).errorCode).toBe(29);
      const acl = binding({ resourceName: topic, operation: Op.WRITE });
      await createAcls(suA, [acl]);
      await waitFor(async () => (await produce(anonB, topic, 0, batch(1))).errorCode === 0, { timeoutMs: 5_000, intervalMs: 100, what: 'the ACL to reach broker B' });
      expect(await deleteAcls(suA, [acl])).toBe(1);
      await waitFor(async () => (await produce(anonB, topic, 0, batch(1))).errorCode === 29, { timeoutMs: 5_000, intervalMs: 100, what: 'the removal to reach broker B' });
      const end = (await listOffset(suB, topic, 0, -1)).offset;
      expect(end).toBeGreaterThanOrEqual(1n);
      expect((await produce(anonB, topic, 0, batch(1))).errorCode).toBe(29);
      expect((await listOffset(suB, topic, 0, -1)).offset).toBe(end);
    } finally {
      suA.close();
      suB.close();
      anonB.close();
      await a.broker.stop();
      await b.broker.stop();
    }
  });
});
