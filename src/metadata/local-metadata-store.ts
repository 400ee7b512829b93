// Thread: main. The MetadataStore of a single broker: cluster id, topics (id, partition count,
// config overrides), the producer-id allocator and deleted-topic tombstones in one JSON
// document under the first log dir, replaced atomically (write temp, fsync, rename, fsync dir).
// Writes change the snapshot and the file synchronously, in call order; their promise resolves
// after the file replace (and rejects when it failed).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { StrataError } from '../errors.js';
import {
  ChangeListeners,
  newClusterId,
  newTopicId,
  PRODUCER_ID_BLOCK,
  topicRecordSchema,
  type CreateTopicOutcome,
  type MetadataChange,
  type MetadataChangeListener,
  type MetadataStore,
  type TopicRecord,
} from './metadata-store.js';

const metadataFileSchema = z.object({
  version: z.literal(1),
  clusterId: z.string(),
  /** Producer ids below this value may have been handed out; allocation resumes here. */
  producerIdBlockEnd: z.number().int().min(0),
  topics: z.record(z.string(), topicRecordSchema),
  /**
   * Ids of deleted topics whose objects in object storage (tiered storage) may still exist:
   * start-up must not restore them from the bucket. Dropped once the objects are gone.
   */
  deletedTopicIds: z.array(z.string().regex(/^[0-9a-f]{32}$/)).optional(),
});

type MetadataFile = z.infer<typeof metadataFileSchema>;

export class LocalMetadataStore implements MetadataStore {
  readonly kind = 'local';
  private data: MetadataFile;
  private nextProducerId: number;
  /** topic id → name, derived from data.topics and kept in step with it. */
  private readonly namesById = new Map<string, string>();
  private readonly listeners = new ChangeListeners();

  private constructor(
    private readonly file: string,
    data: MetadataFile,
  ) {
    this.data = data;
    this.nextProducerId = data.producerIdBlockEnd;
    for (const [name, t] of Object.entries(data.topics)) this.namesById.set(t.topicId, name);
  }

  /** Loads (or creates) the file; throws STRATA_ERR_CLUSTER_ID_MISMATCH when `clusterIdSetting` differs from the stored id. */
  static open(logDir: string, clusterIdSetting?: string): LocalMetadataStore {
    fs.mkdirSync(logDir, { recursive: true });
    const file = path.join(logDir, 'strata-metadata.json');
    let data: MetadataFile;
    if (fs.existsSync(file)) {
      const raw = fs.readFileSync(file, 'utf8');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (e) {
        throw new Error(`metadata file ${file} is not valid JSON: ${(e as Error).message}`);
      }
      const parsed = metadataFileSchema.safeParse(json);
      if (!parsed.success) throw new Error(`metadata file ${file} is invalid: ${z.prettifyError(parsed.error)}`);
      data = parsed.data;
      if (clusterIdSetting && clusterIdSetting !== data.clusterId) {
        throw new StrataError('STRATA_ERR_CLUSTER_ID_MISMATCH', `cluster.id ${clusterIdSetting} does not match the id ${data.clusterId} stored in ${file}`);
      }
    } else {
      data = { version: 1, clusterId: clusterIdSetting ?? newClusterId(), producerIdBlockEnd: 0, topics: {} };
    }
    const store = new LocalMetadataStore(file, data);
    // Reserve the next block of producer ids now, so ids are never reused after a crash.
    store.data.producerIdBlockEnd = store.nextProducerId + PRODUCER_ID_BLOCK;
    store.persist();
    return store;
  }

  async start(): Promise<void> {}

  get clusterId(): string {
    return this.data.clusterId;
  }

  topicNames(): string[] {
    return Object.keys(this.data.topics).sort();
  }

  topic(name: string): TopicRecord | undefined {
    return Object.hasOwn(this.data.topics, name) ? this.data.topics[name] : undefined;
  }

  topicNameById(topicId: string): string | undefined {
    return this.namesById.get(topicId);
  }

  deletedTopicIds(): readonly string[] {
    return this.data.deletedTopicIds ?? [];
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<CreateTopicOutcome> {
    return this.write<CreateTopicOutcome>(() => {
      const existing = this.topic(name);
      if (existing) return { result: { created: false, topic: existing } };
      const record: TopicRecord = { topicId: newTopicId(), partitions, configs: { ...configs }, createdAtMs: Date.now() };
      this.data.topics[name] = record;
      this.namesById.set(record.topicId, name);
      return { result: { created: true, topic: record }, change: { kind: 'created', name } };
    });
  }

  restoreTopic(name: string, record: TopicRecord): Promise<boolean> {
    return this.write(() => {
      if (this.topic(name)) return { result: false };
      this.data.topics[name] = { ...record, configs: { ...record.configs } };
      this.namesById.set(record.topicId, name);
      return { result: true, change: { kind: 'created', name } };
    });
  }

  deleteTopic(name: string, { tombstone = false, topicId }: { tombstone?: boolean; topicId?: string } = {}): Promise<TopicRecord | undefined> {
    return this.write(() => {
      const existing = this.topic(name);
      if (!existing || (topicId !== undefined && existing.topicId !== topicId)) return { result: undefined };
      this.namesById.delete(existing.topicId);
      if (tombstone) this.data.deletedTopicIds = [...(this.data.deletedTopicIds ?? []), existing.topicId];
      delete this.data.topics[name];
      return { result: existing, change: { kind: 'deleted', name } };
    });
  }

  forgetDeletedTopic(topicId: string): Promise<void> {
    return this.write(() => {
      const ids = this.data.deletedTopicIds ?? [];
      if (!ids.includes(topicId)) return { result: undefined };
      const rest = ids.filter((id) => id !== topicId);
      if (rest.length > 0) this.data.deletedTopicIds = rest;
      else delete this.data.deletedTopicIds;
      return { result: undefined, persist: true };
    });
  }

  setPartitionCount(name: string, partitions: number): Promise<TopicRecord | undefined> {
    return this.write(() => {
      const existing = this.topic(name);
      if (!existing || partitions <= existing.partitions) return { result: undefined };
      const updated = { ...existing, partitions };
      this.data.topics[name] = updated;
      return { result: updated, change: { kind: 'altered', name } };
    });
  }

  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord | undefined> {
    return this.write(() => {
      const existing = this.topic(name);
      if (!existing) return { result: undefined };
      const updated = { ...existing, configs: { ...configs } };
      this.data.topics[name] = updated;
      return { result: updated, change: { kind: 'altered', name } };
    });
  }

  /** Hands out a fresh producer id; persists a new block reservation when one runs out. */
  allocateProducerId(): Promise<number> {
    return this.write(() => {
      const id = this.nextProducerId++;
      if (id < this.data.producerIdBlockEnd) return { result: id };
      this.data.producerIdBlockEnd = id + PRODUCER_ID_BLOCK;
      return { result: id, persist: true };
    });
  }

  onChange(listener: MetadataChangeListener): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {}

  /**
   * One write: `apply` changes `data` synchronously; the file is replaced when it made a change
   * (or asks to persist), then listeners hear of it. A failed replace rejects; the snapshot keeps
   * the change (as the file will on the next successful write).
   */
  private async write<T>(apply: () => { result: T; change?: MetadataChange; persist?: boolean }): Promise<T> {
    const { result, change, persist } = apply();
    if (change || persist) this.persist();
    if (change) this.listeners.emit(change);
    return result;
  }

  private persist(): void {
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(this.data, null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    const dirFd = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}
