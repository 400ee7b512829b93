// Thread: main. Offset store in Redis (ioredis), shared by every broker pointed at it.
// Keys, all under `redis.key.prefix`:
//   <prefix>offsets:<groupId>  hash  "topic:partition" → {"o":offset,"e":leaderEpoch,"m":metadata,"t":commitMs}
//   <prefix>group:<groupId>    string  JSON group metadata (StoredGroup)
//   <prefix>groups             set   every group with offsets or metadata
//   <prefix>generation:<groupId> string  the highest generation handed out (only grows; one Lua step)
// One commit request is one MULTI/EXEC (all offsets or none). Redis trouble never hangs a
// request: no offline queue (commands fail at once while disconnected), a bounded command
// timeout, and reconnection with capped backoff in the background; every failure surfaces
// as OffsetStoreUnavailableError (→ COORDINATOR_NOT_AVAILABLE).
import type { Redis } from 'ioredis';
import { createRedisClient } from '../util/redis-client.js';
import type { RestorableOffsetStore } from './offset-write-back.js';
import type { Logger } from 'pino';
import {
  OffsetStoreUnavailableError,
  offsetFromJson,
  offsetToJson,
  partitionField,
  parsePartitionField,
  type OffsetJson,
  type OffsetStore,
  type PartitionOffset,
  type PartitionRef,
  type StoredGroup,
} from './offset-store.js';

export interface RedisOffsetStoreOptions {
  url: string;
  keyPrefix: string;
  /** Bound on each command and on connecting. */
  commandTimeoutMs: number;
  logger?: Logger;
  /** How long open() waits for a first connection before returning anyway (default: commandTimeoutMs). */
  openWaitMs?: number;
}

// KEYS[1] offsets hash, KEYS[2] metadata key, KEYS[3] groups set; ARGV[1] group id, ARGV[2..] fields.
const DELETE_OFFSETS_LUA = `
local n = 0
for i = 2, #ARGV do n = n + redis.call('HDEL', KEYS[1], ARGV[i]) end
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
end
return n
`;

// KEYS[1] generation key; ARGV[1] generation. Sets the key to the larger of both.
const RECORD_GENERATION_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local g = tonumber(ARGV[1])
if g > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return math.max(cur, g)
`;

// KEYS[1] offsets hash, KEYS[2] groups set; ARGV[1] group id, then field, JSON pairs. Writes an
// offset back where the partition has none or one committed earlier (its "t"): whichever broker
// writes back first, the newest commit wins. Answers how many were written.
const RESTORE_OFFSETS_LUA = `
local n = 0
for i = 2, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local older = true
  if cur then
    local ok, c = pcall(cjson.decode, cur)
    local ok2, w = pcall(cjson.decode, ARGV[i + 1])
    older = not (ok and ok2 and type(c) == 'table' and type(w) == 'table' and tonumber(c.t or 0) >= tonumber(w.t or 0))
  end
  if older then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    n = n + 1
  end
end
if n > 0 then redis.call('SADD', KEYS[2], ARGV[1]) end
return n
`;

export class RedisOffsetStore implements RestorableOffsetStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly listeners: Array<(available: boolean) => void> = [];
  private ready = false;
  private closed = false;
  private lastErrorLogMs = 0;

  constructor(private readonly opts: RedisOffsetStoreOptions) {
    this.redis = createRedisClient(opts.url, opts.commandTimeoutMs);
    this.redis.on('ready', () => this.setReady(true));
    this.redis.on('close', () => this.setReady(false));
    this.redis.on('end', () => this.setReady(false));
    this.redis.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLogMs > 10_000) {
        this.lastErrorLogMs = now;
        this.opts.logger?.warn({ err: err.message, url: redactUrl(opts.url) }, 'redis error');
      }
    });
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.opts.logger?.info({ url: redactUrl(this.opts.url), available: ready }, ready ? 'redis connected' : 'redis unavailable');
    for (const l of this.listeners) l(ready);
  }

  private key(kind: 'offsets' | 'group' | 'generation', groupId: string): string {
    return `${this.opts.keyPrefix}${kind}:${groupId}`;
  }

  private get groupsKey(): string {
    return `${this.opts.keyPrefix}groups`;
  }

  async open(): Promise<void> {
    this.redis.defineCommand('strataDeleteOffsets', { numberOfKeys: 3, lua: DELETE_OFFSETS_LUA });
    this.redis.defineCommand('strataRecordGeneration', { numberOfKeys: 1, lua: RECORD_GENERATION_LUA });
    const waitMs = this.opts.openWaitMs ?? this.opts.commandTimeoutMs;
    const connected = this.redis.connect().then(
      () => true,
      () => false, // retryStrategy keeps trying in the background
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    await Promise.race([connected, timeout]);
    clearTimeout(timer);
  }

  available(): boolean {
    return this.ready && !this.closed;
  }

  onAvailabilityChange(listener: (available: boolean) => void): void {
    this.listeners.push(listener);
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (!this.available()) throw new OffsetStoreUnavailableError(`redis is not connected (${what})`);
    try {
      return await fn();
    } catch (err) {
      throw new OffsetStoreUnavailableError(`redis ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private static checkExec(results: Array<[Error | null, unknown]> | null): unknown[] {
    if (results === null) throw new Error('transaction aborted');
    return results.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }

  commitOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void> {
    return this.run('commit', async () => {
      if (offsets.length === 0) return;
      const fields: string[] = [];
      for (const p of offsets) fields.push(partitionField(p.topic, p.partition), JSON.stringify(offsetToJson(p.committed)));
      const res = await this.redis.multi().hset(this.key('offsets', groupId), ...fields).sadd(this.groupsKey, groupId).exec();
      RedisOffsetStore.checkExec(res);
    });
  }

  fetchOffsets(groupId: string, partitions: PartitionRef[] | null): Promise<PartitionOffset[]> {
    return this.run('fetch', async () => {
      const out: PartitionOffset[] = [];
      if (partitions === null) {
        const all = await this.redis.hgetall(this.key('offsets', groupId));
        for (const [field, json] of Object.entries(all)) {
          out.push({ ...parsePartitionField(field), committed: offsetFromJson(JSON.parse(json) as OffsetJson) });
        }
      } else if (partitions.length > 0) {
        const values = await this.redis.hmget(this.key('offsets', groupId), ...partitions.map((p) => partitionField(p.topic, p.partition)));
        partitions.forEach((p, i) => {
          const json = values[i];
          if (json) out.push({ topic: p.topic, partition: p.partition, committed: offsetFromJson(JSON.parse(json) as OffsetJson) });
        });
      }
      return out;
    });
  }

  deleteOffsets(groupId: string, partitions: PartitionRef[]): Promise<number> {
    return this.run('delete offsets', async () => {
      const fields = partitions.map((p) => partitionField(p.topic, p.partition));
      const n = await (this.redis as unknown as RedisWithScripts).strataDeleteOffsets(
        this.key('offsets', groupId),
        this.key('group', groupId),
        this.groupsKey,
        groupId,
        ...fields,
      );
      return Number(n);
    });
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.run('delete group', async () => {
      const res = await this.redis.multi().del(this.key('offsets', groupId), this.key('group', groupId), this.key('generation', groupId)).srem(this.groupsKey, groupId).exec();
      RedisOffsetStore.checkExec(res);
    });
  }

  listGroups(): Promise<string[]> {
    return this.run('list groups', () => this.redis.smembers(this.groupsKey));
  }

  saveGroup(groupId: string, group: StoredGroup): Promise<void> {
    return this.run('save group', async () => {
      const res = await this.redis.multi().set(this.key('group', groupId), JSON.stringify(group)).sadd(this.groupsKey, groupId).exec();
      RedisOffsetStore.checkExec(res);
    });
  }

  loadGroup(groupId: string): Promise<StoredGroup | null> {
    return this.run('load group', async () => {
      const json = await this.redis.get(this.key('group', groupId));
      return json ? (JSON.parse(json) as StoredGroup) : null;
    });
  }

  /** Write-back after Redis lost its data (offset-write-back.ts): where the partition has no offset, or an older one. */
  restoreOffsets(groupId: string, offsets: PartitionOffset[]): Promise<number> {
    return this.run('restore offsets', async () => {
      const args: string[] = [groupId];
      for (const p of offsets) args.push(partitionField(p.topic, p.partition), JSON.stringify(offsetToJson(p.committed)));
      return Number(await this.redis.eval(RESTORE_OFFSETS_LUA, 2, this.key('offsets', groupId), this.groupsKey, ...args));
    });
  }

  /** Write-back after Redis lost its data: the group's metadata only where it has none. */
  restoreGroup(groupId: string, group: StoredGroup): Promise<boolean> {
    return this.run('restore group', async () => {
      const res = await this.redis.multi().set(this.key('group', groupId), JSON.stringify(group), 'NX').sadd(this.groupsKey, groupId).exec();
      RedisOffsetStore.checkExec(res);
      return res![0]![1] === 'OK';
    });
  }

  recordGeneration(groupId: string, generationId: number): Promise<void> {
    return this.run('record generation', async () => {
      await (this.redis as unknown as RedisWithScripts).strataRecordGeneration(this.key('generation', groupId), String(generationId));
    });
  }

  generationFloor(groupId: string): Promise<number> {
    return this.run('generation floor', async () => {
      const [floor, json] = await this.redis.mget(this.key('generation', groupId), this.key('group', groupId));
      const stored = json ? (JSON.parse(json) as StoredGroup).generationId : 0;
      return Math.max(Number(floor ?? 0), stored);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.redis.status === 'ready') await this.redis.quit();
      else this.redis.disconnect();
    } catch {
      this.redis.disconnect();
    }
  }
}

interface RedisWithScripts {
  strataDeleteOffsets(...args: string[]): Promise<number>;
  strataRecordGeneration(key: string, generationId: string): Promise<number>;
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0` for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable redis url)';
  }
}
