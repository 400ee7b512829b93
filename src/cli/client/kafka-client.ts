// Thread: main (CLI process). The small Kafka client behind `strata`: cluster metadata,
// topic admin, offsets, consumer-group admin, produce and fetch. Only the project's generated
// codecs over node:net (BrokerConnection); each API's version is negotiated per broker and
// capped at the versions whose shapes this file handles, so Apache Kafka works too.
// Requests for a partition go to its leader; group requests to the group's coordinator.
import { ZERO_UUID } from '../../protocol/codec-support.js';
import type { AclBinding, AclFilter } from '../../auth/acl-model.js';
import { errorTable } from '../../protocol/generated/error-codes.js';
import * as m from '../../protocol/generated/messages/index.js';
import { BrokerConnection, CliError, type ClientApi } from './connection.js';

function api<Req, Res>(
  apiKey: number,
  name: string,
  minVersion: number,
  maxVersion: number,
  encode: ClientApi<Req, Res>['encode'],
  decode: ClientApi<Req, Res>['decode'],
): ClientApi<Req, Res> {
  return { apiKey, name, minVersion, maxVersion, encode, decode };
}

// Version caps: the newest versions whose request/response shapes this client fills in.
export const Api = {
  produce: api(0, 'Produce', 3, 9, m.encodeProduceRequest, m.decodeProduceResponse),
  fetch: api(1, 'Fetch', 4, 12, m.encodeFetchRequest, m.decodeFetchResponse),
  listOffsets: api(2, 'ListOffsets', 1, 7, m.encodeListOffsetsRequest, m.decodeListOffsetsResponse),
  metadata: api(3, 'Metadata', 1, 12, m.encodeMetadataRequest, m.decodeMetadataResponse),
  offsetCommit: api(8, 'OffsetCommit', 2, 8, m.encodeOffsetCommitRequest, m.decodeOffsetCommitResponse),
  offsetFetch: api(9, 'OffsetFetch', 2, 7, m.encodeOffsetFetchRequest, m.decodeOffsetFetchResponse),
  findCoordinator: api(10, 'FindCoordinator', 0, 3, m.encodeFindCoordinatorRequest, m.decodeFindCoordinatorResponse),
  describeGroups: api(15, 'DescribeGroups', 0, 5, m.encodeDescribeGroupsRequest, m.decodeDescribeGroupsResponse),
  joinGroup: api(11, 'JoinGroup', 0, 9, m.encodeJoinGroupRequest, m.decodeJoinGroupResponse),
  heartbeat: api(12, 'Heartbeat', 0, 4, m.encodeHeartbeatRequest, m.decodeHeartbeatResponse),
  leaveGroup: api(13, 'LeaveGroup', 0, 5, m.encodeLeaveGroupRequest, m.decodeLeaveGroupResponse),
  syncGroup: api(14, 'SyncGroup', 0, 5, m.encodeSyncGroupRequest, m.decodeSyncGroupResponse),
  listGroups: api(16, 'ListGroups', 0, 4, m.encodeListGroupsRequest, m.decodeListGroupsResponse),
  createTopics: api(19, 'CreateTopics', 0, 7, m.encodeCreateTopicsRequest, m.decodeCreateTopicsResponse),
  deleteTopics: api(20, 'DeleteTopics', 0, 5, m.encodeDeleteTopicsRequest, m.decodeDeleteTopicsResponse),
  describeConfigs: api(32, 'DescribeConfigs', 0, 4, m.encodeDescribeConfigsRequest, m.decodeDescribeConfigsResponse),
  createPartitions: api(37, 'CreatePartitions', 0, 3, m.encodeCreatePartitionsRequest, m.decodeCreatePartitionsResponse),
  deleteGroups: api(42, 'DeleteGroups', 0, 2, m.encodeDeleteGroupsRequest, m.decodeDeleteGroupsResponse),
  alterPartitionReassignments: api(45, 'AlterPartitionReassignments', 0, 0, m.encodeAlterPartitionReassignmentsRequest, m.decodeAlterPartitionReassignmentsResponse),
  incrementalAlterConfigs: api(44, 'IncrementalAlterConfigs', 0, 1, m.encodeIncrementalAlterConfigsRequest, m.decodeIncrementalAlterConfigsResponse),
  describeAcls: api(29, 'DescribeAcls', 1, 3, m.encodeDescribeAclsRequest, m.decodeDescribeAclsResponse),
  createAcls: api(30, 'CreateAcls', 1, 3, m.encodeCreateAclsRequest, m.decodeCreateAclsResponse),
  deleteAcls: api(31, 'DeleteAcls', 1, 3, m.encodeDeleteAclsRequest, m.decodeDeleteAclsResponse),
  describeClientQuotas: api(48, 'DescribeClientQuotas', 0, 1, m.encodeDescribeClientQuotasRequest, m.decodeDescribeClientQuotasResponse),
  alterClientQuotas: api(49, 'AlterClientQuotas', 0, 1, m.encodeAlterClientQuotasRequest, m.decodeAlterClientQuotasResponse),
  describeUserScramCredentials: api(50, 'DescribeUserScramCredentials', 0, 0, m.encodeDescribeUserScramCredentialsRequest, m.decodeDescribeUserScramCredentialsResponse),
  alterUserScramCredentials: api(51, 'AlterUserScramCredentials', 0, 0, m.encodeAlterUserScramCredentialsRequest, m.decodeAlterUserScramCredentialsResponse),
};

export const EARLIEST = -2n;
export const LATEST = -1n;
const TOPIC_RESOURCE = 2;
const LEADER_NOT_AVAILABLE = 5;

/** `KafkaError: UNKNOWN_TOPIC_OR_PARTITION (3): message`. */
export class KafkaError extends CliError {
  constructor(
    readonly errorCode: number,
    what: string,
    message?: string | null,
  ) {
    super(`${what}: ${errorName(errorCode)}${message ? `: ${message}` : ''}`, 'STRATA_ERR_CLI_KAFKA');
  }
}

export function errorName(code: number): string {
  return `${errorTable.get(code)?.name ?? 'UNKNOWN'} (${code})`;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[]; errorCode: number }>;
  errorCode: number;
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
}

export interface GroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupInfo {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberInfo[];
  errorCode: number;
}

export interface ProduceRecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

export class KafkaClient {
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  private brokers = new Map<number, BrokerInfo>();
  private leaders = new Map<string, number>();

  private constructor(private readonly bootstrap: Array<{ host: string; port: number }>, private readonly timeoutMs: number) {}

  /** `host:port[,host:port…]`; the first reachable bootstrap server is used. */
  static async connect(bootstrapServers: string, timeoutMs = 10_000): Promise<KafkaClient> {
    const bootstrap = bootstrapServers.split(',').map((s) => parseHostPort(s.trim()));
    const client = new KafkaClient(bootstrap, timeoutMs);
    await client.any();
    return client;
  }

  /** A client that connects on its first request (so usage errors come before any network). */
  static lazy(bootstrapServers: string, timeoutMs = 10_000): KafkaClient {
    return new KafkaClient(bootstrapServers.split(',').map((s) => parseHostPort(s.trim())), timeoutMs);
  }

  private conn(host: string, port: number): Promise<BrokerConnection> {
    const key = `${host}:${port}`;
    let c = this.connections.get(key);
    if (!c) {
      c = BrokerConnection.connect(host, port, this.timeoutMs);
      c.catch(() => this.connections.delete(key));
      this.connections.set(key, c);
    }
    return c;
  }

  /** A connection to any broker (bootstrap first). */
  private async any(): Promise<BrokerConnection> {
    let last: unknown;
    for (const b of this.bootstrap) {
      try {
        return await this.conn(b.host, b.port);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  private async node(nodeId: number): Promise<BrokerConnection> {
    const b = this.brokers.get(nodeId);
    if (!b) return this.any();
    return this.conn(b.host, b.port);
  }

  close(): void {
    for (const c of this.connections.values()) c.then((x) => x.close(), () => undefined);
    this.connections.clear();
  }

  // ------------------------------------------------------------------ metadata

  /** Metadata for `topics` (all topics when undefined); auto-creates only when asked to. */
  async metadata(topics?: string[], allowAutoTopicCreation = false): Promise<ClusterMetadata> {
    const c = await this.any();
    const res = await c.request(Api.metadata, {
      ...m.defaultMetadataRequest(),
      topics: topics ? topics.map((name) => ({ name, topicId: ZERO_UUID })) : null,
      allowAutoTopicCreation,
    });
    this.brokers = new Map(res.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port }]));
    const out: ClusterMetadata = { clusterId: res.clusterId, controllerId: res.controllerId, brokers: [...this.brokers.values()], topics: [] };
    for (const t of res.topics) {
      const name = t.name ?? '';
      const partitions = t.partitions
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes, errorCode: p.errorCode }))
        .sort((a, b) => a.partition - b.partition);
      for (const p of partitions) this.leaders.set(`${name}:${p.partition}`, p.leader);
      out.topics.push({ name, topicId: t.topicId.toString('hex'), isInternal: t.isInternal, partitions, errorCode: t.errorCode });
    }
    out.topics.sort((a, b) => a.name.localeCompare(b.name));
    return out;
  }

  /** One topic's metadata; KafkaError when it does not exist. */
  async topic(name: string): Promise<TopicInfo> {
    const md = await this.metadata([name]);
    const t = md.topics.find((x) => x.name === name);
    if (!t) throw new KafkaError(3, `topic ${name}`);
    if (t.errorCode !== 0) throw new KafkaError(t.errorCode, `topic ${name}`);
    return t;
  }

  /**
   * A topic to produce to: asks Metadata with allowAutoTopicCreation, as kcat and librdkafka do,
   * so the broker creates an unknown topic when its auto.create.topics.enable says so. Waits
   * (bounded) while a new topic has no leader yet.
   */
  async topicForProduce(name: string): Promise<TopicInfo> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const md = await this.metadata([name], true);
      const t = md.topics.find((x) => x.name === name);
      const code = t ? t.errorCode : 3;
      const leaderless = t !== undefined && (t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0 || p.errorCode === LEADER_NOT_AVAILABLE));
      if (code === 0 && !leaderless) return t!;
      if (code === 3) {
        throw new CliError(
          `topic ${name} does not exist and the broker did not create it (auto.create.topics.enable is off there?): create it with strata topics create ${name}`,
          'STRATA_ERR_CLI_KAFKA',
        );
      }
      if ((code !== 0 && code !== LEADER_NOT_AVAILABLE) || Date.now() >= deadline) throw new KafkaError(code === 0 ? LEADER_NOT_AVAILABLE : code, `topic ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async leaderConn(topic: string, partition: number): Promise<BrokerConnection> {
    const leader = this.leaders.get(`${topic}:${partition}`);
    return leader === undefined || leader < 0 ? this.any() : this.node(leader);
  }

  // ------------------------------------------------------------------ topic admin

  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): Promise<{ partitions: number }> {
    const c = await this.any();
    const res = await c.request(Api.createTopics, {
      topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
      timeoutMs: this.timeoutMs,
      validateOnly: false,
    });
    const t = res.topics[0];
    if (!t) throw new CliError(`CreateTopics answered nothing for ${name}`);
    if (t.errorCode !== 0) throw new KafkaError(t.errorCode, `create topic ${name}`, t.errorMessage);
    return { partitions: t.numPartitions > 0 ? t.numPartitions : partitions };
  }

  async deleteTopic(name: string): Promise<void> {
    const c = await this.any();
    const res = await c.request(Api.deleteTopics, { topics: [{ name, topicId: ZERO_UUID }], topicNames: [name], timeoutMs: this.timeoutMs });
    const r = res.responses[0];
    if (r && r.errorCode !== 0) throw new KafkaError(r.errorCode, `delete topic ${name}`, r.errorMessage);
  }

  async describeTopicConfigs(name: string): Promise<Array<{ name: string; value: string | null; isDefault: boolean; readOnly: boolean }>> {
    const c = await this.any();
    const res = await c.request(Api.describeConfigs, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const r = res.results[0];
    if (!r) return [];
    if (r.errorCode !== 0) throw new KafkaError(r.errorCode, `describe configs of ${name}`, r.errorMessage);
    return r.configs
      .map((x) => ({ name: x.name, value: x.isSensitive ? null : x.value, isDefault: x.isDefault || x.configSource === 5, readOnly: x.readOnly }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Sets (value) or deletes (null → default) topic configs with IncrementalAlterConfigs. */
  async alterTopicConfigs(name: string, configs: Record<string, string | null>): Promise<void> {
    const c = await this.any();
    const res = await c.request(Api.incrementalAlterConfigs, {
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: name,
          configs: Object.entries(configs).map(([k, v]) => ({ name: k, configOperation: v === null ? 1 : 0, value: v })),
        },
      ],
      validateOnly: false,
    });
    const r = res.responses[0];
    if (r && r.errorCode !== 0) throw new KafkaError(r.errorCode, `alter configs of ${name}`, r.errorMessage);
  }

  async createPartitions(name: string, count: number): Promise<void> {
    const c = await this.any();
    const res = await c.request(Api.createPartitions, { topics: [{ name, count, assignments: null }], timeoutMs: this.timeoutMs, validateOnly: false });
    const r = res.results[0];
    if (r && r.errorCode !== 0) throw new KafkaError(r.errorCode, `add partitions to ${name}`, r.errorMessage);
  }

  /** AlterPartitionReassignments of one partition: `replicas` (new leader first), or null to cancel. */
  async reassignPartition(topic: string, partition: number, replicas: number[] | null): Promise<void> {
    const c = await this.any();
    const res = await c.request(Api.alterPartitionReassignments, { timeoutMs: this.timeoutMs, topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }] });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, `reassign ${topic}-${partition}`, res.errorMessage);
    const r = res.responses[0]?.partitions[0];
    if (r && r.errorCode !== 0) throw new KafkaError(r.errorCode, `reassign ${topic}-${partition}`, r.errorMessage);
  }

  // ------------------------------------------------------------------ offsets

  /** ListOffsets for each partition at `timestamp` (EARLIEST, LATEST or epoch ms); -1 when none. */
  async listOffsets(topic: string, partitions: number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const byLeader = new Map<BrokerConnection, number[]>();
    for (const p of partitions) {
      const c = await this.leaderConn(topic, p);
      byLeader.set(c, [...(byLeader.get(c) ?? []), p]);
    }
    const out = new Map<number, bigint>();
    for (const [c, ps] of byLeader) {
      const res = await c.request(Api.listOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: this.timeoutMs,
        topics: [{ name: topic, partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `list offsets ${topic}-${p.partitionIndex}`);
          out.set(p.partitionIndex, p.offset);
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ groups

  async coordinator(groupId: string): Promise<BrokerConnection> {
    const c = await this.any();
    const res = await c.request(Api.findCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, `find coordinator of group ${groupId}`, res.errorMessage);
    return this.conn(res.host, res.port);
  }

  async listGroups(): Promise<Array<{ groupId: string; protocolType: string; state: string }>> {
    await this.metadata([]);
    const nodes = this.brokers.size > 0 ? [...this.brokers.keys()] : [-1];
    const out: Array<{ groupId: string; protocolType: string; state: string }> = [];
    for (const id of nodes) {
      const c = await this.node(id);
      const res = await c.request(Api.listGroups, { statesFilter: [], typesFilter: [] });
      if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'list groups');
      for (const g of res.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState });
    }
    return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describeGroup(groupId: string): Promise<GroupInfo> {
    const c = await this.coordinator(groupId);
    const res = await c.request(Api.describeGroups, { groups: [groupId], includeAuthorizedOperations: false });
    const g = res.groups[0];
    if (!g) throw new CliError(`DescribeGroups answered nothing for ${groupId}`);
    if (g.errorCode !== 0) throw new KafkaError(g.errorCode, `describe group ${groupId}`);
    return {
      groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      errorCode: g.errorCode,
      members: g.members.map((mb) => ({
        memberId: mb.memberId,
        groupInstanceId: mb.groupInstanceId,
        clientId: mb.clientId,
        clientHost: mb.clientHost,
        assignment: g.protocolType === 'consumer' ? decodeConsumerAssignment(mb.memberAssignment) : [],
      })),
    };
  }

  /** Committed offsets of the group: topic → partition → offset (-1 when none). */
  async fetchCommitted(groupId: string, topics: Array<{ topic: string; partitions: number[] }> | null): Promise<Map<string, Map<number, bigint>>> {
    const c = await this.coordinator(groupId);
    const res = await c.request(Api.offsetFetch, {
      groupId,
      topics: topics ? topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) : null,
      groups: [],
      requireStable: false,
    });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, `fetch offsets of group ${groupId}`);
    const out = new Map<string, Map<number, bigint>>();
    for (const t of res.topics) {
      const ps = new Map<number, bigint>();
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `fetch offset ${t.name}-${p.partitionIndex} of group ${groupId}`);
        ps.set(p.partitionIndex, p.committedOffset);
      }
      out.set(t.name, ps);
    }
    return out;
  }

  /** Commits as a standalone (simple) consumer: generation -1, no member id; the group must be empty. */
  async commit(groupId: string, topic: string, offsets: Map<number, bigint>): Promise<void> {
    const c = await this.coordinator(groupId);
    const res = await c.request(Api.offsetCommit, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: topic,
          partitions: [...offsets].map(([p, o]) => ({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
        },
      ],
    });
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `commit ${t.name}-${p.partitionIndex} for group ${groupId}`);
  }

  async deleteGroup(groupId: string): Promise<void> {
    const c = await this.coordinator(groupId);
    const res = await c.request(Api.deleteGroups, { groupsNames: [groupId] });
    const r = res.results[0];
    if (r && r.errorCode !== 0) throw new KafkaError(r.errorCode, `delete group ${groupId}`);
  }

  // ------------------------------------------------------------------ client quotas

  /** DescribeClientQuotas: entities (type → name, null = default) matching `components`, with their quotas. */
  async describeClientQuotas(
    components: Array<{ entityType: string; matchType: number; match: string | null }>,
    strict: boolean,
  ): Promise<Array<{ entity: Record<string, string | null>; quotas: Record<string, number> }>> {
    const c = await this.any();
    const res = await c.request(Api.describeClientQuotas, { components, strict });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'describe client quotas', res.errorMessage);
    return (res.entries ?? []).map((e) => ({
      entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
      quotas: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }));
  }

  /** AlterClientQuotas for one entity: sets (value) and removals (null) by quota key. */
  async alterClientQuotas(entity: Array<{ entityType: string; entityName: string | null }>, ops: Record<string, number | null>): Promise<void> {
    const c = await this.any();
    const res = await c.request(Api.alterClientQuotas, {
      validateOnly: false,
      entries: [{ entity, ops: Object.entries(ops).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })) }],
    });
    for (const r of res.entries) if (r.errorCode !== 0) throw new KafkaError(r.errorCode, 'alter client quotas', r.errorMessage);
  }

  // ------------------------------------------------------------------ ACLs

  /** CreateAcls; throws on the first refused binding. */
  async createAcls(bindings: AclBinding[]): Promise<void> {
    const c = await this.any();
    const res = await c.request(Api.createAcls, {
      creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
    });
    for (const r of res.results) if (r.errorCode !== 0) throw new KafkaError(r.errorCode, 'create ACLs', r.errorMessage);
  }

  /** DescribeAcls with one filter; the matching bindings. */
  async describeAcls(filter: AclFilter): Promise<AclBinding[]> {
    const c = await this.any();
    const res = await c.request(Api.describeAcls, filter);
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'describe ACLs', res.errorMessage);
    return res.resources.flatMap((r) => r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })));
  }

  /** DeleteAcls with one filter; the removed bindings. */
  async deleteAcls(filter: AclFilter): Promise<AclBinding[]> {
    const c = await this.any();
    const res = await c.request(Api.deleteAcls, { filters: [filter] });
    const r = res.filterResults[0];
    if (r === undefined) return [];
    if (r.errorCode !== 0) throw new KafkaError(r.errorCode, 'delete ACLs', r.errorMessage);
    return r.matchingAcls.map((a) => ({ resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType }));
  }

  // ------------------------------------------------------------------ users (SCRAM credentials)

  /** Users and their SCRAM mechanisms (type numbers) with iterations; every user when `names` is null. */
  async describeUsers(names: string[] | null): Promise<Array<{ user: string; credentials: Array<{ mechanism: number; iterations: number }> }>> {
    const c = await this.any();
    const res = await c.request(Api.describeUserScramCredentials, { users: names === null ? null : names.map((name) => ({ name })) });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'describe users', res.errorMessage);
    return res.results.map((r) => {
      if (r.errorCode !== 0) throw new KafkaError(r.errorCode, `describe user ${r.user}`, r.errorMessage);
      return { user: r.user, credentials: r.credentialInfos.map((i) => ({ mechanism: i.mechanism, iterations: i.iterations })) };
    });
  }

  /** AlterUserScramCredentials for one user: upserts (salted passwords) and deletions by mechanism type. */
  async alterUser(
    user: string,
    upsertions: Array<{ mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }>,
    deletions: number[],
  ): Promise<void> {
    const c = await this.any();
    const res = await c.request(Api.alterUserScramCredentials, {
      upsertions: upsertions.map((u) => ({ name: user, ...u })),
      deletions: deletions.map((mechanism) => ({ name: user, mechanism })),
    });
    for (const r of res.results) if (r.errorCode !== 0) throw new KafkaError(r.errorCode, `alter user ${r.user}`, r.errorMessage);
  }

  // ------------------------------------------------------------------ data

  /** Produces one batch (already encoded) to a partition's leader; returns its base offset. */
  async produceBatch(topic: string, partition: number, batch: Buffer, acks: number): Promise<bigint> {
    const c = await this.leaderConn(topic, partition);
    const res = await c.request(Api.produce, {
      transactionalId: null,
      acks,
      timeoutMs: this.timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    });
    const p = res.responses[0]?.partitionResponses[0];
    if (!p) throw new CliError(`Produce answered nothing for ${topic}-${partition}`);
    if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `produce to ${topic}-${partition}`, p.errorMessage);
    return p.baseOffset;
  }

  /** One Fetch for several partitions of a topic (all led by the same broker as the first). */
  async fetch(
    topic: string,
    positions: Map<number, bigint>,
    opts: { maxWaitMs: number; maxBytes: number; partitionMaxBytes: number },
  ): Promise<Array<{ partition: number; errorCode: number; highWatermark: bigint; records: Buffer | null }>> {
    const byLeader = new Map<BrokerConnection, number[]>();
    for (const p of positions.keys()) {
      const c = await this.leaderConn(topic, p);
      byLeader.set(c, [...(byLeader.get(c) ?? []), p]);
    }
    const results = await Promise.all(
      [...byLeader].map(async ([c, ps]) => {
        const res = await c.request(Api.fetch, {
          ...m.defaultFetchRequest(),
          replicaId: -1,
          maxWaitMs: opts.maxWaitMs,
          minBytes: 1,
          maxBytes: opts.maxBytes,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic,
              topicId: ZERO_UUID,
              partitions: ps.map((p) => ({
                partition: p,
                currentLeaderEpoch: -1,
                fetchOffset: positions.get(p)!,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: opts.partitionMaxBytes,
                replicaDirectoryId: ZERO_UUID,
              })),
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        });
        if (res.errorCode !== 0) throw new KafkaError(res.errorCode, `fetch from ${topic}`);
        return res.responses.flatMap((t) =>
          t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, highWatermark: p.highWatermark, records: p.records })),
        );
      }),
    );
    return results.flat();
  }
}

/** ConsumerProtocolAssignment (any version): int16 version, [topic, [int32 partition]], userData. */
export function decodeConsumerAssignment(bytes: Buffer): Array<{ topic: string; partitions: number[] }> {
  const out: Array<{ topic: string; partitions: number[] }> = [];
  try {
    let o = 2;
    const topics = bytes.readInt32BE(o);
    o += 4;
    for (let i = 0; i < topics; i++) {
      const len = bytes.readInt16BE(o);
      o += 2;
      const topic = bytes.toString('utf8', o, o + len);
      o += len;
      const n = bytes.readInt32BE(o);
      o += 4;
      const partitions: number[] = [];
      for (let j = 0; j < n; j++, o += 4) partitions.push(bytes.readInt32BE(o));
      out.push({ topic, partitions });
    }
  } catch {
    // empty or foreign assignment bytes: show what was read
  }
  return out;
}

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s);
  if (!m) throw new CliError(`bad bootstrap server "${s}": expected host:port`, 'STRATA_ERR_CLI_USAGE');
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}
