// Thread: main. v3 topics, partitions and topic configs: list, get, create (`POST`), delete;
// partitions list and get; configs list, get, `PUT …/configs/{name}`, `DELETE
// …/configs/{name}` (back to the default) and `POST …/configs:alter` — Metadata,
// CreateTopics, DeleteTopics, DescribeConfigs and IncrementalAlterConfigs through the bridge.
import { z } from 'zod';
import type { BrokerContext } from '../../broker-context.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import type { MetadataResponse } from '../../protocol/generated/messages/03-metadata.js';
import type { CreateTopicsResponse } from '../../protocol/generated/messages/19-create-topics.js';
import type { DeleteTopicsResponse } from '../../protocol/generated/messages/20-delete-topics.js';
import type { DescribeConfigsResponse } from '../../protocol/generated/messages/32-describe-configs.js';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/messages/44-incremental-alter-configs.js';
import type { KafkaBridge } from '../kafka-bridge.js';
import { ApiKey, callApi } from './bridge-client.js';
import { readJson } from './http-io.js';
import { restErrorOf } from './kafka-errors.js';
import type { RestLimits } from './rest-limits.js';
import { RestErrors } from './rest-errors.js';
import { route, SEG, type Route, type RouteContext } from './routes.js';
import { parseBody } from './v2-produce.js';
import { clusterOf, CONFIG_SOURCES, list, V3Urls } from './v3-shapes.js';

const TOPIC_RESOURCE = 2;
const NO_UUID = Buffer.alloc(16);
type MetadataTopic = MetadataResponse['topics'][number];
type MetadataPartition = MetadataTopic['partitions'][number];

const createSchema = z.object({
  topic_name: z.string().min(1),
  partitions_count: z.number().int().min(1).optional(),
  replication_factor: z.number().int().min(-1).optional(),
  configs: z.array(z.object({ name: z.string().min(1), value: z.string().nullable() })).optional(),
});
const putConfigSchema = z.object({ value: z.string().nullable() });
const alterSchema = z.object({
  data: z.array(z.object({ name: z.string().min(1), value: z.string().nullable().optional(), operation: z.enum(['SET', 'DELETE', 'set', 'delete']).optional() })).min(1),
});

export function v3TopicRoutes(broker: BrokerContext, bridge: KafkaBridge, limits: RestLimits): Route[] {
  const metadata = async (ctx: RouteContext, topic: string | null): Promise<MetadataResponse> =>
    callApi<MetadataResponse>(
      bridge,
      ApiKey.metadata,
      { topics: topic === null ? null : [{ topicId: NO_UUID, name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
      ctx.caller,
      12,
    );
  const oneTopic = async (ctx: RouteContext, topic: string): Promise<MetadataTopic> => {
    const t = (await metadata(ctx, topic)).topics[0];
    if (t === undefined || t.errorCode !== ErrorCode.NONE) throw restErrorOf(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null, topic);
    return t;
  };
  const topicShape = (u: V3Urls, t: MetadataTopic) => ({
    ...u.resource('KafkaTopic', u.url('topics', t.name!), u.crn(['topic', t.name!])),
    cluster_id: u.clusterId,
    topic_name: t.name,
    is_internal: t.isInternal,
    replication_factor: t.partitions[0]?.replicaNodes.length ?? 0,
    partitions_count: t.partitions.length,
    partitions: u.related('topics', t.name!, 'partitions'),
    configs: u.related('topics', t.name!, 'configs'),
    partition_reassignments: u.related('topics', t.name!, 'partitions', '-', 'reassignment'),
    authorized_operations: [],
  });
  const partitionShape = (u: V3Urls, topic: string, p: MetadataPartition) => ({
    ...u.resource('KafkaPartition', u.url('topics', topic, 'partitions', p.partitionIndex), u.crn(['topic', topic], ['partition', p.partitionIndex])),
    cluster_id: u.clusterId,
    topic_name: topic,
    partition_id: p.partitionIndex,
    leader: u.related('topics', topic, 'partitions', p.partitionIndex, 'replicas', p.leaderId),
    replicas: u.related('topics', topic, 'partitions', p.partitionIndex, 'replicas'),
    reassignment: u.related('topics', topic, 'partitions', p.partitionIndex, 'reassignment'),
  });
  const describeConfigs = async (ctx: RouteContext, topic: string, names: string[] | null) => {
    const res = await callApi<DescribeConfigsResponse>(
      bridge,
      ApiKey.describeConfigs,
      { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: names }], includeSynonyms: true, includeDocumentation: false },
      ctx.caller,
    );
    const r = res.results[0];
    if (r === undefined || r.errorCode !== ErrorCode.NONE) throw restErrorOf(r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, r?.errorMessage ?? null, topic);
    return r.configs;
  };
  const configShape = (u: V3Urls, topic: string, c: DescribeConfigsResponse['results'][number]['configs'][number]) => ({
    ...u.resource('KafkaTopicConfig', u.url('topics', topic, 'configs', c.name), u.crn(['topic', topic], ['config', c.name])),
    cluster_id: u.clusterId,
    topic_name: topic,
    name: c.name,
    value: c.isSensitive ? null : c.value,
    is_default: c.isDefault,
    is_read_only: c.readOnly,
    is_sensitive: c.isSensitive,
    source: CONFIG_SOURCES[c.configSource] ?? 'UNKNOWN',
    synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: CONFIG_SOURCES[s.source] ?? 'UNKNOWN' })),
  });
  const alter = async (ctx: RouteContext, topic: string, configs: Array<{ name: string; op: 0 | 1; value: string | null }>) => {
    await oneTopic(ctx, topic);
    const res = await callApi<IncrementalAlterConfigsResponse>(
      bridge,
      ApiKey.incrementalAlterConfigs,
      { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: configs.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })) }], validateOnly: false },
      ctx.caller,
    );
    const r = res.responses[0];
    if (r === undefined || r.errorCode !== ErrorCode.NONE) throw restErrorOf(r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, r?.errorMessage ?? null, topic);
  };
  const json = async <T>(ctx: RouteContext, schema: z.ZodType<T>) => parseBody(schema, await readJson(ctx.req, limits.maxRequestBytes));
  const urls = (ctx: RouteContext) => new V3Urls(ctx.req, clusterOf(broker, ctx.params[0]!));
  const T = `/v3/clusters/${SEG}/topics`;

  return [
    route('GET', T, 'v3', async (ctx) => {
      const u = urls(ctx);
      const topics = (await metadata(ctx, null)).topics.filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null).sort((a, b) => a.name!.localeCompare(b.name!));
      return { status: 200, body: list('KafkaTopicList', u.url('topics'), topics.map((t) => topicShape(u, t))) };
    }),
    route('POST', T, 'v3', async (ctx) => {
      const u = urls(ctx);
      const b = await json(ctx, createSchema);
      const res = await callApi<CreateTopicsResponse>(
        bridge,
        ApiKey.createTopics,
        {
          topics: [{ name: b.topic_name, numPartitions: b.partitions_count ?? -1, replicationFactor: b.replication_factor ?? -1, assignments: [], configs: b.configs ?? [] }],
          timeoutMs: 30_000,
          validateOnly: false,
        },
        ctx.caller,
      );
      const r = res.topics[0];
      if (r === undefined || r.errorCode !== ErrorCode.NONE) throw restErrorOf(r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, r?.errorMessage ?? null, b.topic_name);
      return { status: 201, body: topicShape(u, await oneTopic(ctx, b.topic_name)) };
    }),
    route('GET', `${T}/${SEG}`, 'v3', async (ctx) => ({ status: 200, body: topicShape(urls(ctx), await oneTopic(ctx, ctx.params[1]!)) })),
    route('DELETE', `${T}/${SEG}`, 'v3', async (ctx) => {
      clusterOf(broker, ctx.params[0]!);
      const topic = ctx.params[1]!;
      const res = await callApi<DeleteTopicsResponse>(bridge, ApiKey.deleteTopics, { topics: [{ name: topic, topicId: NO_UUID }], topicNames: [], timeoutMs: 30_000 }, ctx.caller, 6);
      const r = res.responses[0];
      if (r === undefined || r.errorCode !== ErrorCode.NONE) throw restErrorOf(r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, r?.errorMessage ?? null, topic);
      return { status: 204 };
    }),
    route('GET', `${T}/${SEG}/partitions`, 'v3', async (ctx) => {
      const u = urls(ctx);
      const t = await oneTopic(ctx, ctx.params[1]!);
      const ps = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
      return { status: 200, body: list('KafkaPartitionList', u.url('topics', t.name!, 'partitions'), ps.map((p) => partitionShape(u, t.name!, p))) };
    }),
    route('GET', `${T}/${SEG}/partitions/(-?\\d+)`, 'v3', async (ctx) => {
      const u = urls(ctx);
      const t = await oneTopic(ctx, ctx.params[1]!);
      const p = t.partitions.find((x) => x.partitionIndex === Number(ctx.params[2]));
      if (p === undefined) throw RestErrors.partitionNotFound(t.name!, Number(ctx.params[2]));
      return { status: 200, body: partitionShape(u, t.name!, p) };
    }),
    route('GET', `${T}/${SEG}/configs`, 'v3', async (ctx) => {
      const u = urls(ctx);
      const topic = ctx.params[1]!;
      const configs = (await describeConfigs(ctx, topic, null)).sort((a, b) => a.name.localeCompare(b.name));
      return { status: 200, body: list('KafkaTopicConfigList', u.url('topics', topic, 'configs'), configs.map((c) => configShape(u, topic, c))) };
    }),
    route('GET', `${T}/${SEG}/configs/${SEG}`, 'v3', async (ctx) => {
      const u = urls(ctx);
      const [, topic, name] = ctx.params as [string, string, string];
      const c = (await describeConfigs(ctx, topic, [name])).find((x) => x.name === name);
      if (c === undefined) throw RestErrors.configNotFound(name);
      return { status: 200, body: configShape(u, topic, c) };
    }),
    route('PUT', `${T}/${SEG}/configs/${SEG}`, 'v3', async (ctx) => {
      urls(ctx);
      const b = await json(ctx, putConfigSchema);
      await alter(ctx, ctx.params[1]!, [{ name: ctx.params[2]!, op: 0, value: b.value }]);
      return { status: 204 };
    }),
    route('DELETE', `${T}/${SEG}/configs/${SEG}`, 'v3', async (ctx) => {
      urls(ctx);
      await alter(ctx, ctx.params[1]!, [{ name: ctx.params[2]!, op: 1, value: null }]);
      return { status: 204 };
    }),
    route('POST', `${T}/${SEG}/configs:alter`, 'v3', async (ctx) => {
      urls(ctx);
      const b = await json(ctx, alterSchema);
      await alter(
        ctx,
        ctx.params[1]!,
        b.data.map((c) => ({ name: c.name, op: (c.operation ?? 'SET').toUpperCase() === 'DELETE' ? 1 : 0, value: c.value ?? null })),
      );
      return { status: 204 };
    }),
  ];
}
