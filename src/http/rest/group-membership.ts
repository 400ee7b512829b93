// Thread: main. A REST consumer instance as a real member of a classic consumer group, through
// the KafkaBridge: JoinGroup (with MEMBER_ID_REQUIRED), the leader's range assignment, SyncGroup,
// Heartbeat, LeaveGroup — the wire protocol's "consumer" type, so it shares a group with KafkaJS,
// librdkafka or Java members (it offers range, roundrobin and KafkaJS's RoundRobinAssigner with
// one subscription; as leader it always answers a range assignment, valid for each of them).
import { encodeAssignment, encodeSubscription, rangeAssign } from '../../cli/client/group-member.js';
import { decodeConsumerAssignment } from '../../cli/client/kafka-client.js';
import { decodeConsumerProtocolSubscription } from '../../protocol/generated/data/consumer-protocol-subscription.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import type { HeartbeatResponse } from '../../protocol/generated/messages/12-heartbeat.js';
import type { JoinGroupResponse } from '../../protocol/generated/messages/11-join-group.js';
import type { SyncGroupResponse } from '../../protocol/generated/messages/14-sync-group.js';
import { Reader } from '../../protocol/reader.js';
import type { BridgeCaller, KafkaBridge } from '../kafka-bridge.js';
import { ApiKey, callApi, type TopicPartition } from './bridge-client.js';
import { kafkaErrorName } from './rest-producer.js';
import { RestErrors } from './rest-errors.js';

const MAX_JOIN_ATTEMPTS = 20;
const ASSIGNORS = ['range', 'roundrobin', 'RoundRobinAssigner'];
export const SESSION_TIMEOUT_MS = 10_000;
export const REBALANCE_TIMEOUT_MS = 30_000;

function subscribedTopics(metadata: Buffer): string[] {
  try {
    const r = new Reader(metadata);
    const version = Math.min(r.int16(), 3);
    return decodeConsumerProtocolSubscription(r, version).topics;
  } catch {
    return [];
  }
}

export class GroupMembership {
  memberId = '';
  generationId = -1;
  assigned: TopicPartition[] = [];
  /** Set while the bridge calls of this member must stop (instance deleted). */
  readonly signal = { closed: false };

  constructor(
    private readonly bridge: KafkaBridge,
    private readonly caller: BridgeCaller,
    readonly groupId: string,
    /** Partition count of a topic (the leader needs them); 0 when it does not exist. */
    private readonly partitionCount: (topic: string) => number,
  ) {}

  get member(): boolean {
    return this.generationId >= 0 && this.memberId !== '';
  }

  /** Joins (or rejoins) with these topics and returns this member's partitions. */
  async join(topics: string[]): Promise<TopicPartition[]> {
    this.generationId = -1;
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS && !this.signal.closed; attempt++) {
      const metadata = encodeSubscription(topics);
      const res = await callApi<JoinGroupResponse>(
        this.bridge,
        ApiKey.joinGroup,
        {
          groupId: this.groupId,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: ASSIGNORS.map((name) => ({ name, metadata })),
          reason: null,
        },
        this.caller,
        undefined,
        this.signal,
      );
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (res.errorCode !== ErrorCode.NONE) throw RestErrors.kafkaRetriable(`JoinGroup ${this.groupId}: ${kafkaErrorName(res.errorCode)}`);
      this.memberId = res.memberId;
      const generationId = res.generationId;
      let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
      if (res.leader === res.memberId) {
        const members = res.members.map((mb) => ({ memberId: mb.memberId, topics: subscribedTopics(mb.metadata) }));
        const counts = new Map<string, number>();
        for (const t of new Set(members.flatMap((mb) => mb.topics))) counts.set(t, this.partitionCount(t));
        assignments = [...rangeAssign(members, counts)].map(([memberId, assigned]) => ({ memberId, assignment: encodeAssignment(assigned) }));
      }
      const sync = await callApi<SyncGroupResponse>(
        this.bridge,
        ApiKey.syncGroup,
        { groupId: this.groupId, generationId, memberId: this.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: res.protocolName, assignments },
        this.caller,
        undefined,
        this.signal,
      );
      if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || sync.errorCode === ErrorCode.ILLEGAL_GENERATION) continue;
      if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (sync.errorCode !== ErrorCode.NONE) throw RestErrors.kafkaRetriable(`SyncGroup ${this.groupId}: ${kafkaErrorName(sync.errorCode)}`);
      this.generationId = generationId;
      this.assigned = decodeConsumerAssignment(sync.assignment)
        .flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })))
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      return this.assigned;
    }
    throw RestErrors.kafkaRetriable(`JoinGroup ${this.groupId}: no stable generation after ${MAX_JOIN_ATTEMPTS} attempts`);
  }

  /** One heartbeat: true when the group is rebalancing and this member must rejoin. */
  async heartbeat(): Promise<boolean> {
    if (!this.member) return false;
    const res = await callApi<HeartbeatResponse>(
      this.bridge,
      ApiKey.heartbeat,
      { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null },
      this.caller,
      undefined,
      this.signal,
    );
    if (res.errorCode === ErrorCode.NONE) return false;
    if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.FENCED_INSTANCE_ID) this.memberId = '';
    return true;
  }

  async leave(): Promise<void> {
    if (this.memberId === '') return;
    const memberId = this.memberId;
    this.memberId = '';
    this.generationId = -1;
    this.assigned = [];
    await this.bridge
      .call(ApiKey.leaveGroup, { groupId: this.groupId, memberId, members: [{ memberId, groupInstanceId: null, reason: 'REST consumer instance deleted' }] }, this.caller)
      .catch(() => undefined);
  }
}
