// Thread: main. The MetadataStore shared by every broker pointed at one Redis (ioredis,
// cluster.metadata.store=redis). Keys, all under `${redis.key.prefix}meta:`:
//   cluster-id         string  set once (SET NX); a broker configured with another id refuses to start
//   topics             hash    topic name → JSON TopicRecord
//   version            counter INCR by every write to topics or deleted-topic-ids (same Lua script)
//   deleted-topic-ids  set     ids of deleted topics whose remote objects may remain
//   producer-ids       counter INCRBY PRODUCER_ID_BLOCK: each broker allocates from its own block
//   changes            pub/sub channel: {version, kind, name} after each write
// Redis losing its data (a restart without persistence, FLUSHDB) shows as the version going
// backwards: every broker then writes its snapshot back (RESEED_LUA: topics and tombstones only
// where absent, the cluster id only when absent, the version and the producer-id counter only
// raised), so metadata, versions and producer ids never go backwards.
// Every write is one Lua script (check, write, INCR version, PUBLISH), so two brokers creating
// the same topic at once yield one topic: the loser gets the winner's record. Reads never touch
// Redis: they come from a snapshot, reloaded (HGETALL in one MULTI with the version) when a
// change message arrives or when the version poll (pub/sub loses messages across a reconnect)
// sees the version move. Each reload is diffed against the snapshot it replaces, which is where
// onChange hears of other brokers' writes; this store's own writes update the snapshot (and
// notify) before their promise resolves. Redis unreachable: writes reject at once with
// STRATA_ERR_METADATA_STORE_UNAVAILABLE (no offline queue, bounded command time), reads keep
// serving the last snapshot, and the first reload after reconnecting catches up.
import type { Redis } from 'ioredis';
import { createRedisClient } from '../util/redis-client.js';
import type { Logger } from 'pino';
import { StrataError } from '../errors.js';
import { redactUrl } from '../groups/redis-offset-store.js';
import {
  ChangeListeners,
  newClusterId,
  newTopicId,
  PRODUCER_ID_BLOCK,
  snapshotChanges,
  topicRecordSchema,
  type CreateTopicOutcome,
  type MetadataChange,
  type MetadataChangeListener,
  type MetadataStore,
  type TopicRecord,
} from './metadata-store.js';

export interface RedisMetadataStoreOptions {
  url: string;
  /** redis.key.prefix; keys are `${keyPrefix}meta:…`. */
  keyPrefix: string;
  /** Bound on each command. */
  commandTimeoutMs: number;
  /** The configured cluster.id: stored when Redis has none, else must equal the stored one. */
  clusterIdSetting?: string;
  /** Period of the version poll that catches changes whose message was lost (default 500 ms). */
  pollIntervalMs?: number;
  /** How long start() waits for a first connection (default: the larger of commandTimeoutMs and 5 s). */
  connectWaitMs?: number;
  logger?: Logger;
}

// KEYS[1] topics, KEYS[2] version; ARGV[1] name, ARGV[2] record JSON, ARGV[3] channel.
// → {1, record, version} created; {0, existing record, version} the name was taken.
const CREATE_LUA = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {0, existing, tonumber(redis.call('GET', KEYS[2]) or '0')} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({version = v, kind = 'created', name = ARGV[1]}))
return {1, ARGV[2], v}
`;

// KEYS[1] topics, KEYS[2] version, KEYS[3] deleted ids; ARGV[1] name, ARGV[2] expected topic id
// ('' = any), ARGV[3] '1' = tombstone the id, ARGV[4] channel. → {1, removed record, version} | {0, '', version}
const DELETE_LUA = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
local v = tonumber(redis.call('GET', KEYS[2]) or '0')
if not existing then return {0, '', v} end
local rec = cjson.decode(existing)
if ARGV[2] ~= '' and rec.topicId ~= ARGV[2] then return {0, '', v} end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[3] == '1' then redis.call('SADD', KEYS[3], rec.topicId) end
v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], cjson.encode({version = v, kind = 'deleted', name = ARGV[1]}))
return {1, existing, v}
`;

// KEYS[1] topics, KEYS[2] version; ARGV[1] name, ARGV[2] 'partitions' | 'configs', ARGV[3] new
// count | configs JSON, ARGV[4] channel. Partition counts only grow.
// → {1, updated record, version} | {0, current record or '', version}
const ALTER_LUA = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
local v = tonumber(redis.call('GET', KEYS[2]) or '0')
if not existing then return {0, '', v} end
local rec = cjson.decode(existing)
if ARGV[2] == 'partitions' then
  local n = tonumber(ARGV[3])
  if n <= rec.partitions then return {0, existing, v} end
  rec.partitions = n
else
  rec.configs = cjson.decode(ARGV[3])
end
local updated = cjson.encode(rec)
redis.call('HSET', KEYS[1], ARGV[1], updated)
v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], cjson.encode({version = v, kind = 'altered', name = ARGV[1]}))
return {1, updated, v}
`;

// KEYS[1] deleted ids, KEYS[2] version; ARGV[1] topic id, ARGV[2] channel. → {removed 0|1, version}
// KEYS[1] topics, KEYS[2] version, KEYS[3] deleted ids, KEYS[4] cluster id, KEYS[5] producer ids;
// ARGV[1] version floor, ARGV[2] cluster id, ARGV[3] producer-id floor, ARGV[4] channel,
// ARGV[5] JSON {name: record JSON}, ARGV[6] JSON [deleted topic ids]. → the new version.
const RESEED_LUA = `
redis.call('SET', KEYS[4], ARGV[2], 'NX')
for name, rec in pairs(cjson.decode(ARGV[5])) do redis.call('HSETNX', KEYS[1], name, rec) end
for _, id in ipairs(cjson.decode(ARGV[6])) do redis.call('SADD', KEYS[3], id) end
if tonumber(redis.call('GET', KEYS[5]) or '0') < tonumber(ARGV[3]) then redis.call('SET', KEYS[5], ARGV[3]) end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1]) end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], cjson.encode({version = v, kind = 'reseeded', name = ''}))
return v
`;

const FORGET_LUA = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return {0, tonumber(redis.call('GET', KEYS[2]) or '0')} end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], cjson.encode({version = v, kind = 'forgotten', name = ARGV[1]}))
return {1, v}
`;

type ScriptReply = [number, string, number];

interface RedisWithScripts {
  strataMetaCreate(topics: string, version: string, name: string, record: string, channel: string): Promise<ScriptReply>;
  strataMetaDelete(topics: string, version: string, deleted: string, name: string, topicId: string, tombstone: string, channel: string): Promise<ScriptReply>;
  strataMetaAlter(topics: string, version: string, name: string, field: 'partitions' | 'configs', value: string, channel: string): Promise<ScriptReply>;
  strataMetaForget(deleted: string, version: string, topicId: string, channel: string): Promise<[number, number]>;
  strataMetaReseed(topics: string, version: string, deleted: string, clusterId: string, producerIds: string, floor: string, id: string, pidFloor: string, channel: string, topicsJson: string, deletedJson: string): Promise<number>;
}

const unavailable = (message: string, cause?: unknown) => new StrataError('STRATA_ERR_METADATA_STORE_UNAVAILABLE', message, { cause });

export class RedisMetadataStore implements MetadataStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private subscriber: Redis | undefined;
  private readonly keys: { clusterId: string; topics: string; version: string; deleted: string; producerIds: string; channel: string };
  private readonly listeners = new ChangeListeners();
  private pollTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private lastErrorLogMs = 0;

  // The snapshot.
  private storedClusterId: string | undefined;
  private topics = new Map<string, TopicRecord>();
  private namesById = new Map<string, string>();
  private deleted: string[] = [];
  /** The store version the snapshot holds completely. */
  private version = 0;
  /** Highest version written by this store: a reload older than it would undo own writes. */
  private ownWriteVersion = 0;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;

  // Producer ids of this store's current block: [pidNext, pidEnd).
  private pidNext = 0;
  private pidEnd = 0;
  private pidRefill: Promise<void> | undefined;

  constructor(private readonly opts: RedisMetadataStoreOptions) {
    const base = `${opts.keyPrefix}meta:`;
    this.keys = {
      clusterId: `${base}cluster-id`,
      topics: `${base}topics`,
      version: `${base}version`,
      deleted: `${base}deleted-topic-ids`,
      producerIds: `${base}producer-ids`,
      channel: `${base}changes`,
    };
    this.redis = createRedisClient(opts.url, opts.commandTimeoutMs);
    this.redis.defineCommand('strataMetaCreate', { numberOfKeys: 2, lua: CREATE_LUA });
    this.redis.defineCommand('strataMetaDelete', { numberOfKeys: 3, lua: DELETE_LUA });
    this.redis.defineCommand('strataMetaAlter', { numberOfKeys: 2, lua: ALTER_LUA });
    this.redis.defineCommand('strataMetaForget', { numberOfKeys: 2, lua: FORGET_LUA });
    this.redis.defineCommand('strataMetaReseed', { numberOfKeys: 5, lua: RESEED_LUA });
    this.redis.on('error', (err: Error) => this.logError(err, 'redis error (metadata)'));
    // Back after a disconnection: whatever changed meanwhile is loaded now.
    this.redis.on('ready', () => {
      if (this.started) this.reloadInBackground();
    });
  }

  private get scripts(): RedisWithScripts {
    return this.redis as unknown as RedisWithScripts;
  }

  async start(): Promise<void> {
    const waitMs = this.opts.connectWaitMs ?? Math.max(this.opts.commandTimeoutMs, 5000);
    let timer: NodeJS.Timeout | undefined;
    const connected = await Promise.race([
      this.redis.connect().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (!connected || this.redis.status !== 'ready') {
      await this.close();
      throw unavailable(`cannot reach Redis at ${redactUrl(this.opts.url)} for the cluster metadata (cluster.metadata.store=redis) within ${waitMs} ms`);
    }
    try {
      await this.redis.set(this.keys.clusterId, this.opts.clusterIdSetting ?? newClusterId(), 'NX');
      this.storedClusterId = (await this.redis.get(this.keys.clusterId)) ?? undefined;
    } catch (err) {
      await this.close();
      throw unavailable(`reading the cluster id from Redis failed: ${(err as Error).message}`, err);
    }
    if (this.opts.clusterIdSetting !== undefined && this.storedClusterId !== this.opts.clusterIdSetting) {
      await this.close();
      throw new StrataError(
        'STRATA_ERR_CLUSTER_ID_MISMATCH',
        `cluster.id ${this.opts.clusterIdSetting} does not match the id ${this.storedClusterId} stored in Redis at ${redactUrl(this.opts.url)} under ${this.keys.clusterId}: this broker is pointed at another cluster's redis.key.prefix, or its cluster.id is wrong`,
      );
    }
    try {
      await this.subscribe();
      await this.loadOnce();
    } catch (err) {
      await this.close();
      throw unavailable(`loading the cluster metadata from Redis failed: ${(err as Error).message}`, err);
    }
    this.started = true;
    const pollMs = this.opts.pollIntervalMs ?? 500;
    this.pollTimer = setInterval(() => void this.poll(), pollMs);
    this.pollTimer.unref();
  }

  private async subscribe(): Promise<void> {
    // A subscribed connection can do nothing else: its own, with its offline queue so that
    // ioredis re-subscribes by itself after a reconnection.
    const sub = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: true });
    this.subscriber = sub;
    sub.on('error', (err: Error) => this.logError(err, 'redis error (metadata changes)'));
    sub.on('message', (_channel: string, message: string) => {
      let version = Number.NaN;
      try {
        version = Number((JSON.parse(message) as { version?: unknown }).version);
      } catch {
        // Not ours: reload anyway, the version decides.
      }
      if (!(version <= this.version)) this.reloadInBackground();
    });
    // Messages published while disconnected are lost: catch up on every (re)subscription.
    sub.on('ready', () => {
      if (this.started) this.reloadInBackground();
    });
    await sub.connect();
    await sub.subscribe(this.keys.channel);
  }

  private async poll(): Promise<void> {
    if (this.closed || this.redis.status !== 'ready' || this.reloading) return;
    try {
      const v = Number((await this.redis.get(this.keys.version)) ?? 0);
      if (v > this.version) this.reloadInBackground();
      else if (v < Math.max(this.version, this.ownWriteVersion)) await this.reseed(v);
    } catch (err) {
      this.logError(err as Error, 'metadata version poll failed');
    }
  }

  /**
   * Redis lost data (its version is below what this broker loaded or wrote): writes this
   * broker's snapshot back — never over what is there — with the version and the producer-id
   * counter raised to at least what this broker saw, then reloads.
   */
  private async reseed(found: number): Promise<void> {
    const floor = Math.max(this.version, this.ownWriteVersion);
    const topics: Record<string, string> = {};
    for (const [name, t] of this.topics) topics[name] = JSON.stringify(t);
    const version = await this.scripts.strataMetaReseed(
      this.keys.topics, this.keys.version, this.keys.deleted, this.keys.clusterId, this.keys.producerIds,
      String(floor), this.storedClusterId ?? newClusterId(), String(this.pidEnd), this.keys.channel, JSON.stringify(topics), JSON.stringify(this.deleted),
    );
    this.opts.logger?.warn({ found, loaded: floor, reseeded: version, topics: this.topics.size }, 'metadata version in Redis went backwards (Redis lost its data): wrote this broker\'s metadata back');
    this.reloadInBackground();
  }

  private reloadInBackground(): void {
    this.reload().catch((err: unknown) => this.logError(err as Error, 'metadata reload failed'));
  }

  /** Reloads the snapshot; concurrent calls share one reload (followed by one more if asked meanwhile). */
  private reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    const run = async () => {
      try {
        let rounds = 0;
        do {
          this.reloadAgain = false;
          await this.loadOnce();
        } while (this.reloadAgain && !this.closed && ++rounds < 100);
      } finally {
        this.reloading = undefined;
      }
    };
    this.reloading = run();
    return this.reloading;
  }

  /** One atomic read of the version, the topics and the tombstones; applied when newer than the snapshot. */
  private async loadOnce(): Promise<void> {
    const res = await this.redis.multi().get(this.keys.version).hgetall(this.keys.topics).smembers(this.keys.deleted).exec();
    if (res === null) throw new Error('transaction aborted');
    for (const [err] of res) if (err) throw err;
    const version = Number((res[0]![1] as string | null) ?? 0);
    const raw = res[1]![1] as Record<string, string>;
    const deleted = res[2]![1] as string[];
    // Started before one of this store's writes landed: it would undo that write.
    if (version < this.ownWriteVersion) {
      this.reloadAgain = true;
      return;
    }
    if (this.started && version <= this.version) return;
    const topics = new Map<string, TopicRecord>();
    for (const [name, json] of Object.entries(raw)) {
      let parsed;
      try {
        parsed = topicRecordSchema.safeParse(JSON.parse(json));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) topics.set(name, parsed.data);
      else this.opts.logger?.warn({ topic: name, key: this.keys.topics }, 'unreadable topic record in Redis skipped');
    }
    const before = this.topics;
    this.topics = topics;
    this.namesById = new Map([...topics].map(([name, t]) => [t.topicId, name]));
    this.deleted = deleted.sort();
    this.version = version;
    if (this.started) for (const change of snapshotChanges(before, topics)) this.emit(change);
  }

  /**
   * Applies this store's own write (at `version`) to the snapshot and notifies, unless a reload
   * already brought it. Resolves once the snapshot holds everything up to `version`: when other
   * writes came between, after a reload.
   */
  private async applyOwnWrite(version: number, mutate: () => MetadataChange | undefined): Promise<void> {
    this.ownWriteVersion = Math.max(this.ownWriteVersion, version);
    if (version <= this.version) return;
    const change = mutate();
    const consecutive = version === this.version + 1 && change !== undefined;
    if (consecutive) this.version = version;
    if (change) this.emit(change);
    if (!consecutive) await this.reload().catch((err: unknown) => this.logError(err as Error, 'metadata reload failed'));
  }

  private setTopic(name: string, record: TopicRecord): void {
    const old = this.topics.get(name);
    if (old && old.topicId !== record.topicId) this.namesById.delete(old.topicId);
    this.topics.set(name, record);
    this.namesById.set(record.topicId, name);
  }

  private removeTopic(name: string): void {
    const old = this.topics.get(name);
    if (!old) return;
    this.topics.delete(name);
    this.namesById.delete(old.topicId);
  }

  /** Runs one write against Redis; any failure is STRATA_ERR_METADATA_STORE_UNAVAILABLE. */
  private async exec<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable(`the metadata store is closed (${what})`);
    if (this.redis.status !== 'ready') throw unavailable(`Redis at ${redactUrl(this.opts.url)} is not connected (${what})`);
    try {
      return await fn();
    } catch (err) {
      throw unavailable(`Redis ${what} failed: ${(err as Error).message}`, err);
    }
  }

  get clusterId(): string {
    if (this.storedClusterId === undefined) throw new Error('RedisMetadataStore.clusterId read before start()');
    return this.storedClusterId;
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  topic(name: string): TopicRecord | undefined {
    return this.topics.get(name);
  }

  topicNameById(topicId: string): string | undefined {
    return this.namesById.get(topicId);
  }

  deletedTopicIds(): readonly string[] {
    return this.deleted;
  }

  async createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<CreateTopicOutcome> {
    const record: TopicRecord = { topicId: newTopicId(), partitions, configs: { ...configs }, createdAtMs: Date.now() };
    return this.putTopic('create topic', name, record);
  }

  async restoreTopic(name: string, record: TopicRecord): Promise<boolean> {
    return (await this.putTopic('restore topic', name, { ...record, configs: { ...record.configs } })).created;
  }

  private async putTopic(what: string, name: string, record: TopicRecord): Promise<CreateTopicOutcome> {
    const [created, json, version] = await this.exec(what, () =>
      this.scripts.strataMetaCreate(this.keys.topics, this.keys.version, name, JSON.stringify(record), this.keys.channel),
    );
    const topic = created === 1 ? record : parseRecord(json, name);
    await this.applyOwnWrite(version, () => {
      if (created !== 1) return undefined;
      this.setTopic(name, record);
      return { kind: 'created', name };
    });
    return { created: created === 1, topic: created === 1 ? record : (this.topics.get(name) ?? topic) };
  }

  async deleteTopic(name: string, { tombstone = false, topicId }: { tombstone?: boolean; topicId?: string } = {}): Promise<TopicRecord | undefined> {
    const [removed, json, version] = await this.exec('delete topic', () =>
      this.scripts.strataMetaDelete(this.keys.topics, this.keys.version, this.keys.deleted, name, topicId ?? '', tombstone ? '1' : '0', this.keys.channel),
    );
    if (removed !== 1) {
      await this.applyOwnWrite(version, () => undefined);
      return undefined;
    }
    const record = parseRecord(json, name);
    await this.applyOwnWrite(version, () => {
      this.removeTopic(name);
      if (tombstone && !this.deleted.includes(record.topicId)) this.deleted = [...this.deleted, record.topicId].sort();
      return { kind: 'deleted', name };
    });
    return record;
  }

  async forgetDeletedTopic(topicId: string): Promise<void> {
    const [removed, version] = await this.exec('forget deleted topic', () => this.scripts.strataMetaForget(this.keys.deleted, this.keys.version, topicId, this.keys.channel));
    this.ownWriteVersion = Math.max(this.ownWriteVersion, version);
    if (removed !== 1 || version <= this.version) return;
    this.deleted = this.deleted.filter((id) => id !== topicId);
    if (version === this.version + 1) this.version = version;
    else await this.reload().catch((err: unknown) => this.logError(err as Error, 'metadata reload failed'));
  }

  setPartitionCount(name: string, partitions: number): Promise<TopicRecord | undefined> {
    return this.alter('set partition count', name, 'partitions', String(partitions));
  }

  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord | undefined> {
    return this.alter('set topic configs', name, 'configs', JSON.stringify(configs));
  }

  private async alter(what: string, name: string, field: 'partitions' | 'configs', value: string): Promise<TopicRecord | undefined> {
    const [altered, json, version] = await this.exec(what, () => this.scripts.strataMetaAlter(this.keys.topics, this.keys.version, name, field, value, this.keys.channel));
    if (altered !== 1) {
      await this.applyOwnWrite(version, () => undefined);
      return undefined;
    }
    const record = parseRecord(json, name);
    await this.applyOwnWrite(version, () => {
      this.setTopic(name, record);
      return { kind: 'altered', name };
    });
    return this.topics.get(name) ?? record;
  }

  async allocateProducerId(): Promise<number> {
    while (this.pidNext >= this.pidEnd) {
      this.pidRefill ??= this.exec('allocate producer ids', async () => {
        const end = await this.redis.incrby(this.keys.producerIds, PRODUCER_ID_BLOCK);
        this.pidNext = end - PRODUCER_ID_BLOCK;
        this.pidEnd = end;
      }).finally(() => {
        this.pidRefill = undefined;
      });
      await this.pidRefill;
    }
    return this.pidNext++;
  }

  onChange(listener: MetadataChangeListener): () => void {
    return this.listeners.add(listener);
  }

  private emit(change: MetadataChange): void {
    this.listeners.emit(change, (err) => this.opts.logger?.error({ err, change }, 'metadata change listener failed'));
  }

  private logError(err: Error, msg: string): void {
    const now = Date.now();
    if (now - this.lastErrorLogMs < 10_000) return;
    this.lastErrorLogMs = now;
    this.opts.logger?.warn({ err: err.message, url: redactUrl(this.opts.url) }, msg);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const conn of [this.subscriber, this.redis]) {
      if (!conn) continue;
      try {
        if (conn.status === 'ready') await conn.quit();
        else conn.disconnect();
      } catch {
        conn.disconnect();
      }
    }
  }
}

function parseRecord(json: string, name: string): TopicRecord {
  const parsed = topicRecordSchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw unavailable(`the record of topic ${name} in Redis is unreadable`);
  return parsed.data;
}
