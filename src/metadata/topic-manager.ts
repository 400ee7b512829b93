// Thread: main. Topic lifecycle for the admin and data handlers: create (with configs,
// validate-only), delete, add partitions, alter configs, auto-creation, and the mapping
// from (topic, partition) to the partition worker's key and spec.
import { partitionId } from '../ipc/partition-id.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { LogConfig, PartitionSpec } from '../ipc/tasks.js';
import { describeError, toKafkaErrorCode } from '../errors.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { PartitionEngine } from '../partitions/partition-engine.js';
import type { MetadataStore, TopicRecord } from './metadata-store.js';
import { isTopicConfig, resolveLogConfig, validateTopicConfig } from './topic-configs.js';

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** A Kafka error outcome: data, not an exception. */
export interface KafkaFailure {
  errorCode: number;
  errorMessage: string;
}

function sameConfigs(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** A metadata store write that failed (Redis unreachable, disk error), as a Kafka error. */
function storeFailure(err: unknown): KafkaFailure {
  return { errorCode: toKafkaErrorCode(err), errorMessage: `Metadata could not be written: ${describeError(err)}` };
}

export function topicNameProblem(name: string | null): string | null {
  if (name === null || name.length === 0) return 'Topic name is empty';
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  if (!LEGAL_TOPIC_NAME.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}


export interface CreateTopicOptions {
  name: string;
  /** -1 = broker default (num.partitions). */
  numPartitions: number;
  /** -1 = broker default. */
  replicationFactor: number;
  configs: Array<{ name: string; value: string | null }>;
  hasAssignments: boolean;
  validateOnly: boolean;
}

export type CreateTopicResult = ({ ok: true; topic: TopicRecord; numPartitions: number } | ({ ok: false } & KafkaFailure));

/** Tiered storage's view of topic lifecycle (src/tier). */
export interface TopicTierHooks {
  /** Base offset for a partition directory that does not exist yet (the remote log end). */
  initialOffset(topicId: string, partition: number): number | undefined;
  topicChanged(name: string, topic: TopicRecord): Promise<void>;
  /** Removes the deleted topic's objects; true when they are all gone. */
  topicDeleted(name: string, topic: TopicRecord): Promise<boolean>;
}

export class TopicManager {
  /** Topics being created right now, so concurrent auto-creations share one creation. */
  private readonly creating = new Map<string, Promise<CreateTopicResult>>();
  /**
   * Topics whose partition directories are being removed right now. A topic of the same name
   * uses the same directories (`<name>-<p>`): its creation waits until they are gone, or the old
   * deletion would remove the new topic's logs (or the new one would recover the old records).
   */
  private readonly deleting = new Map<string, Promise<void>>();
  /**
   * Topics whose partitions this broker opened, with the record it opened them with: what a
   * change made through another broker (shared metadata store) is compared against.
   */
  private readonly hosted = new Map<string, TopicRecord>();
  /**
   * Live brokers a replication factor may reach: 1 for a single broker; the cluster's live
   * brokers in leadership mode (the factor is accepted, Metadata reports only the leader as
   * replica: what holds until brokers can take partitions over).
   */
  liveBrokerCount: () => number = () => 1;
  /** Topics this broker is altering right now: their change notifications are its own. */
  private readonly altering = new Set<string>();

  constructor(
    private readonly store: MetadataStore,
    private readonly engine: PartitionEngine,
    /** Tiered storage's hooks; undefined without object storage. */
    private readonly tier: TopicTierHooks | undefined,
    private readonly config: BrokerConfig,
    private readonly logDir: string,
    private readonly logger: Logger,
  ) {
    store.onChange((change) => this.changedElsewhere(change.name));
  }

  /**
   * A topic changed in the metadata store, possibly through another broker. Deleted (or deleted
   * and re-created) there: this broker's partitions of it are removed, or a topic created again
   * under the name would find the old records in `<name>-<p>`. Configs altered there: pushed to
   * the partitions open here. Partitions added there are not opened here: which broker serves
   * which partition is placement's decision.
   */
  private changedElsewhere(name: string): void {
    const mine = this.hosted.get(name);
    if (!mine || this.deleting.has(name) || this.creating.has(name) || this.altering.has(name)) return;
    const now = this.store.topic(name);
    if (now?.topicId !== mine.topicId) {
      this.hosted.delete(name);
      const removal = this.removeLocalData(name, mine)
        .then(() => this.logger.info({ topic: name, topicId: mine.topicId }, 'topic deleted through another broker: local partitions removed'))
        .catch((err: unknown) => this.logger.error({ err, topic: name, topicId: mine.topicId }, 'removing the partitions of a topic deleted through another broker failed'))
        .finally(() => {
          if (this.deleting.get(name) === removal) this.deleting.delete(name);
        });
      this.deleting.set(name, removal);
      return;
    }
    if (sameConfigs(now.configs, mine.configs)) return;
    const updated = { ...mine, configs: { ...now.configs } };
    this.hosted.set(name, updated);
    void Promise.all(Array.from({ length: updated.partitions }, (_, p) => this.engine.configure(this.spec(name, updated, p)))).then(
      () => this.logger.info({ topic: name, configs: updated.configs }, 'topic configs altered through another broker'),
      (err: unknown) => this.logger.warn({ err: describeError(err), topic: name }, 'applying topic configs altered through another broker failed'),
    );
  }

  names(): string[] {
    return this.store.topicNames();
  }

  get(name: string): TopicRecord | undefined {
    return this.store.topic(name);
  }

  nameById(topicIdHex: string): string | undefined {
    return this.store.topicNameById(topicIdHex);
  }

  /**
   * Durable topics (write-ahead objects, src/wal) roll their active segments at these at the
   * latest, so what a failover must rebuild from write-ahead objects stays bounded.
   */
  private durableSegmentCaps: { maxBytes: number; maxMs: number } | undefined;

  capDurableSegments(caps: { maxBytes: number; maxMs: number }): void {
    this.durableSegmentCaps = caps;
  }

  logConfig(topic: TopicRecord): LogConfig {
    const config = resolveLogConfig(topic.configs, this.config);
    const caps = this.durableSegmentCaps;
    if (caps === undefined || !config.remoteStorageEnable) return config;
    return { ...config, segmentBytes: Math.min(config.segmentBytes, caps.maxBytes), segmentMs: Math.min(config.segmentMs, caps.maxMs) };
  }

  spec(name: string, topic: TopicRecord, partition: number): PartitionSpec {
    return {
      key: partitionId(topic.topicId, partition),
      topic: name,
      topicId: topic.topicId,
      partition,
      dir: path.resolve(this.logDir, `${name}-${partition}`),
      config: this.logConfig(topic),
      initialOffset: this.tier?.initialOffset(topic.topicId, partition),
    };
  }

  /**
   * Opens every known partition on the worker slots (startup). `pageCacheIntact`: the kernel
   * has not restarted since the logs were last written (recovery may trust the page cache).
   */
  async openAll({ pageCacheIntact = false }: { pageCacheIntact?: boolean } = {}): Promise<number> {
    // Directories of deletions interrupted by a crash.
    for (const entry of fs.readdirSync(this.logDir)) {
      if (entry.endsWith('-delete')) await fs.promises.rm(path.join(this.logDir, entry), { recursive: true, force: true });
    }
    const specs: PartitionSpec[] = [];
    for (const name of this.store.topicNames()) {
      const topic = this.store.topic(name)!;
      for (let p = 0; p < topic.partitions; p++) specs.push({ ...this.spec(name, topic, p), pageCacheIntact });
      this.hosted.set(name, topic);
    }
    await this.engine.open(specs);
    return specs.length;
  }

  async create(opts: CreateTopicOptions): Promise<CreateTopicResult> {
    const fail = (errorCode: number, errorMessage: string): CreateTopicResult => ({ ok: false, errorCode, errorMessage });
    const nameProblem = topicNameProblem(opts.name);
    if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    // Everything after this wait is synchronous up to the creation's registration.
    const deletion = this.deleting.get(opts.name);
    if (deletion && !opts.validateOnly) await deletion.catch(() => undefined);
    if (this.store.topic(opts.name) || this.creating.has(opts.name)) {
      return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${opts.name}' already exists.`);
    }
    if (opts.hasAssignments) {
      return fail(ErrorCode.INVALID_REQUEST, 'Manual replica assignments are not supported by this single-broker cluster');
    }
    const numPartitions = opts.numPartitions === -1 ? this.config['num.partitions'] : opts.numPartitions;
    if (numPartitions < 1 || numPartitions > 100_000) {
      return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and 100000, got ${numPartitions}.`);
    }
    const rf = opts.replicationFactor === -1 ? this.config['default.replication.factor'] : opts.replicationFactor;
    if (rf < 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    const brokers = this.liveBrokerCount();
    if (rf > brokers) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers} broker(s) are registered.`);
    }
    const configs: Record<string, string> = {};
    for (const c of opts.configs) {
      const checked = validateTopicConfig(c.name, c.value);
      if (!checked.ok) return fail(ErrorCode.INVALID_CONFIG, checked.message);
      configs[c.name] = checked.value;
    }
    if (opts.validateOnly) return { ok: true, topic: { topicId: '0'.repeat(32), partitions: numPartitions, configs, createdAtMs: Date.now() }, numPartitions };
    const creation = this.doCreate(opts.name, numPartitions, configs);
    this.creating.set(opts.name, creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(opts.name);
    }
  }

  private async doCreate(name: string, numPartitions: number, configs: Record<string, string>): Promise<CreateTopicResult> {
    let outcome;
    try {
      outcome = await this.store.createTopic(name, numPartitions, configs);
    } catch (err) {
      return { ok: false, ...storeFailure(err) };
    }
    // Another broker created it first (the store is shared): that broker's topic stands.
    if (!outcome.created) return { ok: false, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${name}' already exists.` };
    const topic = outcome.topic;
    const specs = Array.from({ length: numPartitions }, (_, p) => this.spec(name, topic, p));
    this.hosted.set(name, topic);
    await this.engine.open(specs);
    if (this.tier && this.logConfig(topic).remoteStorageEnable) await this.tier.topicChanged(name, topic);
    this.logger.info({ topic: name, topicId: topic.topicId, partitions: numPartitions, configs }, 'topic created');
    return { ok: true, topic, numPartitions };
  }

  /** Auto-creates a topic with broker defaults, or waits for a creation in progress. */
  async ensure(name: string): Promise<TopicRecord | KafkaFailure> {
    const existing = this.store.topic(name);
    if (existing) return existing;
    const inFlight = this.creating.get(name);
    const result = inFlight
      ? await inFlight
      : await this.create({ name, numPartitions: -1, replicationFactor: -1, configs: [], hasAssignments: false, validateOnly: false });
    if (result.ok) return result.topic;
    if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && this.store.topic(name)) return this.store.topic(name)!;
    // The metadata store is unreachable: Metadata's "being created, ask again" code, as Kafka
    // answers while an auto-creation cannot complete yet.
    if (result.errorCode === ErrorCode.REQUEST_TIMED_OUT) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, errorMessage: result.errorMessage };
    return { errorCode: result.errorCode, errorMessage: result.errorMessage };
  }

  /**
   * Deletes a topic: gone from every metadata view (store, by name and by id) once the store
   * write resolves, before its data is removed; resolves once the data is gone. A creation of
   * the topic still in progress finishes first, so its partitions and its tier metadata object
   * are removed too; a creation of the same name arriving meanwhile waits for the whole deletion.
   */
  async delete(name: string): Promise<KafkaFailure | null> {
    if (!this.config['delete.topic.enable']) return { errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled.' };
    const creation = this.creating.get(name);
    if (creation) await creation.catch(() => undefined);
    const topic = this.store.topic(name);
    if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
    // Forget the topic first so no new request reaches its partitions, then remove the data.
    // With object storage the id stays tombstoned until the bucket no longer holds the topic,
    // or a restart would restore it from there. Registered before the store write, so that a
    // creation of the same name waits for the directories to be gone.
    // This broker's own deletion: the store's notification of it must not start a second
    // removal (changedElsewhere), which a local store sends before deleteTopic even returns.
    const hosted = this.hosted.get(name);
    this.hosted.delete(name);
    const deletion = (async (): Promise<{ removed: TopicRecord | undefined } | { failure: KafkaFailure }> => {
      let removed;
      try {
        removed = await this.store.deleteTopic(name, { tombstone: this.tier !== undefined, topicId: topic.topicId });
      } catch (err) {
        if (hosted && !this.hosted.has(name)) this.hosted.set(name, hosted);
        return { failure: storeFailure(err) };
      }
      // Also when another broker deleted it first: this broker's partitions of it are orphans.
      if (this.store.topic(name)?.topicId !== topic.topicId) await this.removeLocalData(name, topic);
      else if (hosted && !this.hosted.has(name)) this.hosted.set(name, hosted);
      return { removed };
    })();
    const settled = deletion.then(
      () => undefined,
      () => undefined,
    );
    this.deleting.set(name, settled);
    let outcome;
    try {
      outcome = await deletion;
    } finally {
      if (this.deleting.get(name) === settled) this.deleting.delete(name);
    }
    if ('failure' in outcome) return outcome.failure;
    const removed = outcome.removed;
    if (!removed) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
    if (this.tier && (await this.tier.topicDeleted(name, topic))) {
      await this.store.forgetDeletedTopic(topic.topicId).catch((err: unknown) => {
        // The tombstone stays; start-up removes the (already gone) objects again and forgets it.
        this.logger.warn({ err: describeError(err), topic: name, topicId: topic.topicId }, 'forgetting the deleted topic id failed');
      });
    }
    this.logger.info({ topic: name, topicId: topic.topicId }, 'topic deleted');
    return null;
  }

  /** Closes and removes the partition directories of a topic already gone from the store. */
  private async removeLocalData(name: string, topic: TopicRecord): Promise<void> {
    const keys = Array.from({ length: topic.partitions }, (_, p) => partitionId(topic.topicId, p));
    await this.engine.delete(keys);
    // A slot whose thread was replaced may not have had every partition open: remove leftovers.
    // Renamed synchronously, so a topic re-created under the same name meanwhile is never touched.
    const leftovers: string[] = [];
    for (let p = 0; p < topic.partitions && !this.store.topic(name); p++) {
      const dir = path.resolve(this.logDir, `${name}-${p}`);
      if (!fs.existsSync(dir)) continue;
      const doomed = `${dir}.${topic.topicId}-delete`;
      fs.renameSync(dir, doomed);
      leftovers.push(doomed);
    }
    await Promise.all(leftovers.map((d) => fs.promises.rm(d, { recursive: true, force: true })));
  }

  async createPartitions(name: string, count: number, hasAssignments: boolean, validateOnly: boolean): Promise<KafkaFailure | null> {
    const topic = this.store.topic(name);
    if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${name}' does not exist.` };
    if (hasAssignments) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Manual replica assignments are not supported by this single-broker cluster' };
    if (count <= topic.partitions) {
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        errorMessage: count === topic.partitions ? `Topic already has ${count} partitions.` : `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${count}.`,
      };
    }
    if (count > 100_000) return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Number of partitions must be at most 100000, got ${count}.` };
    if (validateOnly) return null;
    const from = topic.partitions;
    let grown;
    this.altering.add(name);
    try {
      grown = await this.store.setPartitionCount(name, count);
    } catch (err) {
      return storeFailure(err);
    } finally {
      this.altering.delete(name);
    }
    if (!grown) {
      // Deleted or grown by a concurrent request (on this broker or another) meanwhile.
      const now = this.store.topic(name);
      if (!now) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${name}' does not exist.` };
      return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic currently has ${now.partitions} partitions, which is higher than or equal to the requested ${count}.` };
    }
    // From the first partition not open here: another broker may have added some meanwhile, or
    // created the topic (not opened here until now; this broker then opens all of it, as at start-up).
    const hosted = this.hosted.get(name);
    const openFrom = hosted?.topicId === grown.topicId ? Math.min(hosted.partitions, from) : 0;
    const specs = Array.from({ length: count - openFrom }, (_, i) => this.spec(name, grown, openFrom + i));
    this.hosted.set(name, grown);
    await this.engine.open(specs);
    if (this.tier && this.logConfig(grown).remoteStorageEnable) await this.tier.topicChanged(name, grown);
    this.logger.info({ topic: name, from, to: count }, 'partitions added');
    return null;
  }

  /**
   * Cluster mode with partition leadership: opens here every partition of every topic in the
   * shared store that is not open here yet (topics created or grown through another broker), so
   * whichever of them the controller gives this broker can be served at once. Partitions this
   * broker does not lead stay empty (requests for them are refused before the engine).
   */
  async hostAll(): Promise<void> {
    const specs: PartitionSpec[] = [];
    for (const name of this.store.topicNames()) {
      if (this.creating.has(name) || this.deleting.has(name) || this.altering.has(name)) continue;
      const topic = this.store.topic(name)!;
      const hosted = this.hosted.get(name);
      const openFrom = hosted?.topicId === topic.topicId ? hosted.partitions : 0;
      if (openFrom >= topic.partitions) continue;
      for (let p = openFrom; p < topic.partitions; p++) specs.push(this.spec(name, topic, p));
      this.hosted.set(name, topic);
    }
    if (specs.length > 0) await this.engine.open(specs);
  }

  /** Validates a whole new set of overrides; returns the normalised set or a failure. */
  validateConfigs(entries: Array<{ name: string; value: string | null }>): { ok: true; configs: Record<string, string> } | ({ ok: false } & KafkaFailure) {
    const configs: Record<string, string> = {};
    for (const e of entries) {
      if (!isTopicConfig(e.name)) return { ok: false, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown topic config name: ${e.name}` };
      const checked = validateTopicConfig(e.name, e.value);
      if (!checked.ok) return { ok: false, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: checked.message };
      configs[e.name] = checked.value;
    }
    return { ok: true, configs };
  }

  /** Replaces the topic's overrides and pushes the new log settings to its partitions. */
  async setConfigs(name: string, configs: Record<string, string>): Promise<KafkaFailure | null> {
    let updated;
    this.altering.add(name);
    try {
      updated = await this.store.setTopicConfigs(name, configs);
    } catch (err) {
      return storeFailure(err);
    } finally {
      this.altering.delete(name);
    }
    if (!updated) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` };
    // The partitions open here (partitions another broker added are not).
    const hosted = this.hosted.get(name);
    const open = hosted?.topicId === updated.topicId ? hosted.partitions : 0;
    if (hosted && open > 0) this.hosted.set(name, { ...hosted, configs: updated.configs });
    await Promise.all(Array.from({ length: open }, (_, p) => this.engine.configure(this.spec(name, updated, p))));
    if (this.tier && this.logConfig(updated).remoteStorageEnable) await this.tier.topicChanged(name, updated);
    this.logger.info({ topic: name, configs }, 'topic configs altered');
    return null;
  }
}
