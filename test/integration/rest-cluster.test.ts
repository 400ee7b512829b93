// Integration: the REST proxy in a two-broker cluster with partition leadership (one Redis
// prefix). Records POSTed to one broker for partitions the other leads are forwarded to the
// leader's REST proxy: v2 keyed produce, v3 records and NDJSON all answer offsets for every
// partition, and kcat (through the leaders) reads every record back where murmur2 put it.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { clusterArgs, leaders } from '../helpers/cluster.js';
import { uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { kcatConsumeJson } from '../helpers/kcat.js';
import { b64, BINARY_V2, rest, restBase } from '../helpers/rest.js';
import { uniqueTopic } from '../helpers/topics.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

const prefix = uniqueRedisPrefix();
const brokers: BrokerHandle[] = [];

beforeAll(async () => {
  brokers.push(await startBroker({ args: clusterArgs(prefix, 1) }));
  brokers.push(await startBroker({ args: clusterArgs(prefix, 2) }));
});

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
});

describe('REST produce in a cluster', () => {
  it('forwards the partitions another broker leads to its REST proxy: v2, v3 and NDJSON', async () => {
    const topic = uniqueTopic('fwd');
    await createTopicOn(brokers[0]!.bootstrap, topic, 4);
    const led = await waitFor(
      async () => {
        const views = await Promise.all(brokers.map((b) => leaders(b, topic)));
        const same = JSON.stringify(views[0]!.leaders) === JSON.stringify(views[1]!.leaders);
        return same && views[0]!.leaders.length === 4 && new Set(views[0]!.leaders).size === 2 && !views[0]!.leaders.includes(-1) ? views[0]!.leaders : undefined;
      },
      { timeoutMs: 20_000, what: 'both brokers to lead partitions of the topic' },
    );
    const base = restBase(brokers[0]!);
    // Both brokers' REST proxies know their partitions: wait until broker 1 serves its own.
    const keys = Array.from({ length: 40 }, (_, i) => Buffer.from(`key-${i}`));
    const v2 = await waitFor(async () => {
      const res = await rest(base, 'POST', `/topics/${topic}`, { records: keys.map((k, i) => ({ key: b64(k), value: b64(`v${i}`) })) }, BINARY_V2);
      return res.status === 200 && res.body.offsets.every((o: { error_code: null | number }) => o.error_code === null) ? res.body : undefined;
    }, { timeoutMs: 20_000, what: 'a v2 produce with every partition answered' });
    keys.forEach((k, i) => expect(v2.offsets[i].partition).toBe((kafkajsMurmur2(k) & 0x7fffffff) % 4));
    const remote = led.map((leader, p) => (leader === 1 ? -1 : p)).filter((p) => p >= 0);
    expect(remote.length).toBeGreaterThan(0);

    const clusterId = (await rest(base, 'GET', '/v3/clusters')).body.data[0].cluster_id;
    const v3 = await rest(base, 'POST', `/v3/clusters/${clusterId}/topics/${topic}/records`, { partition_id: remote[0], value: { type: 'STRING', data: 'through v3' } }, 'application/json');
    expect(v3.status, v3.text).toBe(200);
    expect(v3.body.partition_id).toBe(remote[0]);
    const nd = await rest(base, 'POST', `/topics/${topic}/ndjson`, remote.map((p) => JSON.stringify({ value: `nd-${p}`, partition: p })).join('\n'), 'application/x-ndjson');
    expect(nd.status, nd.text).toBe(200);
    expect(nd.body.failed).toBe(0);

    const records = await kcatConsumeJson(brokers[1]!.bootstrap, topic);
    expect(records).toHaveLength(40 + 1 + remote.length);
    for (const r of records.filter((x) => x.key !== null)) expect(r.partition).toBe((kafkajsMurmur2(Buffer.from(r.key!)) & 0x7fffffff) % 4);
    expect(records.find((r) => r.payload === 'through v3')!.partition).toBe(remote[0]);
    for (const p of remote) expect(records.find((r) => r.payload === `nd-${p}`)!.partition).toBe(p);
    // Only broker 1's REST proxy was called: broker 2 appended the records of the partitions it leads.
    const onRemote = records.filter((r) => remote.includes(r.partition)).length;
    const metrics2 = await scrapeMetrics(httpPortOf(brokers[1]!));
    expect(metrics2.get(`strata_topic_records_in_total{topic="${topic}"}`)).toBe(onRemote);
  });
});
