// Thread: main. The cluster metadata every broker reads: cluster id, topics (id, partition
// count, config overrides), producer-id blocks and ids of deleted topics whose remote objects
// may remain. One interface, two engines: LocalMetadataStore (one JSON file, a single broker)
// and RedisMetadataStore (shared by every broker of a cluster). Reads are synchronous, from an
// in-memory snapshot, so request handlers never wait on storage; writes are asynchronous and
// resolve once durable (file replaced / Redis answered), with the snapshot already updated.
// test/helpers/metadata-store-contract.ts is the behaviour both must have.
import crypto from 'node:crypto';
import { z } from 'zod';

export const topicRecordSchema = z.object({
  topicId: z.string().regex(/^[0-9a-f]{32}$/),
  partitions: z.number().int().min(1),
  configs: z.record(z.string(), z.string()),
  createdAtMs: z.number(),
});

export type TopicRecord = z.infer<typeof topicRecordSchema>;

/** A topic created, deleted or altered (partitions, configs) through any broker. */
export interface MetadataChange {
  kind: 'created' | 'deleted' | 'altered';
  name: string;
}

export type MetadataChangeListener = (change: MetadataChange) => void;

/** createTopic's answer: the topic under that name, and whether this call created it. */
export interface CreateTopicOutcome {
  /** False: the name was taken (by an earlier or a concurrent creation, on any broker). */
  created: boolean;
  /** This call's record, or the record of the topic that already held the name. */
  topic: TopicRecord;
}

/** Producer ids handed out per block; a broker allocates from its own block. */
export const PRODUCER_ID_BLOCK = 1000;

export interface MetadataStore {
  readonly kind: 'local' | 'redis';
  /**
   * Connects and loads the first snapshot (RedisMetadataStore); rejects with
   * STRATA_ERR_CLUSTER_ID_MISMATCH or STRATA_ERR_METADATA_STORE_UNAVAILABLE. No-op when the
   * store was ready at construction (LocalMetadataStore.open). Reads are valid after it.
   */
  start(): Promise<void>;
  readonly clusterId: string;
  /** Sorted names of every topic in the snapshot. */
  topicNames(): string[];
  topic(name: string): TopicRecord | undefined;
  /** Fetch v13+ names topics by id on every request: an index, not a scan of all topics. */
  topicNameById(topicId: string): string | undefined;
  /** Ids of deleted topics whose remote objects may still exist (see deleteTopic). */
  deletedTopicIds(): readonly string[];

  /** Creates a topic with a fresh id unless the name is taken; race-free across brokers. */
  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<CreateTopicOutcome>;
  /** Re-creates a topic with its original id (tiered storage); false when the name is taken. */
  restoreTopic(name: string, record: TopicRecord): Promise<boolean>;
  /**
   * Deletes a topic (only if its id is `topicId`, when given); returns the removed record, or
   * undefined when there was none. `tombstone`: its objects in object storage are still to be
   * removed; the id is remembered (deletedTopicIds) until forgetDeletedTopic.
   */
  deleteTopic(name: string, options?: { tombstone?: boolean; topicId?: string }): Promise<TopicRecord | undefined>;
  /** The deleted topic's remote objects are gone: its id need not be remembered any more. */
  forgetDeletedTopic(topicId: string): Promise<void>;
  /** Raises the partition count; the new record, or undefined when there is no such topic or it already has at least that many. */
  setPartitionCount(name: string, partitions: number): Promise<TopicRecord | undefined>;
  /** Replaces the topic's config overrides; the resulting record, undefined if no such topic. */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord | undefined>;
  /** A producer id no other call, on this broker or any other, has been or will be given. */
  allocateProducerId(): Promise<number>;

  /** Called for every change of a topic, made through this store or any other; returns an unsubscribe function. */
  onChange(listener: MetadataChangeListener): () => void;
  close(): Promise<void>;
}

/** Kafka's base64url cluster id of 16 random bytes, 22 characters. */
export function newClusterId(): string {
  return crypto.randomBytes(16).toString('base64url');
}

/** A topic id: 16 random bytes, never all zero, as 32 hex characters. */
export function newTopicId(): string {
  let id: Buffer;
  do id = crypto.randomBytes(16);
  while (id.every((b) => b === 0));
  return id.toString('hex');
}

/** The listeners of onChange; a throwing listener never stops the others nor the write. */
export class ChangeListeners {
  private readonly listeners = new Set<MetadataChangeListener>();

  add(listener: MetadataChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: MetadataChange, onError?: (err: unknown) => void): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        onError?.(err);
      }
    }
  }
}

/**
 * The changes that turn snapshot `before` into `after`, by topic name: a name whose id changed
 * was deleted and created again.
 */
export function snapshotChanges(before: ReadonlyMap<string, TopicRecord>, after: ReadonlyMap<string, TopicRecord>): MetadataChange[] {
  const out: MetadataChange[] = [];
  for (const [name, old] of before) {
    const now = after.get(name);
    if (now === undefined) out.push({ kind: 'deleted', name });
    else if (now.topicId !== old.topicId) out.push({ kind: 'deleted', name }, { kind: 'created', name });
    else if (now.partitions !== old.partitions || !sameConfigs(now.configs, old.configs)) out.push({ kind: 'altered', name });
  }
  for (const name of after.keys()) if (!before.has(name)) out.push({ kind: 'created', name });
  return out;
}

function sameConfigs(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
