// Thread: main. Moving partitions between brokers by hand: what AlterPartitionReassignments /
// ListPartitionReassignments (Kafka's kafka-reassign-partitions, admin clients) and
// `strata cluster move` ask for. A request names the partition's new leader (the first replica
// of the list); the controller moves it (partition-assignment.ts, rule "reassign") through the
// bucket (partition-handoff.ts) and keeps it there afterwards (a pin balancing respects).
import type { PartitionId } from '../ipc/partition-id.js';
import { partitionId } from '../ipc/partition-id.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { HandoffStore } from './handoff-store.js';
import type { LeadershipStore } from './leadership-store.js';
import type { MoveRequests } from './move-requests.js';

export interface ReassignmentAnswer {
  errorCode: number;
  errorMessage: string | null;
}

/** A move not finished yet: the partition's target and the broker it is leaving. */
export interface OngoingReassignment {
  topic: string;
  partition: number;
  /** The requested (or planned) leader. */
  target: number;
  /** Its leader now, or the broker still handing it over. */
  source: number;
}

export interface ReassignmentsOptions {
  requests: MoveRequests;
  leadership: LeadershipStore;
  handoffs: HandoffStore;
  liveBrokers: () => number[];
  /** Topic id, partition count and whether its partitions may move (remote storage), by name. */
  topic: (name: string) => { topicId: string; partitions: number; movable: boolean } | undefined;
  topicNames: () => string[];
}

export class Reassignments {
  constructor(private readonly opts: ReassignmentsOptions) {}

  /** Asks for a partition's leader to become replicas[0]; replicas null cancels a pending move. */
  async request(topicName: string, partition: number, replicas: readonly number[] | null): Promise<ReassignmentAnswer> {
    const answer = (errorCode: number, errorMessage: string | null = null): ReassignmentAnswer => ({ errorCode, errorMessage });
    const topic = this.opts.topic(topicName);
    if (topic === undefined || partition < 0 || partition >= topic.partitions) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topicName}-${partition}`);
    const id = partitionId(topic.topicId, partition);
    const current = this.opts.leadership.get(id);
    if (replicas === null) {
      const ongoing = (await this.ongoingFor(id)) !== undefined;
      const cancelled = await this.opts.requests.cancel(id);
      return ongoing && cancelled ? answer(ErrorCode.NONE) : answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'no reassignment is in progress for this partition');
    }
    const live = new Set(this.opts.liveBrokers());
    if (replicas.length === 0 || new Set(replicas).size !== replicas.length) return answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replicas ${JSON.stringify(replicas)}: give distinct broker ids, the new leader first`);
    const missing = replicas.filter((r) => !live.has(r));
    if (missing.length > 0) return answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replicas ${JSON.stringify(replicas)}: broker ${missing.join(', ')} is not a live broker of this cluster`);
    const target = replicas[0]!;
    if (current?.leader === target) {
      if (topic.movable) await this.opts.requests.requestLeader(id, target);
      return answer(ErrorCode.NONE);
    }
    if (!topic.movable) {
      return answer(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `${topicName}-${partition} stays on broker ${current?.leader ?? 'none'}: its topic keeps its data on local disk only (set remote.storage.enable=true so its partitions can move through object storage)`,
      );
    }
    await this.opts.requests.requestLeader(id, target);
    return answer(ErrorCode.NONE);
  }

  /** Moves not finished: requested ones, and handoffs under way (balancing, draining). */
  async ongoing(filter?: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<OngoingReassignment[]> {
    const [requested, epochs] = await Promise.all([this.opts.requests.requestedLeaders(), this.opts.handoffs.epochs()]);
    const out: OngoingReassignment[] = [];
    const wanted = filter && new Map(filter.map((f) => [f.topic, new Set(f.partitions)]));
    for (const name of this.opts.topicNames()) {
      const topic = this.opts.topic(name);
      if (topic === undefined || (wanted !== undefined && !wanted.has(name))) continue;
      for (let p = 0; p < topic.partitions; p++) {
        if (wanted !== undefined && !wanted.get(name)!.has(p)) continue;
        const o = this.describe(partitionId(topic.topicId, p), requested, epochs);
        if (o !== undefined) out.push({ topic: name, partition: p, ...o });
      }
    }
    return out;
  }

  private async ongoingFor(id: PartitionId): Promise<{ target: number; source: number } | undefined> {
    const [requested, epochs] = await Promise.all([this.opts.requests.requestedLeaders(), this.opts.handoffs.epochs()]);
    return this.describe(id, requested, epochs);
  }

  private describe(id: PartitionId, requested: ReadonlyMap<PartitionId, number>, epochs: ReadonlyMap<PartitionId, number>): { target: number; source: number } | undefined {
    const l = this.opts.leadership.get(id);
    if (l === undefined) return undefined;
    const handingOver = l.from !== undefined && epochs.get(id) !== l.epoch;
    if (handingOver) return { target: l.leader, source: l.from! };
    const want = requested.get(id);
    if (want !== undefined && want !== l.leader && this.opts.liveBrokers().includes(want)) return { target: want, source: l.leader };
    return undefined;
  }
}
