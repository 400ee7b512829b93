// Thread: vitest test worker. Typed consumer-group requests over a bare wire connection
// (RawKafkaConnection + generated codecs), for exact error codes and versions no client here
// sends. One connection answers in request order, so a member waiting in JoinGroup needs its
// own GroupWire.
import {
  decodeDeleteGroupsResponse,
  decodeDescribeGroupsResponse,
  decodeFindCoordinatorResponse,
  decodeHeartbeatResponse,
  decodeJoinGroupResponse,
  decodeLeaveGroupResponse,
  decodeListGroupsResponse,
  decodeOffsetCommitResponse,
  decodeOffsetDeleteResponse,
  decodeOffsetFetchResponse,
  decodeSyncGroupResponse,
  deleteGroupsApi,
  describeGroupsApi,
  encodeDeleteGroupsRequest,
  encodeDescribeGroupsRequest,
  encodeFindCoordinatorRequest,
  encodeHeartbeatRequest,
  encodeJoinGroupRequest,
  encodeLeaveGroupRequest,
  encodeListGroupsRequest,
  encodeOffsetCommitRequest,
  encodeOffsetDeleteRequest,
  encodeOffsetFetchRequest,
  encodeSyncGroupRequest,
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  offsetCommitApi,
  offsetDeleteApi,
  offsetFetchApi,
  syncGroupApi,
  type DeleteGroupsResponse,
  type DescribeGroupsResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetDeleteResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../../src/protocol/generated/messages/index.js';
import { RawKafkaConnection } from './raw-kafka.js';

/** Consumer-protocol subscription metadata (version 0) for `topics`. */
export function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0])];
  const n = Buffer.alloc(4);
  n.writeInt32BE(topics.length);
  parts.push(n);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // null user data
  return Buffer.concat(parts);
}

export class GroupWire {
  private constructor(readonly conn: RawKafkaConnection) {}

  static async connect(host: string, port: number): Promise<GroupWire> {
    return new GroupWire(await RawKafkaConnection.connect(host, port));
  }

  close(): void {
    this.conn.close();
  }

  findCoordinator(body: Partial<FindCoordinatorRequest>, version = 2, timeoutMs = 5_000): Promise<FindCoordinatorResponse> {
    return this.conn.request(findCoordinatorApi.apiKey, version, encodeFindCoordinatorRequest, decodeFindCoordinatorResponse, { key: '', keyType: 0, coordinatorKeys: [], ...body }, timeoutMs);
  }

  joinGroup(body: Partial<JoinGroupRequest> & { groupId: string }, version = 5, timeoutMs = 20_000): Promise<JoinGroupResponse> {
    return this.conn.request(
      joinGroupApi.apiKey,
      version,
      encodeJoinGroupRequest,
      decodeJoinGroupResponse,
      {
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: subscription(['t']) }],
        reason: null,
        ...body,
      },
      timeoutMs,
    );
  }

  /** JoinGroup, answering MEMBER_ID_REQUIRED (v4+) by joining again with the given id. */
  async join(body: Partial<JoinGroupRequest> & { groupId: string }, version = 5, timeoutMs = 20_000): Promise<JoinGroupResponse> {
    const first = await this.joinGroup(body, version, timeoutMs);
    if (first.errorCode !== 79) return first;
    return this.joinGroup({ ...body, memberId: first.memberId }, version, timeoutMs);
  }

  syncGroup(body: Partial<SyncGroupRequest> & { groupId: string; memberId: string; generationId: number }, version = 3, timeoutMs = 20_000): Promise<SyncGroupResponse> {
    return this.conn.request(
      syncGroupApi.apiKey,
      version,
      encodeSyncGroupRequest,
      decodeSyncGroupResponse,
      { groupInstanceId: null, protocolType: null, protocolName: null, assignments: [], ...body },
      timeoutMs,
    );
  }

  heartbeat(body: Partial<HeartbeatRequest> & { groupId: string; memberId: string; generationId: number }, version = 3): Promise<HeartbeatResponse> {
    return this.conn.request(heartbeatApi.apiKey, version, encodeHeartbeatRequest, decodeHeartbeatResponse, { groupInstanceId: null, ...body });
  }

  leaveGroup(body: Partial<LeaveGroupRequest> & { groupId: string }, version = 3): Promise<LeaveGroupResponse> {
    return this.conn.request(leaveGroupApi.apiKey, version, encodeLeaveGroupRequest, decodeLeaveGroupResponse, { memberId: '', members: [], ...body });
  }

  offsetCommit(
    groupId: string,
    offsets: Array<{ topic: string; partition: number; offset: number; metadata?: string | null; leaderEpoch?: number }>,
    member: { generationId?: number; memberId?: string; groupInstanceId?: string | null } = {},
    version = 7,
  ): Promise<OffsetCommitResponse> {
    const byTopic = new Map<string, OffsetCommitRequest['topics'][number]>();
    for (const o of offsets) {
      let t = byTopic.get(o.topic);
      if (!t) byTopic.set(o.topic, (t = { name: o.topic, partitions: [] }));
      t.partitions.push({
        partitionIndex: o.partition,
        committedOffset: BigInt(o.offset),
        committedLeaderEpoch: o.leaderEpoch ?? -1,
        commitTimestamp: -1n,
        committedMetadata: o.metadata ?? null,
      });
    }
    return this.conn.request(offsetCommitApi.apiKey, version, encodeOffsetCommitRequest, decodeOffsetCommitResponse, {
      groupId,
      generationIdOrMemberEpoch: member.generationId ?? -1,
      memberId: member.memberId ?? '',
      groupInstanceId: member.groupInstanceId ?? null,
      retentionTimeMs: -1n,
      topics: [...byTopic.values()],
    });
  }

  offsetFetch(body: Partial<OffsetFetchRequest>, version = 7): Promise<OffsetFetchResponse> {
    return this.conn.request(offsetFetchApi.apiKey, version, encodeOffsetFetchRequest, decodeOffsetFetchResponse, {
      groupId: '',
      topics: null,
      groups: [],
      requireStable: false,
      ...body,
    });
  }

  offsetDelete(groupId: string, topics: Array<{ name: string; partitions: number[] }>): Promise<OffsetDeleteResponse> {
    return this.conn.request(offsetDeleteApi.apiKey, 0, encodeOffsetDeleteRequest, decodeOffsetDeleteResponse, {
      groupId,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex })) })),
    });
  }

  listGroups(statesFilter: string[] = [], version = 4, typesFilter: string[] = []): Promise<ListGroupsResponse> {
    return this.conn.request(listGroupsApi.apiKey, version, encodeListGroupsRequest, decodeListGroupsResponse, { statesFilter, typesFilter });
  }

  describeGroups(groups: string[], version = 5, includeAuthorizedOperations = false): Promise<DescribeGroupsResponse> {
    return this.conn.request(describeGroupsApi.apiKey, version, encodeDescribeGroupsRequest, decodeDescribeGroupsResponse, { groups, includeAuthorizedOperations });
  }

  deleteGroups(groups: string[], version = 2): Promise<DeleteGroupsResponse> {
    return this.conn.request(deleteGroupsApi.apiKey, version, encodeDeleteGroupsRequest, decodeDeleteGroupsResponse, { groupsNames: groups });
  }
}

/** Opens a GroupWire, runs `fn`, always closes. */
export async function withGroupWire<T>(host: string, port: number, fn: (g: GroupWire) => Promise<T>): Promise<T> {
  const g = await GroupWire.connect(host, port);
  try {
    return await fn(g);
  } finally {
    g.close();
  }
}
