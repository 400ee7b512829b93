// Thread: main. v3 consumer groups: list, get, consumers, lags and lag summary — ListGroups,
// DescribeGroups, OffsetFetch and ListOffsets (latest) through the bridge. Lag per partition is
// log end offset − committed offset, for every partition the group has committed.
import type { BrokerContext } from '../../broker-context.js';
import { decodeConsumerAssignment } from '../../cli/client/kafka-client.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import type { DescribeGroupsResponse } from '../../protocol/generated/messages/15-describe-groups.js';
import type { ListGroupsResponse } from '../../protocol/generated/messages/16-list-groups.js';
import type { KafkaBridge } from '../kafka-bridge.js';
import { ApiKey, callApi, fetchCommitted, LATEST_TIMESTAMP, listOffsets, tpKey } from './bridge-client.js';
import { restErrorOf } from './kafka-errors.js';
import { RestErrors } from './rest-errors.js';
import { route, SEG, type Route, type RouteContext } from './routes.js';
import { clusterOf, list, V3Urls } from './v3-shapes.js';

type DescribedGroup = DescribeGroupsResponse['groups'][number];

/** Kafka's `PreparingRebalance` → v3's `PREPARING_REBALANCE`. */
export function v3GroupState(state: string): string {
  return state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() || 'UNKNOWN';
}

export function v3GroupRoutes(broker: BrokerContext, bridge: KafkaBridge): Route[] {
  const describe = async (ctx: RouteContext, groups: string[]): Promise<DescribedGroup[]> =>
    groups.length === 0 ? [] : (await callApi<DescribeGroupsResponse>(bridge, ApiKey.describeGroups, { groups, includeAuthorizedOperations: false }, ctx.caller)).groups;
  const oneGroup = async (ctx: RouteContext, group: string): Promise<DescribedGroup> => {
    const g = (await describe(ctx, [group]))[0];
    if (g === undefined || g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND || (g.errorCode === ErrorCode.NONE && g.groupState === 'Dead')) throw RestErrors.groupNotFound(group);
    if (g.errorCode !== ErrorCode.NONE) throw restErrorOf(g.errorCode, null);
    return g;
  };
  const groupShape = (u: V3Urls, g: DescribedGroup) => ({
    ...u.resource('KafkaConsumerGroup', u.url('consumer-groups', g.groupId), u.crn(['consumer-group', g.groupId])),
    cluster_id: u.clusterId,
    consumer_group_id: g.groupId,
    is_simple: g.protocolType === '',
    partition_assignor: g.protocolData,
    state: v3GroupState(g.groupState),
    coordinator: u.related('brokers', broker.nodeId),
    consumers: u.related('consumer-groups', g.groupId, 'consumers'),
    lag_summary: u.related('consumer-groups', g.groupId, 'lag-summary'),
  });
  const consumerShape = (u: V3Urls, g: DescribedGroup, m: DescribedGroup['members'][number]) => ({
    ...u.resource('KafkaConsumer', u.url('consumer-groups', g.groupId, 'consumers', m.memberId), u.crn(['consumer-group', g.groupId], ['consumer', m.memberId])),
    cluster_id: u.clusterId,
    consumer_group_id: g.groupId,
    consumer_id: m.memberId,
    instance_id: m.groupInstanceId,
    client_id: m.clientId,
    assignments: u.related('consumer-groups', g.groupId, 'consumers', m.memberId, 'assignments'),
  });
  /** Lag of every committed partition of the group, with the member it is assigned to. */
  const lags = async (ctx: RouteContext, g: DescribedGroup) => {
    const committed = (await fetchCommitted(bridge, ctx.caller, g.groupId, null)).filter((c) => c.errorCode === ErrorCode.NONE && c.offset >= 0);
    const ends = await listOffsets(bridge, ctx.caller, committed, LATEST_TIMESTAMP);
    const owner = new Map<string, DescribedGroup['members'][number]>();
    for (const m of g.members) {
      for (const a of g.protocolType === 'consumer' ? decodeConsumerAssignment(m.memberAssignment) : []) for (const p of a.partitions) owner.set(tpKey(a.topic, p), m);
    }
    return committed
      .map((c) => {
        const end = ends.get(tpKey(c.topic, c.partition));
        const logEnd = end !== undefined && end.errorCode === ErrorCode.NONE ? end.offset : c.offset;
        const m = owner.get(tpKey(c.topic, c.partition));
        return { topic: c.topic, partition: c.partition, current: c.offset, logEnd, lag: Math.max(0, logEnd - c.offset), consumerId: m?.memberId ?? '', instanceId: m?.groupInstanceId ?? null, clientId: m?.clientId ?? '' };
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  };
  const urls = (ctx: RouteContext) => new V3Urls(ctx.req, clusterOf(broker, ctx.params[0]!));
  const G = `/v3/clusters/${SEG}/consumer-groups`;

  return [
    route('GET', G, 'v3', async (ctx) => {
      const u = urls(ctx);
      const listed = await callApi<ListGroupsResponse>(bridge, ApiKey.listGroups, { statesFilter: [], typesFilter: [] }, ctx.caller);
      if (listed.errorCode !== ErrorCode.NONE) throw restErrorOf(listed.errorCode, null);
      const ids = listed.groups.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId).sort();
      const groups = (await describe(ctx, ids)).filter((g) => g.errorCode === ErrorCode.NONE);
      return { status: 200, body: list('KafkaConsumerGroupList', u.url('consumer-groups'), groups.map((g) => groupShape(u, g))) };
    }),
    route('GET', `${G}/${SEG}`, 'v3', async (ctx) => ({ status: 200, body: groupShape(urls(ctx), await oneGroup(ctx, ctx.params[1]!)) })),
    route('GET', `${G}/${SEG}/consumers`, 'v3', async (ctx) => {
      const u = urls(ctx);
      const g = await oneGroup(ctx, ctx.params[1]!);
      return { status: 200, body: list('KafkaConsumerList', u.url('consumer-groups', g.groupId, 'consumers'), g.members.map((m) => consumerShape(u, g, m))) };
    }),
    route('GET', `${G}/${SEG}/lags`, 'v3', async (ctx) => {
      const u = urls(ctx);
      const g = await oneGroup(ctx, ctx.params[1]!);
      const data = (await lags(ctx, g)).map((l) => ({
        ...u.resource('KafkaConsumerLag', u.url('consumer-groups', g.groupId, 'lags', l.topic, 'partitions', l.partition), u.crn(['consumer-group', g.groupId], ['lag', `${l.topic}-${l.partition}`])),
        cluster_id: u.clusterId,
        consumer_group_id: g.groupId,
        topic_name: l.topic,
        partition_id: l.partition,
        current_offset: l.current,
        log_end_offset: l.logEnd,
        lag: l.lag,
        consumer_id: l.consumerId,
        instance_id: l.instanceId,
        client_id: l.clientId,
      }));
      return { status: 200, body: list('KafkaConsumerLagList', u.url('consumer-groups', g.groupId, 'lags'), data) };
    }),
    route('GET', `${G}/${SEG}/lag-summary`, 'v3', async (ctx) => {
      const u = urls(ctx);
      const g = await oneGroup(ctx, ctx.params[1]!);
      const all = await lags(ctx, g);
      const max = all.reduce<(typeof all)[number] | undefined>((m, l) => (m === undefined || l.lag > m.lag ? l : m), undefined);
      return {
        status: 200,
        body: {
          ...u.resource('KafkaConsumerGroupLagSummary', u.url('consumer-groups', g.groupId, 'lag-summary'), u.crn(['consumer-group', g.groupId], ['lag-summary', ''])),
          cluster_id: u.clusterId,
          consumer_group_id: g.groupId,
          max_lag_consumer_id: max?.consumerId ?? '',
          max_lag_instance_id: max?.instanceId ?? null,
          max_lag_client_id: max?.clientId ?? '',
          max_lag_topic_name: max?.topic ?? '',
          max_lag_partition_id: max?.partition ?? 0,
          max_lag: max?.lag ?? 0,
          total_lag: all.reduce((s, l) => s + l.lag, 0),
          max_lag_consumer: max?.consumerId ? u.related('consumer-groups', g.groupId, 'consumers', max.consumerId) : null,
          max_lag_partition: max ? u.related('topics', max.topic, 'partitions', max.partition) : null,
        },
      };
    }),
  ];
}
