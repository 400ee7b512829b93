// Thread: main. Durable cluster metadata of a single broker: cluster id, topics (id,
// partition count, config overrides) and the producer-id allocator. Stored as one JSON
// document under the first log dir, replaced atomically (write temp, fsync, rename, fsync dir).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const topicRecordSchema = z.object({
  topicId: z.string().regex(/^[0-9a-f]{32}$/),
  partitions: z.number().int().min(1),
  configs: z.record(z.string(), z.string()),
  createdAtMs: z.number(),
});

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

export type TopicRecord = z.infer<typeof topicRecordSchema>;
type MetadataFile = z.infer<typeof metadataFileSchema>;

const PRODUCER_ID_BLOCK = 1000;

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

export class MetadataStore {
  private data: MetadataFile;
  private nextProducerId: number;
  /** topic id → name, derived from data.topics and kept in step with it. */
  private readonly namesById = new Map<string, string>();

  private constructor(
    private readonly file: string,
    data: MetadataFile,
  ) {
    this.data = data;
    this.nextProducerId = data.producerIdBlockEnd;
    for (const [name, t] of Object.entries(data.topics)) this.namesById.set(t.topicId, name);
  }

  static open(logDir: string, clusterIdSetting?: string): MetadataStore {
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
        throw new Error(`cluster.id ${clusterIdSetting} does not match the id ${data.clusterId} stored in ${file}`);
      }
    } else {
      data = { version: 1, clusterId: clusterIdSetting ?? newClusterId(), producerIdBlockEnd: 0, topics: {} };
    }
    const store = new MetadataStore(file, data);
    // Reserve the next block of producer ids now, so ids are never reused after a crash.
    store.data.producerIdBlockEnd = store.nextProducerId + PRODUCER_ID_BLOCK;
    store.persist();
    return store;
  }

  get clusterId(): string {
    return this.data.clusterId;
  }

  topicNames(): string[] {
    return Object.keys(this.data.topics).sort();
  }

  topic(name: string): TopicRecord | undefined {
    return Object.hasOwn(this.data.topics, name) ? this.data.topics[name] : undefined;
  }

  /** Fetch v13+ names topics by id on every request: an index, not a scan of all topics. */
  topicNameById(topicId: string): string | undefined {
    return this.namesById.get(topicId);
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>): TopicRecord {
    const record: TopicRecord = { topicId: newTopicId(), partitions, configs: { ...configs }, createdAtMs: Date.now() };
    this.data.topics[name] = record;
    this.namesById.set(record.topicId, name);
    this.persist();
    return record;
  }

  /** Re-creates a topic with its original id (tiered storage: rebuilt from object storage). */
  restoreTopic(name: string, record: TopicRecord): void {
    this.data.topics[name] = { ...record, configs: { ...record.configs } };
    this.namesById.set(record.topicId, name);
    this.persist();
  }

  /**
   * Deletes a topic. `tombstone`: its objects in object storage are still to be removed;
   * the id is remembered (deletedTopicIds) until forgetDeletedTopic, so that a restart does not
   * restore the topic from the bucket.
   */
  deleteTopic(name: string, { tombstone = false }: { tombstone?: boolean } = {}): void {
    const topicId = this.data.topics[name]?.topicId;
    if (topicId !== undefined) {
      this.namesById.delete(topicId);
      if (tombstone) this.data.deletedTopicIds = [...(this.data.deletedTopicIds ?? []), topicId];
    }
    delete this.data.topics[name];
    this.persist();
  }

  /** Ids of deleted topics whose remote objects may still exist (see deleteTopic). */
  deletedTopicIds(): readonly string[] {
    return this.data.deletedTopicIds ?? [];
  }

  /** The deleted topic's remote objects are gone: its id need not be remembered any more. */
  forgetDeletedTopic(topicId: string): void {
    const ids = this.data.deletedTopicIds ?? [];
    if (!ids.includes(topicId)) return;
    const rest = ids.filter((id) => id !== topicId);
    if (rest.length > 0) this.data.deletedTopicIds = rest;
    else delete this.data.deletedTopicIds;
    this.persist();
  }

  setPartitionCount(name: string, partitions: number): void {
    this.data.topics[name]!.partitions = partitions;
    this.persist();
  }

  setTopicConfigs(name: string, configs: Record<string, string>): void {
    this.data.topics[name]!.configs = { ...configs };
    this.persist();
  }

  /** Hands out a fresh producer id; persists a new block reservation when one runs out. */
  allocateProducerId(): number {
    if (this.nextProducerId >= this.data.producerIdBlockEnd) {
      this.data.producerIdBlockEnd = this.nextProducerId + PRODUCER_ID_BLOCK;
      this.persist();
    }
    return this.nextProducerId++;
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
