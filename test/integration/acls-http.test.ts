// Integration: the HTTP front under ACLs. REST proxy and console calls reach the Kafka handlers
// through the KafkaBridge with the HTTP caller's principal (User:ANONYMOUS without basic auth),
// so they are authorised like Kafka clients: the REST topic list hides topics without DESCRIBE,
// REST produce is refused (per-record TOPIC_AUTHORIZATION_FAILED) and appends nothing until WRITE is
// granted, a v3 topic call answers 403, and
// the console's mutating routes answer 403 to a read-only principal before Kafka is called, and
// work once it may create topics.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts } from '../helpers/certs.js';
import { LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import { listOffset } from '../helpers/raw-requests.js';
import { JSON_V2, rest, restBase } from '../helpers/rest.js';
import type { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { AclOperation as Op, ResourceType as Res, binding, createAcls, startSecuredBroker, type SecuredBroker } from '../helpers/acls.js';
import { uniqueTopic } from '../helpers/topics.js';
import { createTopicsApi, decodeCreateTopicsResponse, encodeCreateTopicsRequest } from '../../src/protocol/generated/messages/index.js';

let secured: SecuredBroker;
let admin: RawKafkaConnection;
let base: string;

beforeAll(async () => {
  secured = await startSecuredBroker(makeTestCerts(), LOCAL_STORE_FLAGS);
  admin = await secured.admin();
  base = restBase(secured.broker);
}, 60_000);

async function createTopic(name: string): Promise<void> {
  const res = await admin.request(createTopicsApi.apiKey, 5, encodeCreateTopicsRequest, decodeCreateTopicsResponse, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(res.topics[0]!.errorCode).toBe(0);
}

describe('REST proxy under ACLs', () => {
  it('lists only topics the caller may DESCRIBE', async () => {
    const topic = uniqueTopic('acl-rest-list');
    await createTopic(topic);
    const clusterId = (await rest(base, 'GET', '/v3/clusters')).body.data[0].cluster_id as string;
    const names = async () => {
      const res = await rest(base, 'GET', `/v3/clusters/${clusterId}/topics`);
      expect(res.status, res.text).toBe(200);
      return (res.body.data as Array<{ topic_name: string }>).map((t) => t.topic_name);
    };
    expect(await names()).not.toContain(topic);
    await createAcls(admin, [binding({ resourceName: topic, operation: Op.DESCRIBE })]);
    expect(await names()).toContain(topic);
  });

  it('refuses produce without WRITE (the record answers TOPIC_AUTHORIZATION_FAILED, nothing appended) and produces with it', async () => {
    const topic = uniqueTopic('acl-rest-produce');
    await createTopic(topic);
    const body = { records: [{ value: { n: 1 } }] };
    const denied = await rest(base, 'POST', `/topics/${topic}`, body, JSON_V2);
    // Confluent's v2 shape: 200 with a per-record error (error_code 1: not retriable).
    expect([denied.status, denied.body.offsets[0].error_code, denied.body.offsets[0].offset], denied.text).toEqual([200, 1, null]);
    expect(denied.body.offsets[0].error).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    // v3 answers 403 (its error_code is the HTTP status, as Confluent's v3).
    const clusterId = (await rest(base, 'GET', '/v3/clusters')).body.data[0].cluster_id as string;
    const described = await rest(base, 'GET', `/v3/clusters/${clusterId}/topics/${topic}/configs`);
    expect([described.status, described.body.error_code], described.text).toEqual([403, 403]);
    expect((await listOffset(admin, topic, 0, -1)).offset).toBe(0n);
    await createAcls(admin, [binding({ resourceName: topic, operation: Op.WRITE })]);
    const allowed = await rest(base, 'POST', `/topics/${topic}`, body, JSON_V2);
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.body.offsets[0].error_code).toBeNull();
    expect((await listOffset(admin, topic, 0, -1)).offset).toBe(1n);
  });
});

describe('console under ACLs', () => {
  it('a read-only principal gets 403 on mutating routes; CREATE on the cluster lets it create topics', async () => {
    const topic = uniqueTopic('acl-console');
    const refused = await rest(base, 'POST', '/console/api/topics', { name: topic, partitions: 1 }, 'application/json');
    expect(refused.status, refused.text).toBe(403);
    await createAcls(admin, [binding({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', operation: Op.CREATE })]);
    const created = await rest(base, 'POST', '/console/api/topics', { name: topic, partitions: 1 }, 'application/json');
    expect(created.status, created.text).toBeLessThan(300);
    // DELETE reaches DeleteTopics through the bridge, which needs DELETE on the topic: 403 too.
    const del = await rest(base, 'DELETE', `/console/api/topics/${topic}`);
    expect(del.status, del.text).toBe(403);
    expect((await listOffset(admin, topic, 0, -1)).errorCode).toBe(0);
  });
});
