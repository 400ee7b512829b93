// Thread: main. The schema registry shared by every broker on one Redis and redis.key.prefix
// (ioredis, the client src/util/redis-client.ts configures). Keys, all under `${prefix}sr:`:
//   next-id       counter  the last schema id handed out (INCR in ALLOC_LUA: two brokers never
//                          hand out one id; an id below one this broker has seen — Redis lost
//                          its data — is skipped, so ids are never reused by this broker)
//   schemas       hash     id → JSON SchemaRecord (immutable)
//   fingerprints  hash     fingerprint → id (identical schemas share an id)
//   subjects      hash     subject → JSON SubjectRecord, written by compare-and-set on its rev
//   config        string   JSON {compatibility} (global level)
//   version       counter  INCR by every subjects/config write
// Reads: schemas are cached forever (bounded); subjects and the global config are a snapshot,
// reloaded (one MULTI) when `version` moved — checked by refresh() (the HTTP API calls it before
// answering, validation when an id is not found) and by a background poll (pollIntervalMs), so
// a version deleted on another broker stops validating here within one poll.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisClient } from '../util/redis-client.js';
import { compatibilityLevelSchema, type CompatibilityLevel } from './compatibility.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { SchemaCache, schemaRecordSchema, subjectRecordSchema, type RegistryStore, type SchemaRecord, type SubjectRecord } from './registry-store.js';

export interface RedisRegistryStoreOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  /** Background check of the version (default 1 s). */
  pollIntervalMs?: number;
  logger?: Logger;
}

// KEYS[1] fingerprints, KEYS[2] schemas, KEYS[3] next-id; ARGV[1] fingerprint, ARGV[2] record JSON,
// ARGV[3] the highest id this broker has seen. → the id.
const ALLOC_LUA = `
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return tonumber(id) end
id = redis.call('INCR', KEYS[3])
if id <= tonumber(ARGV[3]) then
  id = tonumber(ARGV[3]) + 1
  redis.call('SET', KEYS[3], id)
end
redis.call('HSET', KEYS[2], id, ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], id)
return id
`;

// KEYS[1] subjects, KEYS[2] version; ARGV[1] subject, ARGV[2] expected rev, ARGV[3] JSON or '' (delete). → 1 written | 0 rev moved
const PUT_SUBJECT_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local rev = 0
if cur then rev = cjson.decode(cur).rev end
if rev ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('INCR', KEYS[2])
return 1
`;

interface RedisWithScripts {
  strataSrAlloc(fingerprints: string, schemas: string, nextId: string, fingerprint: string, record: string, floor: string): Promise<number>;
  strataSrPutSubject(subjects: string, version: string, subject: string, expectedRev: string, json: string): Promise<number>;
}

const storeError = (what: string, err: unknown) => new RegistryError(RegistryErrorCode.STORE_ERROR, `Error in the backend data store (Redis): ${what}: ${(err as Error).message}`);

export class RedisRegistryStore implements RegistryStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly keys: { nextId: string; schemas: string; fingerprints: string; subjects: string; config: string; version: string };
  private readonly cache = new SchemaCache();
  private readonly fingerprintIds = new Map<string, number>();
  private subjectMap = new Map<string, SubjectRecord>();
  private compatibility: CompatibilityLevel | undefined;
  /** Version of the loaded snapshot; -1 forces the next refresh to reload. */
  private loadedVersion = -1;
  private maxSeenId = 0;
  private refreshing: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastErrorLogMs = 0;

  constructor(private readonly opts: RedisRegistryStoreOptions) {
    const base = `${opts.keyPrefix}sr:`;
    this.keys = {
      nextId: `${base}next-id`,
      schemas: `${base}schemas`,
      fingerprints: `${base}fingerprints`,
      subjects: `${base}subjects`,
      config: `${base}config`,
      version: `${base}version`,
    };
    this.redis = createRedisClient(opts.url, opts.commandTimeoutMs);
    this.redis.defineCommand('strataSrAlloc', { numberOfKeys: 3, lua: ALLOC_LUA });
    this.redis.defineCommand('strataSrPutSubject', { numberOfKeys: 2, lua: PUT_SUBJECT_LUA });
    this.redis.on('error', (err: Error) => this.logError(err, 'redis error (schema registry)'));
  }

  private get scripts(): RedisWithScripts {
    return this.redis as unknown as RedisWithScripts;
  }

  /** Connects; an unreachable Redis does not stop the broker: requests answer 50001 until it is back. */
  async start(): Promise<void> {
    await this.redis.connect().catch((err: unknown) => this.logError(err as Error, 'schema registry: Redis not reachable yet; retrying in the background'));
    await this.refresh().catch(() => undefined);
    this.pollTimer = setInterval(() => void this.refresh().catch(() => undefined), this.opts.pollIntervalMs ?? 1_000);
    this.pollTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    this.redis.disconnect();
  }

  subjects(): ReadonlyMap<string, SubjectRecord> {
    return this.subjectMap;
  }

  globalCompatibility(): CompatibilityLevel | undefined {
    return this.compatibility;
  }

  /** Concurrent calls share one round trip. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    let version: number;
    try {
      version = Number((await this.redis.get(this.keys.version)) ?? 0);
      if (version === this.loadedVersion) return;
      const res = await this.redis.multi().get(this.keys.version).hgetall(this.keys.subjects).get(this.keys.config).exec();
      if (res === null) throw new Error('transaction aborted');
      for (const [err] of res) if (err) throw err;
      version = Number((res[0]![1] as string | null) ?? 0);
      const subjects = new Map<string, SubjectRecord>();
      for (const [name, json] of Object.entries(res[1]![1] as Record<string, string>)) {
        const parsed = subjectRecordSchema.safeParse(safeJson(json));
        if (!parsed.success) {
          this.logError(new Error(`subject ${name}: ${parsed.error.message}`), 'schema registry: skipping an unreadable subject record in Redis');
          continue;
        }
        subjects.set(name, parsed.data);
        for (const v of parsed.data.versions) this.maxSeenId = Math.max(this.maxSeenId, v.id);
      }
      const config = compatibilityLevelSchema.safeParse((safeJson((res[2]![1] as string | null) ?? '{}') as { compatibility?: unknown } | null)?.compatibility);
      this.subjectMap = subjects;
      this.compatibility = config.success ? config.data : undefined;
      this.loadedVersion = version;
    } catch (err) {
      throw storeError('loading subjects', err);
    }
  }

  async schema(id: number): Promise<SchemaRecord | undefined> {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    let json: string | null;
    try {
      json = await this.redis.hget(this.keys.schemas, String(id));
    } catch (err) {
      throw storeError(`reading schema ${id}`, err);
    }
    if (json === null) return undefined;
    const parsed = schemaRecordSchema.safeParse(safeJson(json));
    if (!parsed.success) throw storeError(`reading schema ${id}`, new Error(`unreadable record: ${parsed.error.message}`));
    this.cache.set(id, parsed.data);
    this.maxSeenId = Math.max(this.maxSeenId, id);
    return parsed.data;
  }

  async findSchemaId(fingerprint: string): Promise<number | undefined> {
    const known = this.fingerprintIds.get(fingerprint);
    if (known !== undefined) return known;
    let id: string | null;
    try {
      id = await this.redis.hget(this.keys.fingerprints, fingerprint);
    } catch (err) {
      throw storeError('looking a schema up', err);
    }
    if (id === null) return undefined;
    this.remember(fingerprint, Number(id));
    return Number(id);
  }

  async schemaId(fingerprint: string, record: SchemaRecord): Promise<number> {
    const known = this.fingerprintIds.get(fingerprint);
    if (known !== undefined) return known;
    let id: number;
    try {
      id = Number(await this.scripts.strataSrAlloc(this.keys.fingerprints, this.keys.schemas, this.keys.nextId, fingerprint, JSON.stringify(record), String(this.maxSeenId)));
    } catch (err) {
      throw storeError('allocating a schema id', err);
    }
    this.remember(fingerprint, id);
    this.cache.set(id, record);
    this.maxSeenId = Math.max(this.maxSeenId, id);
    return id;
  }

  async putSubject(subject: string, expectedRev: number, next: SubjectRecord | null): Promise<boolean> {
    let ok: number;
    try {
      ok = Number(await this.scripts.strataSrPutSubject(this.keys.subjects, this.keys.version, subject, String(expectedRev), next === null ? '' : JSON.stringify(next)));
    } catch (err) {
      throw storeError(`writing subject ${subject}`, err);
    }
    if (ok !== 1) return false;
    // Own write: visible here at once; the next refresh reloads whatever else moved.
    const subjects = new Map(this.subjectMap);
    if (next === null) subjects.delete(subject);
    else subjects.set(subject, next);
    this.subjectMap = subjects;
    this.loadedVersion = -1;
    return true;
  }

  async setGlobalCompatibility(level: CompatibilityLevel | undefined): Promise<void> {
    try {
      await this.redis.multi().set(this.keys.config, JSON.stringify(level === undefined ? {} : { compatibility: level })).incr(this.keys.version).exec();
    } catch (err) {
      throw storeError('writing the global config', err);
    }
    this.compatibility = level;
    this.loadedVersion = -1;
  }

  private remember(fingerprint: string, id: number): void {
    if (this.fingerprintIds.size >= 10_000) this.fingerprintIds.delete(this.fingerprintIds.keys().next().value!);
    this.fingerprintIds.set(fingerprint, id);
  }

  private logError(err: Error, msg: string): void {
    const now = Date.now();
    if (now - this.lastErrorLogMs < 10_000) return;
    this.lastErrorLogMs = now;
    this.opts.logger?.warn({ err: err.message }, msg);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
