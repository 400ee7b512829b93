// Integration: user quotas follow the authenticated principal. A broker with a SASL_PLAINTEXT
// listener and users alice and bob (written with `strata users create --data-dir` before it
// starts); raw clients log in with PLAIN and produce under the same client id. A quota on
// `user=alice` throttles alice and not bob; the `<default>` user quota then reaches bob (and
// alice keeps her own, more specific one); alice with a client id that has its own
// `user=alice,client-id=vip` quota is metered on that one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alterClientQuotasApi, decodeAlterClientQuotasResponse, decodeProduceResponse, encodeAlterClientQuotasRequest, encodeProduceRequest } from '../../src/protocol/generated/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { produceRequestBody } from '../helpers/raw-requests.js';
import { plainLogin } from '../helpers/sasl.js';
import { listenerPort } from '../helpers/security.js';
import { strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let saslPort: number;
let topic: string;

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-quota-users-'));
  await strataOk(['users', 'create', 'alice', '--password', 'alice-secret', '--data-dir', dataDir]);
  await strataOk(['users', 'create', 'bob', '--password', 'bob-secret', '--data-dir', dataDir]);
  broker = await startBroker({
    dataDir,
    args: ['--redis.url=', '--listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', '--quota.window.num=2', '--quota.max.throttle.ms=200'],
  });
  saslPort = listenerPort(broker, 'SASL_PLAINTEXT');
  topic = uniqueTopic('quota-users');
  await createTopicOn(broker.bootstrap, topic, 1);
}, 90_000);

afterAll(async () => {
  await broker?.stop();
});

async function setQuota(entity: Array<[string, string | null]>, value: number) {
  const c = await RawKafkaConnection.connect(broker.host, broker.port);
  try {
    const res = await c.request(alterClientQuotasApi.apiKey, 1, encodeAlterClientQuotasRequest, decodeAlterClientQuotasResponse, {
      validateOnly: false,
      entries: [{ entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })), ops: [{ key: 'producer_byte_rate', value, remove: false }] }],
    });
    expect(res.entries[0]!.errorCode).toBe(0);
  } finally {
    c.close();
  }
}

/** Logs in as `user` over SASL_PLAINTEXT and produces 16 KiB under `clientId`; the answer's throttle_time_ms. */
async function produceAs(user: string, clientId: string): Promise<number> {
  const c = await RawKafkaConnection.connect('127.0.0.1', saslPort);
  try {
    expect((await plainLogin(c, user, `${user}-secret`)).errorCode).toBe(0);
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(16 * 1024, 3) }] });
    const { payload, correlationId } = c.buildRequest(0, 9, encodeProduceRequest, produceRequestBody(topic, 0, records), { clientId });
    c.writeFrame(payload);
    const res = decodeProduceResponse(await c.readResponse(0, 9, correlationId, 10_000), 9);
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    return res.throttleTimeMs;
  } finally {
    c.close();
  }
}

describe('user quotas', () => {
  it('follow the SASL principal: alice throttled, bob not, then the default user reaches bob', async () => {
    expect(await produceAs('alice', 'app')).toBe(0);
    await setQuota([['user', 'alice']], 1024);
    expect(await produceAs('alice', 'app')).toBeGreaterThan(0);
    expect(await produceAs('bob', 'app')).toBe(0);
    expect(await produceAs('bob', 'app')).toBe(0);

    await setQuota([['user', null]], 1024);
    expect(await produceAs('bob', 'app')).toBeGreaterThan(0);

    // alice with client id vip: /users/alice/clients/vip is more specific than /users/alice
    await setQuota([['user', 'alice'], ['client-id', 'vip']], 1_000_000_000);
    expect(await produceAs('alice', 'vip')).toBe(0);
    expect(await produceAs('alice', 'app')).toBeGreaterThan(0);
  });
});
