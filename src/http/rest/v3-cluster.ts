// Thread: main. v3 clusters and brokers: `GET /v3/clusters`, `/v3/clusters/{id}`,
// `/v3/clusters/{id}/brokers[/{b}]`, from DescribeCluster through the bridge.
import type { BrokerContext } from '../../broker-context.js';
import type { DescribeClusterResponse } from '../../protocol/generated/messages/60-describe-cluster.js';
import type { KafkaBridge } from '../kafka-bridge.js';
import { ApiKey, callApi } from './bridge-client.js';
import { RestError } from './rest-errors.js';
import { route, SEG, type Route, type RouteContext } from './routes.js';
import { clusterOf, list, V3Urls } from './v3-shapes.js';

export function v3ClusterRoutes(broker: BrokerContext, bridge: KafkaBridge): Route[] {
  const describe = (ctx: RouteContext) => callApi<DescribeClusterResponse>(bridge, ApiKey.describeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 }, ctx.caller, 0);
  const cluster = async (ctx: RouteContext, id: string) => {
    const u = new V3Urls(ctx.req, id);
    const d = await describe(ctx);
    return {
      ...u.resource('KafkaCluster', u.base, u.crn()),
      cluster_id: id,
      controller: u.related('brokers', d.controllerId),
      acls: u.related('acls'),
      brokers: u.related('brokers'),
      broker_configs: u.related('broker-configs'),
      consumer_groups: u.related('consumer-groups'),
      topics: u.related('topics'),
      partition_reassignments: u.related('topics', '-', 'partitions', '-', 'reassignment'),
    };
  };
  const brokerShape = (u: V3Urls, b: DescribeClusterResponse['brokers'][number]) => ({
    ...u.resource('KafkaBroker', u.url('brokers', b.brokerId), u.crn(['broker', b.brokerId])),
    cluster_id: u.clusterId,
    broker_id: b.brokerId,
    host: b.host,
    port: b.port,
    rack: b.rack,
    configs: u.related('brokers', b.brokerId, 'configs'),
    partition_replicas: u.related('brokers', b.brokerId, 'partition-replicas'),
  });
  return [
    route('GET', '/v3/clusters', 'v3', async (ctx) => {
      const host = ctx.req.headers.host ?? '127.0.0.1';
      return { status: 200, body: list('KafkaClusterList', `http://${host}/v3/clusters`, [await cluster(ctx, broker.clusterId)]) };
    }),
    route('GET', `/v3/clusters/${SEG}`, 'v3', async (ctx) => ({ status: 200, body: await cluster(ctx, clusterOf(broker, ctx.params[0]!)) })),
    route('GET', `/v3/clusters/${SEG}/brokers`, 'v3', async (ctx) => {
      const u = new V3Urls(ctx.req, clusterOf(broker, ctx.params[0]!));
      const d = await describe(ctx);
      return { status: 200, body: list('KafkaBrokerList', u.url('brokers'), d.brokers.sort((a, b) => a.brokerId - b.brokerId).map((b) => brokerShape(u, b))) };
    }),
    route('GET', `/v3/clusters/${SEG}/brokers/(\\d+)`, 'v3', async (ctx) => {
      const u = new V3Urls(ctx.req, clusterOf(broker, ctx.params[0]!));
      const b = (await describe(ctx)).brokers.find((x) => x.brokerId === Number(ctx.params[1]));
      if (b === undefined) throw new RestError(404, 40407, `Broker ${ctx.params[1]} not found.`);
      return { status: 200, body: brokerShape(u, b) };
    }),
  ];
}
