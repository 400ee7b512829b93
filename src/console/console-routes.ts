// Thread: main. The console's JSON API under /console/api/, one table. Every route says whether
// it changes anything (`mutating`): the app asks its authorizer about each request with that
// flag, so read-only access (issue 18) is one check in one place, not one per handler.
//   GET    /console/api/cluster                       brokers, controller, partitions led
//   GET    /console/api/topics?filter=&offset=&limit= topics page (name, partitions, bytes)
//   POST   /console/api/topics                        {"name", "partitions", "configs"}  (mutating)
//   GET    /console/api/topics/{t}                    partitions (leader, slot, offsets, bytes), configs
//   DELETE /console/api/topics/{t}                    (mutating)
//   GET    /console/api/topics/{t}/messages?partition=&offset=|timestamp=&limit=
//   GET    /console/api/groups                        consumer groups
//   GET    /console/api/groups/{g}                    members, per-partition offsets and lag, lag history
//   GET    /console/api/throughput                    bytes/records in/out per second, last 5 minutes
// Cluster mode: reads that only a partition's leader or a group's coordinator can answer are
// forwarded to that broker's console (peer-console.ts); lists merge every broker's answer.
import { z } from 'zod';
import type { BrokerView } from './broker-view.js';
import { ConsoleError } from './console-error.js';
import type { ConsoleKafka } from './console-kafka.js';
import { describeGroup, lagPoint, listGroups } from './consumer-groups.js';
import { clusterOverview } from './cluster-view.js';
import type { LagHistory } from './lag-history.js';
import { browseMessages, MAX_MESSAGES } from './message-browser.js';
import type { ThroughputHistory } from './throughput-history.js';
import { createTopic, createTopicBody, deleteTopic, listTopics, MAX_PAGE, topicDetail } from './topics-view.js';
import type { SchemaDecoder } from './value-format.js';
import { leaderEndOffsets, mergeGroupLists, mergeLeaderNumbers } from './cluster-merge.js';
import { forwardGet, type Peer } from './peer-console.js';

export interface RouteContext {
  kafka: ConsoleKafka;
  view: BrokerView;
  throughput: ThroughputHistory;
  lag: LagHistory;
  schemas: SchemaDecoder | undefined;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The path after /console/api with its query string (what a forwarded request asks a peer). */
  pathAndQuery: string;
  /** Cluster mode: the console of broker `nodeId` when the request should go there (never for self or a forwarded request). */
  peer(nodeId: number): Peer | undefined;
  /** Cluster mode: every other live broker's console (none for a forwarded request). */
  peers(): Peer[];
  /**
   * Cluster mode: broker `nodeId`'s console for a sub-query that ends there (a forwarded request
   * is never forwarded again, so this is allowed on forwarded requests too: at most two hops).
   */
  leafPeer(nodeId: number): Peer | undefined;
  /** The JSON request body, parsed (400 when it is not JSON). */
  body(): Promise<unknown>;
}

export interface ConsoleRoute {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Matched against the path after /console/api; named groups become params (URI-decoded). */
  pattern: RegExp;
  /** Changes broker state: an authorizer may refuse it to read-only users. */
  mutating: boolean;
  /** 201 for creations; default 200. */
  status?: number;
  handle(ctx: RouteContext): Promise<unknown>;
}

function intParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined;
function intParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number;
function intParam(query: URLSearchParams, name: string, min: number, max: number, fallback?: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConsoleError(400, 'BAD_REQUEST', `${name} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConsoleError(400, 'BAD_REQUEST', `${name} must be between ${min} and ${max}, got ${raw}`);
  return n;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown, shape: string): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new ConsoleError(400, 'BAD_REQUEST', `expected ${shape}: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}

const TOPIC = '(?<topic>[^/]+)';

export const consoleRoutes: readonly ConsoleRoute[] = [
  {
    name: 'cluster',
    method: 'GET',
    pattern: /^\/cluster$/,
    mutating: false,
    handle: (c) => clusterOverview(c.kafka, c.view),
  },
  {
    name: 'list-topics',
    method: 'GET',
    pattern: /^\/topics$/,
    mutating: false,
    handle: (c) => {
      const filter = c.query.get('filter') ?? '';
      if (filter.length > 249) throw new ConsoleError(400, 'BAD_REQUEST', 'filter longer than 249 characters');
      return listTopics(c.kafka, c.view, { filter, offset: intParam(c.query, 'offset', 0, 1_000_000_000, 0), limit: intParam(c.query, 'limit', 1, MAX_PAGE, 100) });
    },
  },
  {
    name: 'create-topic',
    method: 'POST',
    pattern: /^\/topics$/,
    mutating: true,
    status: 201,
    handle: async (c) => createTopic(c.kafka, parseBody(createTopicBody, await c.body(), '{"name": string, "partitions": int 1-10000, "configs": {name: value}}')),
  },
  {
    name: 'describe-topic',
    method: 'GET',
    pattern: new RegExp(`^/topics/${TOPIC}$`),
    mutating: false,
    handle: async (c) => mergeLeaderNumbers(await topicDetail(c.kafka, c.view, c.params.topic!), c.view.nodeId, (id) => c.peer(id)),
  },
  {
    name: 'delete-topic',
    method: 'DELETE',
    pattern: new RegExp(`^/topics/${TOPIC}$`),
    mutating: true,
    handle: (c) => deleteTopic(c.kafka, c.params.topic!),
  },
  {
    name: 'browse-messages',
    method: 'GET',
    pattern: new RegExp(`^/topics/${TOPIC}/messages$`),
    mutating: false,
    handle: async (c) => {
      const offset = intParam(c.query, 'offset', 0, Number.MAX_SAFE_INTEGER);
      const timestamp = intParam(c.query, 'timestamp', 0, Number.MAX_SAFE_INTEGER);
      if (offset !== undefined && timestamp !== undefined) throw new ConsoleError(400, 'BAD_REQUEST', 'give offset or timestamp, not both');
      const topic = c.params.topic!;
      const partition = intParam(c.query, 'partition', 0, 1_000_000, 0);
      // Only the partition's leader can read it: its console answers.
      const leader = (await c.kafka.topic(topic)).topic.partitions.find((p) => p.partitionIndex === partition)?.leaderId ?? -1;
      const peer = c.peer(leader);
      if (peer !== undefined) return forwardGet(peer, c.pathAndQuery);
      return browseMessages(c.kafka, { topic, partition, offset, timestamp, limit: intParam(c.query, 'limit', 1, MAX_MESSAGES, 50) }, c.schemas);
    },
  },
  {
    name: 'list-groups',
    method: 'GET',
    pattern: /^\/groups$/,
    mutating: false,
    handle: async (c) => mergeGroupLists(await listGroups(c.kafka), c.peers()),
  },
  {
    name: 'describe-group',
    method: 'GET',
    pattern: /^\/groups\/(?<group>[^/]+)$/,
    mutating: false,
    handle: async (c) => {
      const group = c.params.group!;
      // Only the group's coordinator knows its members and offsets: its console answers (and samples its lag).
      const peer = c.peer(await c.kafka.coordinator(group));
      if (peer !== undefined) return forwardGet(peer, c.pathAndQuery);
      const detail = await describeGroup(c.kafka, group, leaderEndOffsets(c.kafka, (id) => c.leafPeer(id)));
      if (detail.state === 'Dead' && detail.partitions.length === 0) throw new ConsoleError(404, 'GROUP_ID_NOT_FOUND', `no consumer group ${group}`);
      const history = c.lag.viewed(group, lagPoint(detail.partitions, Date.now()));
      return { ...detail, lagHistory: history };
    },
  },
  {
    name: 'throughput',
    method: 'GET',
    pattern: /^\/throughput$/,
    mutating: false,
    handle: (c) => Promise.resolve({ intervalMs: 1000, totals: c.throughput.current(), points: c.throughput.points() }),
  },
];
