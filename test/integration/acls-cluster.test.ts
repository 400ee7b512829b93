// Integration: ACLs in a two-broker cluster (one Redis prefix: ACLs, users and topics shared)
// with HTTP basic auth. A REST produce as alice to broker 1 covers partitions broker 2 leads:
// those records are forwarded with alice's credentials, so broker 2 authenticates her and
// applies her ACL (WRITE on the topic) — every record is answered with an offset; bob, without
// the ACL, gets TOPIC_AUTHORIZATION_FAILED on every record and nothing is forwarded or appended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { clusterArgs, leaders } from '../helpers/cluster.js';
import { redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { b64, BINARY_V2, rest, restBase } from '../helpers/rest.js';
import { strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

const prefix = uniqueRedisPrefix();
const brokers: BrokerHandle[] = [];
const ALICE = { user: 'alice', password: 'alice-secret' };
const BOB = { user: 'bob', password: 'bob-secret' };
const basic = (u: { user: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${u.user}:${u.password}`).toString('base64')}` });

beforeAll(async () => {
  for (const u of [ALICE, BOB]) await strataOk(['users', 'create', u.user, '--password', u.password, '--redis-url', redisUrl(), '--redis-key-prefix', prefix]);
  const security = ['--authorizer.class.name=strata', '--super.users=User:ANONYMOUS', '--http.authentication.enable=true'];
  brokers.push(await startBroker({ args: [...clusterArgs(prefix, 1), ...security] }));
  brokers.push(await startBroker({ args: [...clusterArgs(prefix, 2), ...security] }));
}, 90_000);

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
});

describe('ACLs in a cluster', () => {
  it('forwarded REST records are authorised on the leader as the same user', async () => {
    const topic = uniqueTopic('acl-fwd');
    await createTopicOn(brokers[0]!.bootstrap, topic, 4);
    await waitFor(
      async () => {
        const views = await Promise.all(brokers.map((b) => leaders(b, topic)));
        return JSON.stringify(views[0]!.leaders) === JSON.stringify(views[1]!.leaders) && new Set(views[0]!.leaders).size === 2 && !views[0]!.leaders.includes(-1);
      },
      { timeoutMs: 20_000, what: 'both brokers to lead partitions of the topic' },
    );
    await strataOk(['acls', 'add', '--allow', 'User:alice', '--operation', 'WRITE', '--operation', 'DESCRIBE', '--topic', topic, '--bootstrap-server', brokers[0]!.bootstrap]);
    const base = restBase(brokers[0]!);
    const records = { records: Array.from({ length: 40 }, (_, i) => ({ key: b64(`key-${i}`), value: b64(`v${i}`) })) };
    const asBob = await rest(base, 'POST', `/topics/${topic}`, records, BINARY_V2, basic(BOB));
    expect(asBob.status, asBob.text).toBe(200);
    expect(new Set(asBob.body.offsets.map((o: { error: string }) => /TOPIC_AUTHORIZATION_FAILED/.test(o.error)))).toEqual(new Set([true]));
    const asAlice = await waitFor(async () => {
      const res = await rest(base, 'POST', `/topics/${topic}`, records, BINARY_V2, basic(ALICE));
      return res.status === 200 && res.body.offsets.every((o: { error_code: null | number }) => o.error_code === null) ? res.body : undefined;
    }, { timeoutMs: 20_000, what: 'a REST produce as alice with every partition answered' });
    expect(new Set(asAlice.offsets.map((o: { partition: number }) => o.partition)).size).toBe(4);
  });
});
