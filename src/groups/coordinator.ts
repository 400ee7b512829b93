// Thread: main. The classic group coordinator (Kafka's GroupCoordinator): JoinGroup /
// SyncGroup / Heartbeat / LeaveGroup state machine over ClassicGroup, session and rebalance
// timeouts, static membership with fencing, committed offsets through an OffsetStore, and
// clean-up of expired offsets and groups. Handlers (src/router/handlers/NN-*.ts) turn wire
// requests into calls here and results back into version-specific responses.
//
// Availability: the coordinator serves only while its store is available and the stored
// groups are loaded; otherwise every group request answers COORDINATOR_NOT_AVAILABLE at once.
// While unavailable no session expires (members cannot heartbeat); when the store returns,
// every member's session deadline starts afresh, as after a coordinator move in Kafka.
//
// Cluster mode (groups spread over the live brokers, src/cluster/group-placement.ts): a group
// lives in the memory of the broker that coordinates it. When the live brokers change, the
// broker calls onOwnershipChange(): a group this broker no longer coordinates is forgotten
// (waiting JoinGroup/SyncGroup answered NOT_COORDINATOR, timers cancelled); its offsets stay in
// the store. A group that comes (back) to a broker starts clean there, its members rejoin (one
// rebalance), and its generation starts above every generation it ever had: each generation
// handed out is recorded in the store (recordGeneration) and a group coming into memory starts
// at the store's floor (generationFloor), so clients never see a generation go backwards.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import { kafkaCodeFor } from '../errors.js';
import { ClassicGroup, GroupMember, subscribedTopics, type GroupState, type JoinResult, type MemberProtocol, type SyncResult } from './classic-group.js';
import { OffsetStoreUnavailableError, type OffsetStore, type PartitionOffset, type PartitionRef } from './offset-store.js';

export interface GroupCoordinatorConfig {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  maxGroupSize: number;
  offsetMetadataMaxBytes: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
}

/** What the coordinator needs to know about topics. */
export interface TopicLookup {
  /** Partition count, or undefined when the topic does not exist. */
  partitionCount(topic: string): number | undefined;
  /** Topic id of `topic`, or undefined when it does not exist. */
  topicId(topic: string): string | undefined;
  /** name → topic id of every topic (to notice deletions). */
  topicIds(): Map<string, string>;
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+ without an instance id: hand out a member id first (MEMBER_ID_REQUIRED). */
  requireKnownMemberId: boolean;
  reason: string | null;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: Array<MemberIdentity & { errorCode: number }>;
}

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number; metadata: string | null }>;
}

export interface GroupSummary {
  groupId: string;
  errorCode: number;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>;
}

const SESSION_TICK_MS = 100;
const TOPIC_WATCH_EVERY_TICKS = 20;

/**
 * The Kafka error code a group request answers when the offset store fails: the catalogue's
 * code for STRATA_ERR_OFFSET_STORE_UNAVAILABLE (COORDINATOR_NOT_AVAILABLE, retriable). Any other
 * store failure answers the same (clients retry it) but is a surprise, so it is logged with its
 * stack instead of being answered silently.
 */
function storeErrorCode(err: unknown, logger: Logger, op: string): number {
  if (!(err instanceof OffsetStoreUnavailableError)) logger.error({ err, op }, 'offset store failed unexpectedly: answering COORDINATOR_NOT_AVAILABLE');
  return kafkaCodeFor('STRATA_ERR_OFFSET_STORE_UNAVAILABLE');
}

function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, members: [], skipAssignment: false };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  private loaded = false;
  private loading: Promise<void> | undefined;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private knownTopics = new Map<string, string>();
  private cleaning: Promise<void> | undefined;
  /** Groups coming into memory while their generation floor is read from the store. */
  private readonly creating = new Map<string, Promise<ClassicGroup | number>>();
  /**
   * Whether this broker coordinates the group (cluster mode spreads groups over the live
   * brokers, src/router/handlers/coordinator-placement.ts); requests for another broker's groups
   * answer NOT_COORDINATOR so clients look the coordinator up again. A single broker owns all.
   */
  ownsGroup: (groupId: string) => boolean = () => true;
  /** With Redis: writes back what this broker stored for consumer groups, after Redis lost its data (offset-write-back.ts). */
  writeBackAfterDataLoss: (() => Promise<{ groups: number; offsets: number }>) | undefined;

  constructor(
    readonly store: OffsetStore,
    private readonly config: GroupCoordinatorConfig,
    private readonly topics: TopicLookup,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    this.store.onAvailabilityChange((available) => {
      if (!available || this.stopped) return;
      if (!this.loaded) void this.load();
      else this.refreshAllSessions();
    });
    await this.store.open();
    if (this.store.available()) await this.load();
    this.knownTopics = this.topics.topicIds();
    this.tickTimer = setInterval(() => this.checkSessions(), SESSION_TICK_MS);
    this.tickTimer.unref();
    this.cleanupTimer = setInterval(() => void this.cleanup(), Math.min(this.config.offsetsRetentionCheckIntervalMs, 2 ** 31 - 1));
    this.cleanupTimer.unref();
    this.logger.info({ store: this.store.kind, available: this.available(), groups: this.groups.size }, 'group coordinator started');
  }

  /** Reads every stored group; until done the coordinator is unavailable. */
  private load(): Promise<void> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const ids = await this.store.listGroups();
        const now = this.now();
        for (const id of ids) {
          if (this.groups.has(id)) continue;
          const stored = await this.store.loadGroup(id);
          const floor = await this.store.generationFloor(id);
          // A generation handed out after the stored one (the coordinator stopped before storing its
          // assignment) supersedes the stored state: start Empty above it, the members rejoin.
          const group = stored && stored.generationId >= floor ? ClassicGroup.fromStored(id, stored, now) : new ClassicGroup(id, now);
          group.generationId = Math.max(group.generationId, floor);
          group.coordinated = this.ownsGroup(id);
          this.groups.set(id, group);
        }
        this.loaded = true;
        this.logger.info({ groups: this.groups.size, store: this.store.kind }, 'consumer groups loaded');
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'loading consumer groups failed; retrying when the store is back');
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** COORDINATOR_NOT_AVAILABLE (store down), NOT_COORDINATOR (another broker's group) or NONE. */
  private refusal(groupId: string): number {
    if (!this.available()) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (!this.ownsGroup(groupId)) return ErrorCode.NOT_COORDINATOR;
    const held = this.groups.get(groupId);
    if (held !== undefined && !held.coordinated) this.forget(held, 'coordinated here now; the state held before may be stale');
    return ErrorCode.NONE;
  }

  /**
   * The live brokers changed (cluster mode): forgets every group this broker no longer
   * coordinates, and every group it coordinates now but did not before (its state is stale).
   * A group forgotten here starts clean if it comes back; its offsets stay in the store.
   */
  onOwnershipChange(): void {
    if (this.stopped) return;
    for (const group of [...this.groups.values()]) {
      if (!this.ownsGroup(group.groupId)) this.forget(group, 'another broker coordinates it now');
      else if (!group.coordinated) this.forget(group, 'coordinated here now; the state held before may be stale');
    }
  }

  /**
   * Drops the group's in-memory state: waiting JoinGroup/SyncGroup answered NOT_COORDINATOR (the
   * clients look the coordinator up again), the join timer cancelled, member sessions gone with
   * it. Marked Dead so a store write in flight for it (an assignment) completes nothing.
   */
  private forget(group: ClassicGroup, reason: string): void {
    clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    group.initialDelay = undefined;
    group.transition('Dead', this.now());
    for (const m of group.members.values()) {
      this.answerJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
      this.answerSync(m, syncError(ErrorCode.NOT_COORDINATOR));
    }
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
    this.logger.info({ group: group.groupId, generationId: group.generationId, members: group.size, reason }, 'group state dropped');
  }

  /**
   * A group not in memory yet, created with its generation at the store's floor; the group that
   * came into memory meanwhile, if any; or the error code to answer (store down, ownership moved).
   */
  private newGroup(groupId: string): Promise<ClassicGroup | number> {
    const pending = this.creating.get(groupId);
    if (pending) return pending;
    const creating = (async (): Promise<ClassicGroup | number> => {
      let floor: number;
      try {
        floor = await this.store.generationFloor(groupId);
      } catch (err) {
        return storeErrorCode(err, this.logger, 'generationFloor');
      } finally {
        this.creating.delete(groupId);
      }
      const refused = this.refusal(groupId);
      if (refused !== ErrorCode.NONE) return refused;
      const existing = this.groups.get(groupId);
      if (existing) return existing;
      const group = new ClassicGroup(groupId, this.now());
      group.generationId = floor;
      this.groups.set(groupId, group);
      return group;
    })();
    this.creating.set(groupId, creating);
    return creating;
  }

  available(): boolean {
    return this.loaded && !this.stopped && this.store.available();
  }

  /** Answers every waiting JoinGroup/SyncGroup (NOT_COORDINATOR) so shutdown is not held up. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tickTimer);
    clearInterval(this.cleanupTimer);
    for (const g of this.groups.values()) {
      clearTimeout(g.joinTimer);
      for (const m of g.members.values()) {
        this.answerJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        this.answerSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  async close(): Promise<void> {
    this.shutdown();
    while (this.cleaning) await this.cleaning;
    await this.store.close();
  }

  private refreshAllSessions(): void {
    const now = this.now();
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) m.heartbeatDeadlineMs = now + m.sessionTimeoutMs;
      for (const id of g.pendingMembers.keys()) g.pendingMembers.set(id, now + this.config.maxSessionTimeoutMs);
    }
  }

  // ---------------------------------------------------------------- JoinGroup

  join(p: JoinGroupParams): Promise<JoinResult> {
    const refused = this.refusal(p.groupId);
    if (refused !== ErrorCode.NONE) return Promise.resolve(joinError(p.memberId, refused));
    if (p.groupId === '') return Promise.resolve(joinError(p.memberId, ErrorCode.INVALID_GROUP_ID));
    if (p.sessionTimeoutMs < this.config.minSessionTimeoutMs || p.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const group = this.groups.get(p.groupId);
    if (!group) {
      if (p.memberId !== '') return Promise.resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return this.newGroup(p.groupId).then((g) => (typeof g === 'number' ? joinError(p.memberId, g) : this.joinGroup(g, p)));
    }
    return this.joinGroup(group, p);
  }

  private joinGroup(group: ClassicGroup, p: JoinGroupParams): Promise<JoinResult> {
    const unknownMember = p.memberId === '';
    if (group.state === 'Dead') return Promise.resolve(joinError(p.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) {
      return Promise.resolve(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    return unknownMember ? this.joinUnknownMember(group, p) : this.joinKnownMember(group, p);
  }

  private joinUnknownMember(group: ClassicGroup, p: JoinGroupParams): Promise<JoinResult> {
    const memberId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) return this.joinStaticMember(group, memberId, p);
    if (p.requireKnownMemberId) {
      if (group.size >= this.config.maxGroupSize) return Promise.resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      group.pendingMembers.set(memberId, this.now() + p.sessionTimeoutMs);
      return Promise.resolve(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, memberId, p);
  }

  private joinStaticMember(group: ClassicGroup, newMemberId: string, p: JoinGroupParams): Promise<JoinResult> {
    const instanceId = p.groupInstanceId!;
    const oldMemberId = group.staticMembers.get(instanceId);
    const member = oldMemberId === undefined ? undefined : group.members.get(oldMemberId);
    if (!member) return this.addMemberAndRebalance(group, newMemberId, p);
    // A restarted (or duplicate) instance takes over the member: the old id is fenced.
    const leaderBefore = group.leaderId;
    this.answerJoin(member, joinError(member.memberId, ErrorCode.FENCED_INSTANCE_ID));
    this.answerSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    group.members.delete(member.memberId);
    member.memberId = newMemberId;
    group.members.set(newMemberId, member);
    group.staticMembers.set(instanceId, newMemberId);
    if (group.leaderId === oldMemberId) group.leaderId = newMemberId;
    this.logger.info({ group: group.groupId, instanceId, oldMemberId, memberId: newMemberId }, 'static member replaced');
    if (group.state === 'Stable') {
      const oldProtocols = member.protocols;
      member.protocols = p.protocols;
      if (group.selectProtocol() === group.protocolName) {
        // Same selected protocol: no rebalance, the member gets its assignment back in SyncGroup.
        this.updateMemberSettings(member, p);
        member.heartbeatDeadlineMs = this.now() + member.sessionTimeoutMs;
        this.persist(group);
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          generationId: group.generationId,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          // The previous leader id: a rejoining static leader must not run an assignment that a
          // Stable group would never hand out.
          leaderId: leaderBefore ?? '',
          memberId: newMemberId,
          members: [],
          skipAssignment: false,
        });
      }
      member.protocols = oldProtocols;
    }
    if (group.state === 'Empty' || group.state === 'Dead') return Promise.resolve(joinError(newMemberId, ErrorCode.UNKNOWN_MEMBER_ID));
    return this.updateMemberAndRebalance(group, member, p, `static member ${instanceId} rejoined with new protocols`);
  }

  private joinKnownMember(group: ClassicGroup, p: JoinGroupParams): Promise<JoinResult> {
    if (group.pendingMembers.has(p.memberId)) {
      group.pendingMembers.delete(p.memberId);
      return this.addMemberAndRebalance(group, p.memberId, p);
    }
    const member = group.members.get(p.memberId);
    if (!member) return Promise.resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.isStaticMemberFenced(p.memberId, p.groupInstanceId)) return Promise.resolve(joinError(p.memberId, ErrorCode.FENCED_INSTANCE_ID));
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, p, `member ${p.memberId} rejoined`);
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // Probably lost the JoinGroup response: answer it again for the current generation.
          return Promise.resolve(this.joinResultFor(group, member));
        }
        return this.updateMemberAndRebalance(group, member, p, `member ${p.memberId} changed protocols`);
      case 'Stable':
        if (p.memberId === group.leaderId || !member.matches(p.protocols)) {
          return this.updateMemberAndRebalance(group, member, p, p.memberId === group.leaderId ? 'leader rejoined' : `member ${p.memberId} changed protocols`);
        }
        member.heartbeatDeadlineMs = this.now() + member.sessionTimeoutMs;
        return Promise.resolve({ ...this.joinResultFor(group, member), members: [] });
      default:
        return Promise.resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private updateMemberSettings(member: GroupMember, p: JoinGroupParams): void {
    member.protocols = p.protocols;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
  }

  private awaitJoin(member: GroupMember): Promise<JoinResult> {
    // A second JoinGroup from the same member supersedes the first (the client gave up on it).
    this.answerJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    return new Promise((resolve) => {
      member.joinWaiter = resolve;
    });
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, p: JoinGroupParams): Promise<JoinResult> {
    if (group.size >= this.config.maxGroupSize) return Promise.resolve(joinError(memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
    const member = new GroupMember(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.sessionTimeoutMs, p.rebalanceTimeoutMs, p.protocols);
    member.heartbeatDeadlineMs = this.now() + p.sessionTimeoutMs;
    if (group.size === 0) group.protocolType = p.protocolType;
    group.members.set(memberId, member);
    if (p.groupInstanceId !== null) group.staticMembers.set(p.groupInstanceId, memberId);
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = memberId;
    group.newMemberAdded = true;
    const result = this.awaitJoin(member);
    this.logger.debug({ group: group.groupId, memberId, instanceId: p.groupInstanceId, clientId: p.clientId }, 'member joining');
    this.maybePrepareRebalance(group, `member ${memberId} joined${p.reason ? ` (${p.reason})` : ''}`);
    return result;
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, p: JoinGroupParams, reason: string): Promise<JoinResult> {
    this.updateMemberSettings(member, p);
    const result = this.awaitJoin(member);
    this.maybePrepareRebalance(group, p.reason ? `${reason} (${p.reason})` : reason);
    return result;
  }

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') this.prepareRebalance(group, reason);
    else if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.state === 'CompletingRebalance') this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    const wasEmpty = group.state === 'Empty';
    group.transition('PreparingRebalance', this.now());
    clearTimeout(group.joinTimer);
    const rebalanceTimeoutMs = group.maxRebalanceTimeoutMs();
    if (wasEmpty && this.config.initialRebalanceDelayMs > 0) {
      const delayMs = Math.min(this.config.initialRebalanceDelayMs, rebalanceTimeoutMs);
      group.initialDelay = { delayMs, remainingMs: Math.max(rebalanceTimeoutMs - delayMs, 0) };
      group.newMemberAdded = false;
      this.armJoinTimer(group, delayMs);
    } else {
      group.initialDelay = undefined;
      this.armJoinTimer(group, rebalanceTimeoutMs);
    }
    this.logger.info({ group: group.groupId, generationId: group.generationId, members: group.size, reason }, 'preparing rebalance');
    this.maybeCompleteJoin(group);
  }

  private armJoinTimer(group: ClassicGroup, ms: number): void {
    clearTimeout(group.joinTimer);
    group.joinTimer = setTimeout(() => this.onJoinDeadline(group), ms);
    group.joinTimer.unref();
  }

  private onJoinDeadline(group: ClassicGroup): void {
    group.joinTimer = undefined;
    if (group.state !== 'PreparingRebalance' || this.stopped) return;
    const delay = group.initialDelay;
    if (delay && group.newMemberAdded && delay.remainingMs > 0) {
      group.newMemberAdded = false;
      const next = Math.min(this.config.initialRebalanceDelayMs, delay.remainingMs);
      group.initialDelay = { delayMs: next, remainingMs: Math.max(delay.remainingMs - next, 0) };
      this.armJoinTimer(group, next);
      return;
    }
    this.completeJoin(group);
  }

  private maybeCompleteJoin(group: ClassicGroup): void {
    if (group.state === 'PreparingRebalance' && !group.initialDelay && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    group.initialDelay = undefined;
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin) this.removeMember(group, m, 'did not rejoin within the rebalance timeout');
    }
    const now = this.now();
    group.generationId++;
    this.recordGeneration(group);
    if (group.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', now);
      this.logger.info({ group: group.groupId, generationId: group.generationId }, 'group is empty');
      this.persist(group);
      return;
    }
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value!;
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance', now);
    this.logger.info(
      { group: group.groupId, generationId: group.generationId, protocol: group.protocolName, leader: group.leaderId, members: group.size },
      'rebalance: join phase complete',
    );
    for (const m of group.members.values()) {
      m.heartbeatDeadlineMs = now + m.sessionTimeoutMs;
      this.answerJoin(m, this.joinResultFor(group, m));
    }
  }

  private joinResultFor(group: ClassicGroup, member: GroupMember): JoinResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName ?? '') }))
        : [],
      skipAssignment: false,
    };
  }

  private answerJoin(member: GroupMember, result: JoinResult): void {
    const waiter = member.joinWaiter;
    member.joinWaiter = undefined;
    waiter?.(result);
  }

  private answerSync(member: GroupMember, result: SyncResult): void {
    const waiter = member.syncWaiter;
    member.syncWaiter = undefined;
    waiter?.(result);
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) {
      m.assignment = Buffer.alloc(0);
      this.answerSync(m, syncError(errorCode));
    }
  }

  /** Takes a member out of the group (no state transition; callers decide). */
  private removeMember(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.answerJoin(member, joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    this.answerSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.members.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leaderId === member.memberId) {
      const next = [...group.members.values()].find((m) => m.awaitingJoin) ?? group.members.values().next().value;
      group.leaderId = next?.memberId ?? null;
    }
    this.logger.info({ group: group.groupId, memberId: member.memberId, instanceId: member.groupInstanceId, reason }, 'member removed');
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.removeMember(group, member, reason);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, `member ${member.memberId} left: ${reason}`);
        break;
      case 'PreparingRebalance':
        this.maybeCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  /** Records the generation just handed out in the background (the floor for a later coordinator). */
  private recordGeneration(group: ClassicGroup): void {
    this.store.recordGeneration(group.groupId, group.generationId).catch((err: unknown) =>
      this.logger.warn({ group: group.groupId, generationId: group.generationId, err: (err as Error).message }, 'recording the generation failed'),
    );
  }

  /** Saves the group's metadata in the background (a failure is logged; offsets are unaffected). */
  private persist(group: ClassicGroup, assignments?: Map<string, Buffer>): Promise<void> {
    const saving = this.store.saveGroup(group.groupId, group.toStored(assignments));
    saving.catch((err: unknown) => this.logger.warn({ group: group.groupId, err: (err as Error).message }, 'saving group metadata failed'));
    return saving;
  }

  // ---------------------------------------------------------------- SyncGroup

  /** Finds the group and member of a request, or the error code to answer with. */
  private validateMember(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number):
    | { group: ClassicGroup; member: GroupMember }
    | { errorCode: number } {
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return { errorCode: refused };
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (group.state === 'Dead') return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const member = group.members.get(memberId);
    if (!member) {
      if (groupInstanceId !== null && group.staticMembers.has(groupInstanceId)) return { errorCode: ErrorCode.FENCED_INSTANCE_ID };
      return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    }
    if (group.isStaticMemberFenced(memberId, groupInstanceId)) return { errorCode: ErrorCode.FENCED_INSTANCE_ID };
    if (generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    return { group, member };
  }

  sync(p: SyncGroupParams): Promise<SyncResult> {
    const v = this.validateMember(p.groupId, p.memberId, p.groupInstanceId, p.generationId);
    if ('errorCode' in v) return Promise.resolve(syncError(v.errorCode));
    const { group, member } = v;
    if ((p.protocolType !== null && p.protocolType !== group.protocolType) || (p.protocolName !== null && p.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        member.heartbeatDeadlineMs = this.now() + member.sessionTimeoutMs;
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      case 'CompletingRebalance': {
        this.answerSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const result = new Promise<SyncResult>((resolve) => {
          member.syncWaiter = resolve;
        });
        if (member.memberId === group.leaderId) this.applyLeaderAssignment(group, p.assignments);
        return result;
      }
      default:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private applyLeaderAssignment(group: ClassicGroup, given: SyncGroupParams['assignments']): void {
    const assignments = new Map<string, Buffer>();
    for (const a of given) if (group.members.has(a.memberId)) assignments.set(a.memberId, a.assignment);
    for (const id of group.members.keys()) if (!assignments.has(id)) assignments.set(id, Buffer.alloc(0));
    const generationId = group.generationId;
    const current = () => group.state === 'CompletingRebalance' && group.generationId === generationId && !this.stopped;
    this.persist(group, assignments).then(
      () => {
        if (!current()) return;
        for (const m of group.members.values()) {
          m.assignment = assignments.get(m.memberId) ?? Buffer.alloc(0);
          this.answerSync(m, { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
        }
        group.transition('Stable', this.now());
        this.logger.info({ group: group.groupId, generationId, members: group.size, protocol: group.protocolName }, 'group stable');
      },
      (err: unknown) => {
        if (!current()) return;
        this.resetAndPropagateAssignmentError(group, storeErrorCode(err, this.logger, 'syncGroup'));
        this.prepareRebalance(group, 'storing the assignment failed');
      },
    );
  }

  // ---------------------------------------------------------------- Heartbeat, LeaveGroup

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const v = this.validateMember(groupId, memberId, groupInstanceId, generationId);
    if ('errorCode' in v) return v.errorCode;
    const { group, member } = v;
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        member.heartbeatDeadlineMs = this.now() + member.sessionTimeoutMs;
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        member.heartbeatDeadlineMs = this.now() + member.sessionTimeoutMs;
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        return ErrorCode.UNKNOWN_MEMBER_ID;
    }
  }

  leave(groupId: string, leaving: Array<MemberIdentity & { reason?: string | null }>): LeaveResult {
    const echo = (code: number) => leaving.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: code }));
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return { errorCode: refused, members: echo(refused) };
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: echo(ErrorCode.UNKNOWN_MEMBER_ID) };
    if (group.state === 'Dead') return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: echo(ErrorCode.COORDINATOR_NOT_AVAILABLE) };
    const members = leaving.map((l) => {
      const out = { memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.NONE as number };
      let memberId = l.memberId;
      if (l.groupInstanceId !== null) {
        const current = group.staticMembers.get(l.groupInstanceId);
        if (current === undefined) {
          out.errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
          return out;
        }
        if (memberId !== '' && memberId !== current) {
          out.errorCode = ErrorCode.FENCED_INSTANCE_ID;
          return out;
        }
        memberId = current;
      }
      if (group.pendingMembers.delete(memberId)) {
        this.maybeCompleteJoin(group);
        return out;
      }
      const member = group.members.get(memberId);
      if (!member) {
        out.errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        return out;
      }
      this.removeMemberAndUpdateGroup(group, member, `left the group${l.reason ? ` (${l.reason})` : ''}`);
      return out;
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  // ---------------------------------------------------------------- sessions and clean-up

  /** Expires members and pending member ids whose session ran out (every 100 ms; public for tests). */
  checkSessions(): void {
    if (this.stopped || !this.available()) return;
    const now = this.now();
    for (const group of [...this.groups.values()]) {
      if (!group.coordinated) continue;
      if (!this.ownsGroup(group.groupId)) {
        // A membership change whose onOwnershipChange() has not come (yet): never expire members
        // (and store an Empty group) for a group another broker coordinates.
        this.forget(group, 'another broker coordinates it now');
        continue;
      }
      for (const [id, deadline] of group.pendingMembers) {
        if (now > deadline) {
          group.pendingMembers.delete(id);
          this.maybeCompleteJoin(group);
        }
      }
      for (const m of [...group.members.values()]) {
        if (m.joinWaiter || m.syncWaiter || now <= m.heartbeatDeadlineMs) continue;
        if (!group.members.has(m.memberId)) continue;
        this.removeMemberAndUpdateGroup(group, m, `session timeout (${m.sessionTimeoutMs} ms) expired`);
      }
    }
    if (++this.ticks % TOPIC_WATCH_EVERY_TICKS === 0) this.watchTopics();
  }

  /** Drops committed offsets of topics deleted (or deleted and re-created) since the last look. */
  private watchTopics(): void {
    const current = this.topics.topicIds();
    const gone: string[] = [];
    for (const [name, id] of this.knownTopics) if (current.get(name) !== id) gone.push(name);
    this.knownTopics = current;
    if (gone.length > 0) void this.cleanup(new Set(gone));
  }

  /**
   * Deletes offsets of deleted topics (`deletedTopics`, or every topic that no longer exists)
   * and expired offsets of empty groups; removes empty groups left without offsets.
   */
  cleanup(deletedTopics?: Set<string>): Promise<void> {
    if (this.cleaning || !this.available()) return this.cleaning ?? Promise.resolve();
    this.cleaning = (async () => {
      // Yield first: with no groups the body would otherwise finish (and clear `cleaning` in
      // `finally`) before the assignment above, leaving a settled promise that close() awaits forever.
      await Promise.resolve();
      const now = this.now();
      const retentionMs = this.config.offsetsRetentionMs;
      let removedOffsets = 0;
      let removedGroups = 0;
      try {
        for (const group of [...this.groups.values()]) {
          if (this.stopped) return;
          if (!group.coordinated || !this.ownsGroup(group.groupId)) continue; // its coordinator cleans it up
          const offsets = await this.store.fetchOffsets(group.groupId, null);
          const expired = offsets.filter((o) => {
            if (deletedTopics ? deletedTopics.has(o.topic) : this.topics.partitionCount(o.topic) === undefined) return true;
            if (deletedTopics || group.state !== 'Empty') return false;
            const base = group.protocolType === null ? o.committed.commitTimestampMs : Math.max(o.committed.commitTimestampMs, group.stateTimestampMs);
            return base + retentionMs <= now;
          });
          if (expired.length > 0) {
            removedOffsets += await this.store.deleteOffsets(group.groupId, expired);
          }
          if (!deletedTopics && group.state === 'Empty' && offsets.length === expired.length && group.pendingMembers.size === 0) {
            group.transition('Dead', now);
            try {
              await this.store.deleteGroup(group.groupId);
            } catch (err) {
              group.transition('Empty', now);
              throw err;
            }
            this.groups.delete(group.groupId);
            removedGroups++;
          }
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'offset clean-up stopped early');
      } finally {
        this.cleaning = undefined;
      }
      if (removedOffsets || removedGroups) this.logger.info({ removedOffsets, removedGroups }, 'expired offsets and groups removed');
    })();
    return this.cleaning;
  }

  // ---------------------------------------------------------------- offsets

  /** One error code per entry of `p.offsets`, in order. All valid offsets are stored atomically. */
  async commitOffsets(p: CommitParams): Promise<number[]> {
    const all = (code: number) => p.offsets.map(() => code);
    const refused = this.refusal(p.groupId);
    if (refused !== ErrorCode.NONE) return all(refused);
    if (p.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    let group = this.groups.get(p.groupId);
    if (!group) {
      if (p.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      const created = await this.newGroup(p.groupId); // offsets-only (simple consumer) group
      if (typeof created === 'number') return all(created);
      group = created;
    }
    if (group.state === 'Dead') {
      return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } else if (!(p.generationId < 0 && group.state === 'Empty')) {
      if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
        const v = this.validateMember(p.groupId, p.memberId, p.groupInstanceId, p.generationId);
        if ('errorCode' in v) return all(v.errorCode);
        if (group.state === 'CompletingRebalance') return all(ErrorCode.REBALANCE_IN_PROGRESS);
        v.member.heartbeatDeadlineMs = this.now() + v.member.sessionTimeoutMs;
      } else {
        return all(ErrorCode.UNKNOWN_MEMBER_ID); // the group is managed by members: anonymous commits are refused
      }
    }
    const codes = all(ErrorCode.NONE);
    const valid: PartitionOffset[] = [];
    const now = this.now();
    p.offsets.forEach((o, i) => {
      const count = this.topics.partitionCount(o.topic);
      if (count === undefined || o.partition < 0 || o.partition >= count) codes[i] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (o.metadata !== null && Buffer.byteLength(o.metadata) > this.config.offsetMetadataMaxBytes) codes[i] = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      else valid.push({ topic: o.topic, partition: o.partition, committed: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestampMs: now } });
    });
    if (valid.length === 0) return codes;
    // Remember which incarnation of each topic these offsets belong to: a delete and re-create
    // between two topic watches still changes the id and drops the offsets.
    for (const o of valid) {
      if (!this.knownTopics.has(o.topic)) this.knownTopics.set(o.topic, this.topics.topicId(o.topic)!);
    }
    try {
      await this.store.commitOffsets(p.groupId, valid);
    } catch (err) {
      const code = storeErrorCode(err, this.logger, 'commitOffsets');
      return codes.map((c) => (c === ErrorCode.NONE ? code : c));
    }
    return codes;
  }

  /** Committed offsets (all of the group's when `partitions` is null); offsets of deleted topics are left out. */
  async fetchOffsets(groupId: string, partitions: PartitionRef[] | null): Promise<{ errorCode: number; offsets: PartitionOffset[] }> {
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return { errorCode: refused, offsets: [] };
    try {
      const offsets = await this.store.fetchOffsets(groupId, partitions);
      return { errorCode: ErrorCode.NONE, offsets: partitions === null ? offsets.filter((o) => this.topics.partitionCount(o.topic) !== undefined) : offsets };
    } catch (err) {
      return { errorCode: storeErrorCode(err, this.logger, 'fetchOffsets'), offsets: [] };
    }
  }

  /** OffsetDelete: a top-level error code and one code per partition. */
  async deleteOffsets(groupId: string, partitions: PartitionRef[]): Promise<{ errorCode: number; codes: number[] }> {
    const none = { codes: partitions.map(() => ErrorCode.NONE as number) };
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return { errorCode: refused, ...none };
    const group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, ...none };
    const codes = none.codes;
    let subscribed: Set<string> | 'all' = new Set();
    if (group.protocolType === 'consumer') {
      for (const m of group.members.values()) {
        const meta = group.protocolName ? m.metadataFor(group.protocolName) : m.protocols[0]?.metadata;
        const topics = meta ? subscribedTopics(meta) : undefined;
        if (!topics) {
          subscribed = 'all';
          break;
        }
        for (const t of topics) subscribed.add(t);
      }
    } else if (group.state !== 'Empty') {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, codes };
    }
    const deletable: PartitionRef[] = [];
    partitions.forEach((p, i) => {
      if (subscribed === 'all' || subscribed.has(p.topic)) codes[i] = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
      else if (this.topics.partitionCount(p.topic) === undefined) codes[i] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else deletable.push(p);
    });
    if (deletable.length > 0) {
      try {
        await this.store.deleteOffsets(groupId, deletable);
      } catch (err) {
        return { errorCode: storeErrorCode(err, this.logger, 'deleteOffsets'), codes };
      }
    }
    return { errorCode: ErrorCode.NONE, codes };
  }

  // ---------------------------------------------------------------- admin

  listGroups(): { errorCode: number; groups: Array<{ groupId: string; protocolType: string; state: GroupState }> } {
    if (!this.available()) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const groups = [...this.groups.values()]
      .filter((g) => g.state !== 'Dead' && g.coordinated && this.ownsGroup(g.groupId))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }));
    return { errorCode: ErrorCode.NONE, groups };
  }

  describeGroup(groupId: string): GroupSummary {
    const base = { groupId, protocolType: '', protocolName: '', members: [] };
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return { ...base, errorCode: refused, state: 'Dead' };
    const group = this.groups.get(groupId);
    if (!group) return { ...base, errorCode: ErrorCode.NONE, state: 'Dead' };
    const stable = group.state === 'Stable';
    const empty = Buffer.alloc(0);
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(group.protocolName ?? '') : empty,
        assignment: stable ? m.assignment : empty,
      })),
    };
  }

  async deleteGroup(groupId: string): Promise<number> {
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return refused;
    const group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== 'Empty' || group.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    const now = this.now();
    group.transition('Dead', now);
    try {
      await this.store.deleteGroup(groupId);
    } catch (err) {
      group.transition('Empty', now);
      return storeErrorCode(err, this.logger, 'deleteGroup');
    }
    clearTimeout(group.joinTimer);
    if (this.groups.get(groupId) === group) this.groups.delete(groupId);
    this.logger.info({ group: groupId }, 'group deleted');
    return ErrorCode.NONE;
  }

  /** For tests and metrics: the group's state and generation, if it exists. */
  peek(groupId: string): { state: GroupState; generationId: number; members: number; leaderId: string | null } | undefined {
    const g = this.groups.get(groupId);
    return g && { state: g.state, generationId: g.generationId, members: g.size, leaderId: g.leaderId };
  }
}
