// Thread: main (CLI process). `strata consume --group G` as a real member of a classic
// consumer group: JoinGroup (with MEMBER_ID_REQUIRED handling), the leader computes a range
// assignment per subscribed topic, SyncGroup, heartbeats between fetches, commits with its
// generation and member id, and LeaveGroup on exit — so it shares partitions with any other
// consumer of the group (KafkaJS, librdkafka, Java) instead of fighting over them.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { decodeConsumerProtocolSubscription, encodeConsumerProtocolSubscription } from '../../protocol/generated/data/consumer-protocol-subscription.js';
import { encodeConsumerProtocolAssignment } from '../../protocol/generated/data/consumer-protocol-assignment.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import type { BrokerConnection } from './connection.js';
import { Api, decodeConsumerAssignment, KafkaError } from './kafka-client.js';

const MAX_JOIN_ATTEMPTS = 20;
const ASSIGNORS = ['range', 'roundrobin', 'RoundRobinAssigner'];

export function encodeSubscription(topics: string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null });
  return w.toBuffer();
}

function subscribedTopics(metadata: Buffer): string[] {
  try {
    const r = new Reader(metadata);
    const version = Math.min(r.int16(), 3);
    return decodeConsumerProtocolSubscription(r, version).topics;
  } catch {
    return [];
  }
}

export function encodeAssignment(assigned: Map<string, number[]>): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolAssignment(w, 0, {
    assignedPartitions: [...assigned].map(([topic, partitions]) => ({ topic, partitions })),
    userData: null,
  });
  return w.toBuffer();
}

/** Kafka's range assignor: per topic, members sorted by id take consecutive partition ranges. */
export function rangeAssign(
  members: Array<{ memberId: string; topics: string[] }>,
  partitionCounts: Map<string, number>,
): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>(members.map((mb) => [mb.memberId, new Map()]));
  for (const [topic, count] of partitionCounts) {
    const subscribers = members.filter((mb) => mb.topics.includes(topic)).map((mb) => mb.memberId).sort();
    if (subscribers.length === 0) continue;
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((memberId, i) => {
      const n = per + (i < extra ? 1 : 0);
      out.get(memberId)!.set(topic, Array.from({ length: n }, (_, k) => next + k));
      next += n;
    });
  }
  return out;
}

export class GroupMember {
  memberId = '';
  generationId = -1;
  assigned: number[] = [];
  private lastHeartbeatMs = 0;

  constructor(
    private readonly coordinator: BrokerConnection,
    readonly groupId: string,
    readonly topic: string,
    /** Partition counts of the topics members subscribe to (the leader needs them). */
    private readonly partitionCount: (topic: string) => Promise<number>,
    private readonly sessionTimeoutMs = 10_000,
  ) {}

  /** Joins (or rejoins) and returns this member's partitions of the topic. */
  async join(): Promise<number[]> {
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS; attempt++) {
      const res = await this.coordinator.request(Api.joinGroup, {
        groupId: this.groupId,
        sessionTimeoutMs: this.sessionTimeoutMs,
        rebalanceTimeoutMs: 30_000,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        // Every member must share a protocol: offer the common eager assignors (KafkaJS calls
        // its round-robin one 'RoundRobinAssigner'); as leader this member always computes a
        // range assignment, which is a valid answer for any of them.
        protocols: ASSIGNORS.map((name) => ({ name, metadata: encodeSubscription([this.topic]) })),
        reason: null,
      });
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `join group ${this.groupId}`);
      this.memberId = res.memberId;
      this.generationId = res.generationId;
      let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
      if (res.leader === res.memberId) {
        const members = res.members.map((mb) => ({ memberId: mb.memberId, topics: subscribedTopics(mb.metadata) }));
        const counts = new Map<string, number>();
        for (const t of new Set(members.flatMap((mb) => mb.topics))) counts.set(t, await this.partitionCount(t));
        assignments = [...rangeAssign(members, counts)].map(([memberId, assigned]) => ({ memberId, assignment: encodeAssignment(assigned) }));
      }
      const sync = await this.coordinator.request(Api.syncGroup, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: res.protocolName,
        assignments,
      });
      if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || sync.errorCode === ErrorCode.ILLEGAL_GENERATION) continue;
      if (sync.errorCode !== ErrorCode.NONE) throw new KafkaError(sync.errorCode, `sync group ${this.groupId}`);
      this.assigned = (decodeConsumerAssignment(sync.assignment).find((t) => t.topic === this.topic)?.partitions ?? []).sort((a, b) => a - b);
      this.lastHeartbeatMs = Date.now();
      return this.assigned;
    }
    throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS, `join group ${this.groupId}: no stable generation after ${MAX_JOIN_ATTEMPTS} attempts`);
  }

  /** Heartbeats when due; true when the group is rebalancing and this member must rejoin. */
  async heartbeatIfDue(): Promise<boolean> {
    if (Date.now() - this.lastHeartbeatMs < this.sessionTimeoutMs / 4) return false;
    const res = await this.coordinator.request(Api.heartbeat, {
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
    });
    this.lastHeartbeatMs = Date.now();
    if (res.errorCode === ErrorCode.NONE) return false;
    if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || res.errorCode === ErrorCode.ILLEGAL_GENERATION) return true;
    if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.memberId = '';
      return true;
    }
    throw new KafkaError(res.errorCode, `heartbeat in group ${this.groupId}`);
  }

  /** Commits as this member of this generation; false when a rebalance made it stale. */
  async commit(offsets: Map<number, bigint>): Promise<boolean> {
    const res = await this.coordinator.request(Api.offsetCommit, {
      groupId: this.groupId,
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: this.topic,
          partitions: [...offsets].map(([p, o]) => ({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
        },
      ],
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || p.errorCode === ErrorCode.ILLEGAL_GENERATION || p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) return false;
        if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `commit ${t.name}-${p.partitionIndex} for group ${this.groupId}`);
      }
    }
    return true;
  }

  async leave(): Promise<void> {
    if (this.memberId === '') return;
    await this.coordinator
      .request(Api.leaveGroup, { groupId: this.groupId, memberId: this.memberId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'strata consume exiting' }] })
      .catch(() => undefined);
    this.memberId = '';
  }
}
