// Thread: main. State of one classic consumer group (Kafka's GroupMetadata): members with
// their offered protocols and assignments, static instance ids, members still owed a member
// id (MEMBER_ID_REQUIRED), the generation, the selected protocol and the leader. Pure data
// and queries; the transitions live in coordinator.ts.
import type { StoredGroup, StoredMember } from './offset-store.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string;
  memberId: string;
  /** Filled for the leader only: every member and its metadata for the selected protocol. */
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
  skipAssignment: boolean;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

const EMPTY = Buffer.alloc(0);

export class GroupMember {
  assignment: Buffer = EMPTY;
  /** Set while a JoinGroup of this member waits for the rebalance to complete. */
  joinWaiter: ((result: JoinResult) => void) | undefined;
  /** Set while a SyncGroup of this member waits for the leader's assignment. */
  syncWaiter: ((result: SyncResult) => void) | undefined;
  /** Session expiry (ms since epoch); ignored while a join or sync is pending. */
  heartbeatDeadlineMs = 0;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public sessionTimeoutMs: number,
    public rebalanceTimeoutMs: number,
    public protocols: MemberProtocol[],
  ) {}

  get awaitingJoin(): boolean {
    return this.joinWaiter !== undefined;
  }

  /** Same protocols with the same metadata, in the same order. */
  matches(protocols: MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  metadataFor(protocolName: string): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY;
  }

  toStored(assignment: Buffer = this.assignment): StoredMember {
    return {
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.clientId,
      clientHost: this.clientHost,
      sessionTimeoutMs: this.sessionTimeoutMs,
      rebalanceTimeoutMs: this.rebalanceTimeoutMs,
      protocols: this.protocols.map((p) => ({ name: p.name, metadata: p.metadata.toString('base64') })),
      assignment: assignment.toString('base64'),
    };
  }

  static fromStored(s: StoredMember): GroupMember {
    const m = new GroupMember(
      s.memberId,
      s.groupInstanceId,
      s.clientId,
      s.clientHost,
      s.sessionTimeoutMs,
      s.rebalanceTimeoutMs,
      s.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata, 'base64') })),
    );
    m.assignment = Buffer.from(s.assignment, 'base64');
    return m;
  }
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  stateTimestampMs: number;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → current member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined → expiry deadline. */
  readonly pendingMembers = new Map<string, number>();
  /** The running join phase's deadline timer. */
  joinTimer: NodeJS.Timeout | undefined;
  /** While the first rebalance of an empty group waits for more members (group.initial.rebalance.delay.ms). */
  initialDelay: { delayMs: number; remainingMs: number } | undefined;
  newMemberAdded = false;
  /**
   * False while this broker holds the group without having coordinated it throughout: loaded at
   * start-up before the cluster view said who coordinates it. Such state may be stale (another
   * broker may have run the group since), so it is forgotten before this broker serves the group.
   */
  coordinated = true;

  constructor(
    readonly groupId: string,
    nowMs: number,
  ) {
    this.stateTimestampMs = nowMs;
  }

  transition(state: GroupState, nowMs: number): void {
    this.state = state;
    this.stateTimestampMs = nowMs;
  }

  get size(): number {
    return this.members.size;
  }

  /** Could a member offering `protocols` of `protocolType` join? (Kafka's supportsProtocols.) */
  supportsProtocols(protocolType: string, protocols: MemberProtocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => this.allMembersSupport(p.name));
  }

  private allMembersSupport(name: string): boolean {
    for (const m of this.members.values()) if (!m.protocols.some((p) => p.name === name)) return false;
    return true;
  }

  /** Every member votes for its most preferred protocol that all members support. */
  selectProtocol(): string | null {
    const first = this.members.values().next().value as GroupMember | undefined;
    if (!first) return null;
    const candidates = first.protocols.map((p) => p.name).filter((n) => this.allMembersSupport(n));
    if (candidates.length === 0) return null;
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => votes.has(p.name));
      if (choice) votes.set(choice.name, votes.get(choice.name)! + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
    return best;
  }

  hasAllMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    return this.staticMembers.get(groupInstanceId) !== memberId;
  }

  toStored(assignments?: Map<string, Buffer>): StoredGroup {
    return {
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      generationId: this.generationId,
      leaderId: this.leaderId,
      stateTimestampMs: this.stateTimestampMs,
      members: [...this.members.values()].map((m) => m.toStored(assignments?.get(m.memberId) ?? m.assignment)),
    };
  }

  static fromStored(groupId: string, s: StoredGroup, nowMs: number): ClassicGroup {
    const g = new ClassicGroup(groupId, s.stateTimestampMs);
    g.protocolType = s.protocolType;
    g.protocolName = s.protocolName;
    g.generationId = s.generationId;
    g.leaderId = s.leaderId;
    for (const sm of s.members) {
      const m = GroupMember.fromStored(sm);
      m.heartbeatDeadlineMs = nowMs + m.sessionTimeoutMs;
      g.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    if (g.members.size > 0 && g.protocolName !== null) g.state = 'Stable';
    else {
      g.members.clear();
      g.staticMembers.clear();
      g.leaderId = null;
      g.protocolName = null;
      g.state = 'Empty';
    }
    return g;
  }
}

/**
 * Topics named in a consumer-protocol subscription (ConsumerProtocolSubscription: int16
 * version, then an array of int16-length strings). Undefined when the bytes do not parse.
 */
export function subscribedTopics(metadata: Buffer): string[] | undefined {
  try {
    if (metadata.length < 6) return undefined;
    let pos = 2;
    const n = metadata.readInt32BE(pos);
    pos += 4;
    if (n < 0 || n > metadata.length) return undefined;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = metadata.readInt16BE(pos);
      pos += 2;
      if (len < 0 || pos + len > metadata.length) return undefined;
      topics.push(metadata.toString('utf8', pos, pos + len));
      pos += len;
    }
    return topics;
  } catch {
    return undefined;
  }
}
