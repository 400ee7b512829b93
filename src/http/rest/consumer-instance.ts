// Thread: main. One v2 consumer instance: its config (format, auto.offset.reset, auto commit,
// fetch.min.bytes, request timeout), a subscription (a group member, group-membership.ts,
// heartbeating on a timer and rejoining when the group rebalances) or a manual assignment,
// and its positions. GET …/records runs one Fetch through the bridge from the positions and
// decodes the batches into records; auto commit commits the positions delivered by the
// previous poll, as a Kafka consumer's auto commit does.
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { decodeRecordBatches, type DecodedRecord } from '../../protocol/records.js';
import type { BridgeCaller, KafkaBridge } from '../kafka-bridge.js';
import {
  commitOffsets,
  EARLIEST_TIMESTAMP,
  fetchCommitted,
  fetchRecords,
  LATEST_TIMESTAMP,
  listOffsets,
  tpKey,
  type TopicPartition,
} from './bridge-client.js';
import { GroupMembership, SESSION_TIMEOUT_MS } from './group-membership.js';
import { kafkaErrorName } from './rest-producer.js';
import { RestErrors } from './rest-errors.js';

export interface ConsumerConfig {
  format: 'binary' | 'json' | 'avro' | 'jsonschema' | 'protobuf';
  autoOffsetReset: 'earliest' | 'latest' | 'none';
  autoCommit: boolean;
  fetchMinBytes: number;
  requestTimeoutMs: number;
}

export interface FetchedRecord extends DecodedRecord {
  topic: string;
  partition: number;
}

const HEARTBEAT_INTERVAL_MS = SESSION_TIMEOUT_MS / 10;

export class ConsumerInstance {
  lastUsedMs = Date.now();
  private topics: string[] | null = null;
  private pattern: RegExp | null = null;
  private manual: TopicPartition[] | null = null;
  private readonly positions = new Map<string, TopicPartition & { offset: number }>();
  /** Positions as last committed by auto commit (so an unchanged one is not committed again). */
  private readonly autoCommitted = new Map<string, number>();
  private readonly membership: GroupMembership;
  private joining: Promise<void> | undefined;
  private rejoinNeeded = false;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private heartbeating = false;
  private closed = false;
  /** Operations that read or move positions run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly group: string,
    readonly name: string,
    readonly config: ConsumerConfig,
    private readonly bridge: KafkaBridge,
    private readonly caller: BridgeCaller,
    private readonly partitionCount: (topic: string) => number,
    private readonly topicNames: () => string[],
    private readonly logger: Logger,
  ) {
    this.membership = new GroupMembership(bridge, caller, group, partitionCount);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
  }

  /** Runs fn after the instance's earlier operations; marks the instance used. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.lastUsedMs = Date.now();
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  subscribe(topics: string[] | null, pattern: string | null): void {
    if (this.manual !== null) throw RestErrors.illegalState('Subscription to topics and manual assignment are mutually exclusive: delete the assignment first.');
    if (pattern !== null) {
      try {
        this.pattern = new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        throw RestErrors.badBody(`topic_pattern is not a regular expression: ${(err as Error).message}`);
      }
      this.topics = null;
    } else {
      this.topics = [...new Set(topics ?? [])];
      this.pattern = null;
    }
    this.rejoinNeeded = true;
    this.startJoin();
  }

  subscription(): string[] {
    if (this.topics !== null) return this.topics;
    if (this.pattern !== null) return this.subscribedTopics();
    return [];
  }

  async unsubscribe(): Promise<void> {
    this.topics = null;
    this.pattern = null;
    await this.joining?.catch(() => undefined);
    await this.membership.leave();
    this.positions.clear();
  }

  assign(partitions: TopicPartition[]): void {
    if (this.topics !== null || this.pattern !== null) throw RestErrors.illegalState('Subscription to topics and manual assignment are mutually exclusive: delete the subscription first.');
    for (const p of partitions) {
      const count = this.partitionCount(p.topic);
      if (count === 0) throw RestErrors.topicNotFound(p.topic);
      if (p.partition >= count) throw RestErrors.partitionNotFound(p.topic, p.partition);
    }
    this.manual = partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
    const keep = new Set(this.manual.map((p) => tpKey(p.topic, p.partition)));
    for (const k of this.positions.keys()) if (!keep.has(k)) this.positions.delete(k);
  }

  assignment(): TopicPartition[] {
    return this.manual ?? this.membership.assigned;
  }

  /** Sets positions (seek); every partition must be assigned to this instance. */
  seek(offsets: Array<TopicPartition & { offset: number }>): void {
    const assigned = new Set(this.assignment().map((p) => tpKey(p.topic, p.partition)));
    for (const o of offsets) {
      if (!assigned.has(tpKey(o.topic, o.partition))) throw RestErrors.illegalState(`Partition ${o.topic}-${o.partition} is not assigned to this consumer instance.`);
    }
    for (const o of offsets) this.positions.set(tpKey(o.topic, o.partition), { topic: o.topic, partition: o.partition, offset: o.offset });
  }

  async seekTo(partitions: TopicPartition[], where: 'beginning' | 'end'): Promise<void> {
    const offsets = await listOffsets(this.bridge, this.caller, partitions, where === 'beginning' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
    this.seek(
      partitions.map((p) => {
        const o = offsets.get(tpKey(p.topic, p.partition));
        if (o === undefined || o.errorCode !== ErrorCode.NONE) throw RestErrors.kafka(`Cannot find the ${where} of ${p.topic}-${p.partition}: ${kafkaErrorName(o?.errorCode ?? -1)}`);
        return { ...p, offset: o.offset };
      }),
    );
  }

  /**
   * Up to maxBytes of records from the positions, waiting up to timeoutMs for some, each passed
   * through render. A record render refuses stops the poll at it (its position stays): the
   * records before it are answered, or the render error when there are none.
   */
  async records<T>(timeoutMs: number, maxBytes: number, render: (r: FetchedRecord) => T | Promise<T>): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    if (this.rejoinNeeded) this.startJoin();
    if (this.joining !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.joining.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      if (this.joining !== undefined) return [];
    }
    const assigned = this.assignment();
    if (assigned.length === 0) return [];
    await this.resolvePositions(assigned);
    if (this.config.autoCommit) await this.autoCommit();
    const positions = assigned.map((p) => this.positions.get(tpKey(p.topic, p.partition))).filter((p) => p !== undefined);
    const res = await fetchRecords(this.bridge, this.caller, positions, { maxWaitMs: Math.max(0, deadline - Date.now()), minBytes: this.config.fetchMinBytes, maxBytes }, this.membership.signal);
    const out: T[] = [];
    let bytes = 0;
    let stopped = false;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const key = tpKey(t.topic, p.partitionIndex);
        const position = this.positions.get(key);
        if (position === undefined) continue;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          if (this.config.autoOffsetReset === 'none') throw RestErrors.kafka(`Offset ${position.offset} of ${t.topic}-${p.partitionIndex} is out of range and auto.offset.reset is none`);
          this.positions.delete(key);
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE || p.records === null || p.records.length === 0) continue;
        for (const batch of decodeRecordBatches(p.records)) {
          if (batch.isControl || stopped) continue;
          for (const r of batch.records) {
            if (r.offset < position.offset) continue;
            const size = (r.value?.length ?? 0) + (r.key?.length ?? 0);
            if (bytes > 0 && bytes + size > maxBytes) {
              stopped = true;
              break;
            }
            let rendered: T;
            try {
              rendered = await render({ ...r, topic: t.topic, partition: p.partitionIndex });
            } catch (err) {
              if (out.length === 0) throw err;
              return out;
            }
            bytes += size;
            out.push(rendered);
            position.offset = r.offset + 1;
          }
        }
      }
    }
    return out;
  }

  /** Commits the given offsets, or every position when none are given. */
  async commit(offsets: Array<TopicPartition & { offset: number; metadata?: string }> | undefined): Promise<void> {
    const list = offsets ?? [...this.positions.values()];
    if (list.length === 0) return;
    const member = this.manual === null && this.membership.member;
    const results = await commitOffsets(this.bridge, this.caller, this.group, member ? this.membership.generationId : -1, member ? this.membership.memberId : '', list);
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed !== undefined) {
      if (failed.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || failed.errorCode === ErrorCode.ILLEGAL_GENERATION || failed.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.rejoinNeeded = true;
        throw RestErrors.kafkaRetriable(`Commit failed: the group is rebalancing (${kafkaErrorName(failed.errorCode)}); poll again and retry`);
      }
      throw RestErrors.kafka(`Commit of ${failed.topic}-${failed.partition} failed: ${kafkaErrorName(failed.errorCode)}`);
    }
    for (const o of list) this.autoCommitted.set(tpKey(o.topic, o.partition), o.offset);
  }

  committed(partitions: TopicPartition[]): ReturnType<typeof fetchCommitted> {
    return fetchCommitted(this.bridge, this.caller, this.group, partitions);
  }

  /** Leaves the group (committing first with auto commit) and stops the heartbeats. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    if (this.config.autoCommit) await this.autoCommit().catch(() => undefined);
    this.membership.signal.closed = true;
    await this.membership.leave();
  }

  private subscribedTopics(): string[] {
    if (this.topics !== null) return this.topics;
    if (this.pattern === null) return [];
    const pattern = this.pattern;
    return this.topicNames().filter((t) => pattern.test(t)).sort();
  }

  private startJoin(): void {
    if (this.joining !== undefined || this.closed) return;
    const topics = this.subscribedTopics();
    if (this.topics === null && this.pattern === null) return;
    this.rejoinNeeded = false;
    this.joining = (async () => {
      if (this.config.autoCommit && this.membership.member) await this.autoCommit().catch(() => undefined);
      const assigned = await this.membership.join(topics);
      const keep = new Set(assigned.map((p) => tpKey(p.topic, p.partition)));
      for (const k of this.positions.keys()) if (!keep.has(k)) this.positions.delete(k);
    })()
      .catch((err: unknown) => {
        this.rejoinNeeded = true;
        this.logger.warn({ err, group: this.group, instance: this.name }, 'REST consumer join failed');
      })
      .finally(() => {
        this.joining = undefined;
      });
  }

  private async heartbeat(): Promise<void> {
    if (this.closed || this.heartbeating || this.joining !== undefined || !this.membership.member) return;
    this.heartbeating = true;
    try {
      if (await this.membership.heartbeat()) {
        this.rejoinNeeded = true;
        this.startJoin();
      }
    } catch (err) {
      this.logger.debug({ err, group: this.group }, 'REST consumer heartbeat failed');
    } finally {
      this.heartbeating = false;
    }
  }

  /** Positions of assigned partitions that have none: the committed offset, else auto.offset.reset. */
  private async resolvePositions(assigned: TopicPartition[]): Promise<void> {
    const missing = assigned.filter((p) => !this.positions.has(tpKey(p.topic, p.partition)));
    if (missing.length === 0) return;
    const committed = await fetchCommitted(this.bridge, this.caller, this.group, missing);
    const unset: TopicPartition[] = [];
    for (const p of missing) {
      const c = committed.find((x) => x.topic === p.topic && x.partition === p.partition);
      if (c !== undefined && c.errorCode === ErrorCode.NONE && c.offset >= 0) {
        this.positions.set(tpKey(p.topic, p.partition), { ...p, offset: c.offset });
        this.autoCommitted.set(tpKey(p.topic, p.partition), c.offset);
      } else unset.push(p);
    }
    if (unset.length === 0) return;
    if (this.config.autoOffsetReset === 'none') throw RestErrors.kafka(`No committed offset for ${unset.map((p) => `${p.topic}-${p.partition}`).join(', ')} and auto.offset.reset is none`);
    const offsets = await listOffsets(this.bridge, this.caller, unset, this.config.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
    for (const p of unset) {
      const o = offsets.get(tpKey(p.topic, p.partition));
      if (o !== undefined && o.errorCode === ErrorCode.NONE) this.positions.set(tpKey(p.topic, p.partition), { ...p, offset: o.offset });
    }
  }

  private async autoCommit(): Promise<void> {
    const changed = [...this.positions.values()].filter((p) => this.autoCommitted.get(tpKey(p.topic, p.partition)) !== p.offset);
    if (changed.length === 0) return;
    await this.commit(changed).catch((err: unknown) => this.logger.debug({ err, group: this.group }, 'REST consumer auto commit failed'));
  }
}
