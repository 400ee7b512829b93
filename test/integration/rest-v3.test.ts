// Integration: the v3 REST API on a real broker — clusters and brokers, topics CRUD with
// partitions and configs (PUT, DELETE, configs:alter; KafkaJS's admin sees the changes),
// records (single: STRING/JSON/BINARY keys and values and headers, read back by kcat
// byte-exact; streamed: a chunked request whose answers arrive before the request ends),
// consumer groups with consumers, lags and lag summary, and v3 error bodies.
import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS } from '../helpers/groups.js';
import { ConfigResourceTypes, createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeFormat, kcatMetadata } from '../helpers/kcat.js';
import { b64, BINARY_V2, rest, restBase } from '../helpers/rest.js';
import { uniqueTopic } from '../helpers/topics.js';

const JSON_CT = 'application/json';
let broker: BrokerHandle;
let base: string;
let clusterId: string;

beforeAll(async () => {
  broker = await startBroker({ args: [...GROUP_TEST_FLAGS] });
  base = restBase(broker);
  const res = await rest(base, 'GET', '/v3/clusters');
  expect(res.status).toBe(200);
  clusterId = res.body.data[0].cluster_id;
});

describe('v3 clusters and brokers', () => {
  it('lists the cluster and its broker in v3 shapes; an unknown cluster is a v3 404', async () => {
    const all = await rest(base, 'GET', '/v3/clusters');
    expect(all.body).toMatchObject({ kind: 'KafkaClusterList', metadata: { self: `${base}/v3/clusters`, next: null } });
    expect(all.body.data).toHaveLength(1);
    const c = await rest(base, 'GET', `/v3/clusters/${clusterId}`);
    expect(c.body).toMatchObject({
      kind: 'KafkaCluster',
      metadata: { self: `${base}/v3/clusters/${clusterId}`, resource_name: `crn:///kafka=${clusterId}` },
      cluster_id: clusterId,
      controller: { related: `${base}/v3/clusters/${clusterId}/brokers/1` },
      topics: { related: `${base}/v3/clusters/${clusterId}/topics` },
    });
    const brokers = await rest(base, 'GET', `/v3/clusters/${clusterId}/brokers`);
    expect(brokers.body.kind).toBe('KafkaBrokerList');
    expect(brokers.body.data).toEqual([expect.objectContaining({ kind: 'KafkaBroker', broker_id: 1, host: '127.0.0.1', port: broker.port })]);
    expect((await rest(base, 'GET', `/v3/clusters/${clusterId}/brokers/1`)).body.broker_id).toBe(1);
    const unknown = await rest(base, 'GET', '/v3/clusters/nope/topics');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error_code: 404, message: 'Cluster nope not found.' });
    expect((await rest(base, 'GET', '/v3/nothing')).body.error_code).toBe(404);
  });
});

describe('v3 topics', () => {
  it('create, get, list, partitions, configs (get, PUT, DELETE, configs:alter) and delete', async () => {
    const topic = uniqueTopic('crud');
    const T = `/v3/clusters/${clusterId}/topics`;
    const created = await rest(base, 'POST', T, { topic_name: topic, partitions_count: 3, configs: [{ name: 'retention.ms', value: '3600000' }] }, JSON_CT);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ kind: 'KafkaTopic', topic_name: topic, partitions_count: 3, replication_factor: 1, is_internal: false, cluster_id: clusterId });
    expect((await kcatMetadata(broker.bootstrap, topic)).topics[0]!.partitions).toHaveLength(3);
    const again = await rest(base, 'POST', T, { topic_name: topic, partitions_count: 1 }, JSON_CT);
    expect(again.status).toBe(409);
    expect(again.body.error_code).toBe(409);
    const bad = await rest(base, 'POST', T, { topic_name: uniqueTopic('bad'), partitions_count: 0 }, JSON_CT);
    expect(bad.status).toBe(422);

    expect((await rest(base, 'GET', `${T}/${topic}`)).body.partitions_count).toBe(3);
    expect((await rest(base, 'GET', T)).body.data.map((t: { topic_name: string }) => t.topic_name)).toContain(topic);
    const parts = await rest(base, 'GET', `${T}/${topic}/partitions`);
    expect(parts.body.kind).toBe('KafkaPartitionList');
    expect(parts.body.data.map((p: { partition_id: number }) => p.partition_id)).toEqual([0, 1, 2]);
    expect((await rest(base, 'GET', `${T}/${topic}/partitions/2`)).body).toMatchObject({ kind: 'KafkaPartition', partition_id: 2, topic_name: topic });
    expect((await rest(base, 'GET', `${T}/${topic}/partitions/3`)).status).toBe(404);

    const retention = await rest(base, 'GET', `${T}/${topic}/configs/retention.ms`);
    expect(retention.body).toMatchObject({ kind: 'KafkaTopicConfig', name: 'retention.ms', value: '3600000', is_default: false, source: 'DYNAMIC_TOPIC_CONFIG' });
    const configs = await rest(base, 'GET', `${T}/${topic}/configs`);
    expect(configs.body.data.find((c: { name: string }) => c.name === 'cleanup.policy')).toMatchObject({ value: 'delete', is_default: true });

    expect((await rest(base, 'PUT', `${T}/${topic}/configs/retention.ms`, { value: '1000' }, JSON_CT)).status).toBe(204);
    expect((await rest(base, 'GET', `${T}/${topic}/configs/retention.ms`)).body.value).toBe('1000');
    const alter = await rest(base, 'POST', `${T}/${topic}/configs:alter`, { data: [{ name: 'segment.ms', value: '60000' }, { name: 'retention.ms', operation: 'DELETE' }] }, JSON_CT);
    expect(alter.status, alter.text).toBe(204);
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['segment.ms', 'retention.ms'] }], includeSynonyms: false });
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries.get('segment.ms')!.configValue).toBe('60000');
      expect(entries.get('retention.ms')!.isDefault).toBe(true);
    } finally {
      await admin.disconnect();
    }
    expect((await rest(base, 'PUT', `${T}/${topic}/configs/no.such.config`, { value: '1' }, JSON_CT)).status).toBe(400);

    expect((await rest(base, 'DELETE', `${T}/${topic}`)).status).toBe(204);
    const gone = await rest(base, 'GET', `${T}/${topic}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe(404);
    expect((await rest(base, 'DELETE', `${T}/${topic}`)).status).toBe(404);
  });
});

async function partitionBytes(topic: string, partition: number): Promise<string> {
  return (await kcatConsumeFormat(broker.bootstrap, topic, '%o|%k|%s|%h\n', { partition })).stdout;
}

describe('v3 records', () => {
  it('one record per request: STRING, JSON and BINARY keys and values, headers, partition_id', async () => {
    const topic = uniqueTopic('rec');
    await createTopicOn(broker.bootstrap, topic, 2);
    const R = `/v3/clusters/${clusterId}/topics/${topic}/records`;
    const first = await rest(base, 'POST', R, { partition_id: 1, key: { type: 'STRING', data: 'k1' }, value: { type: 'JSON', data: { a: [1, 'x'] } }, headers: [{ name: 'trace', value: b64('t1') }] }, JSON_CT);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ error_code: 200, cluster_id: clusterId, topic_name: topic, partition_id: 1, offset: 0, key: { type: 'STRING', size: 2 }, value: { type: 'JSON', size: 13 } });
    expect(Date.parse(first.body.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    const second = await rest(base, 'POST', R, { partition_id: 1, key: { type: 'BINARY', data: b64('kb') }, value: { type: 'STRING', data: 'plain text' } }, JSON_CT);
    expect(second.body).toMatchObject({ partition_id: 1, offset: 1 });
    const third = await rest(base, 'POST', R, { partition_id: 1, value: { type: 'BINARY', data: b64('v3') } }, JSON_CT);
    expect(third.body).toMatchObject({ offset: 2, key: null });
    expect(await partitionBytes(topic, 1)).toBe('0|k1|{"a":[1,"x"]}|trace=t1\n1|kb|plain text|\n2||v3|\n');

    const badType = await rest(base, 'POST', R, { value: { type: 'XML', data: '<a/>' } }, JSON_CT);
    expect(badType.status).toBe(422);
    expect(badType.body.error_code).toBe(422);
    const badPartition = await rest(base, 'POST', R, { partition_id: 9, value: { type: 'STRING', data: 'x' } }, JSON_CT);
    expect(badPartition.status).toBe(404);
    const noTopic = await rest(base, 'POST', `/v3/clusters/${clusterId}/topics/${uniqueTopic('none')}/records`, { value: { type: 'STRING', data: 'x' } }, JSON_CT);
    expect(noTopic.status).toBe(404);
    expect(noTopic.body.error_code).toBe(404);
    const schemaOnly = await rest(base, 'POST', R, { value: { schema_id: 1, data: 'x' } }, JSON_CT);
    expect(schemaOnly.status).toBe(408);
  });

  it('streamed: answers come back while the chunked request is still open, one per record, in order', async () => {
    const topic = uniqueTopic('stream');
    await createTopicOn(broker.bootstrap, topic, 1);
    const url = new URL(`${base}/v3/clusters/${clusterId}/topics/${topic}/records`);
    const lines: string[] = [];
    let notify: () => void = () => undefined;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    const status = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          const parts = buf.split('\n');
          buf = parts.pop()!;
          lines.push(...parts.filter((l) => l !== ''));
          notify();
        });
      });
      req.on('error', reject);
    });
    const until = (n: number) => waitFor(() => lines.length >= n, { what: `${n} streamed answers` });
    const rec = (i: number) => JSON.stringify({ value: { type: 'STRING', data: `s${i}` } });
    // Two records in the first chunk, split mid-object into the next one.
    req.write(rec(0) + rec(1).slice(0, 5));
    req.write(rec(1).slice(5) + '\n');
    expect(await status).toBe(200);
    await until(2);
    for (let i = 2; i < 6; i++) {
      req.write(rec(i) + '\n');
      await until(i + 1); // each answer arrives before the next record is sent
    }
    req.write('{"value": {"type": "STRING", "data": 7}}\n');
    await until(7);
    req.end(rec(7));
    await until(8);
    const answers = lines.map((l) => JSON.parse(l));
    expect(answers.map((a) => a.error_code)).toEqual([200, 200, 200, 200, 200, 200, 422, 200]);
    expect(answers.filter((a) => a.error_code === 200).map((a) => a.offset)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await partitionBytes(topic, 0)).toBe(['s0', 's1', 's2', 's3', 's4', 's5', 's7'].map((v, i) => `${i}||${v}|\n`).join(''));
  });
});

describe('v3 consumer groups', () => {
  it('lists groups, their consumers, lags and lag summary', async () => {
    const topic = uniqueTopic('lag');
    await createTopicOn(broker.bootstrap, topic, 2);
    for (const p of [0, 1]) await rest(base, 'POST', `/topics/${topic}/partitions/${p}`, { records: Array.from({ length: 5 }, (_, i) => ({ value: b64(`v${i}`) })) }, BINARY_V2);
    const group = `g-${topic}`;
    const created = await rest(base, 'POST', `/consumers/${group}`, { name: 'c1', format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': false });
    const instance = `/consumers/${group}/instances/c1`;
    expect(created.status).toBe(200);
    await rest(base, 'POST', `${instance}/subscription`, { topics: [topic] });
    await waitFor(async () => (await rest(base, 'GET', `${instance}/records?timeout=100`)).status === 200 && (await rest(base, 'GET', `${instance}/assignments`)).body.partitions.length === 2, { what: 'the instance to hold both partitions' });
    expect((await rest(base, 'POST', `${instance}/offsets`, { offsets: [{ topic, partition: 0, offset: 2 }, { topic, partition: 1, offset: 5 }] })).status).toBe(200);

    const G = `/v3/clusters/${clusterId}/consumer-groups`;
    const groups = await rest(base, 'GET', G);
    expect(groups.body.kind).toBe('KafkaConsumerGroupList');
    expect(groups.body.data.find((g: { consumer_group_id: string }) => g.consumer_group_id === group)).toMatchObject({ kind: 'KafkaConsumerGroup', state: 'STABLE', is_simple: false });
    const consumersList = await rest(base, 'GET', `${G}/${group}/consumers`);
    expect(consumersList.body.data).toEqual([expect.objectContaining({ kind: 'KafkaConsumer', consumer_group_id: group, client_id: 'rest-c1' })]);
    const memberId = consumersList.body.data[0].consumer_id;
    const lags = await rest(base, 'GET', `${G}/${group}/lags`);
    expect(lags.body.data.map((l: Record<string, unknown>) => [l.topic_name, l.partition_id, l.current_offset, l.log_end_offset, l.lag, l.consumer_id])).toEqual([
      [topic, 0, 2, 5, 3, memberId],
      [topic, 1, 5, 5, 0, memberId],
    ]);
    const summary = await rest(base, 'GET', `${G}/${group}/lag-summary`);
    expect(summary.body).toMatchObject({ kind: 'KafkaConsumerGroupLagSummary', max_lag: 3, total_lag: 3, max_lag_topic_name: topic, max_lag_partition_id: 0, max_lag_consumer_id: memberId });

    await rest(base, 'DELETE', instance);
    expect((await rest(base, 'GET', `${G}/${group}`)).body.state).toBe('EMPTY');
    const missing = await rest(base, 'GET', `${G}/no-such-group-${topic}`);
    expect(missing.status).toBe(404);
  });
});
