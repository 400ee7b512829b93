// Thread: main. Client quotas shared by every broker on one Redis and redis.key.prefix
// (ioredis, configured by src/util/redis-client.ts). Keys, under `${prefix}quotas:`:
//   values   hash     `<entity key>\n<quota key>` → the value (entity keys are JSON texts,
//                     which never hold a raw newline)
//   version  counter  INCR by every write
// An alteration is one MULTI (HSET/HDEL + INCR version). Every broker keeps a snapshot,
// reloaded (one MULTI) when `version` moved: checked by a background poll (pollIntervalMs), so
// a quota set through one broker applies on every broker within that interval.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisClient } from '../util/redis-client.js';
import { isQuotaKey, parseEntityKey, type QuotaValues } from './quota-entity.js';
import { applyChanges, type QuotaChange, type QuotaStore } from './quota-store.js';

export interface RedisQuotaStoreOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  /** Background check of the version (default 500 ms). */
  pollIntervalMs?: number;
  logger?: Logger;
}

export class RedisQuotaStore implements QuotaStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly keys: { values: string; version: string };
  private map = new Map<string, QuotaValues>();
  private loadedVersion = -1;
  private refreshing: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastErrorLogMs = 0;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly opts: RedisQuotaStoreOptions) {
    this.keys = { values: `${opts.keyPrefix}quotas:values`, version: `${opts.keyPrefix}quotas:version` };
    this.redis = createRedisClient(opts.url, opts.commandTimeoutMs);
    this.redis.on('error', (err: Error) => this.logError(err, 'redis error (client quotas)'));
  }

  /** Connects; an unreachable Redis does not stop the broker: quotas apply once it is back. */
  async start(): Promise<void> {
    await this.redis.connect().catch((err: unknown) => this.logError(err as Error, 'client quotas: Redis not reachable yet; retrying in the background'));
    await this.refresh().catch(() => undefined);
    this.pollTimer = setInterval(() => void this.refresh().catch((err: unknown) => this.logError(err as Error, 'client quotas: reload failed')), this.opts.pollIntervalMs ?? 500);
    this.pollTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    this.redis.disconnect();
  }

  entries(): ReadonlyMap<string, QuotaValues> {
    return this.map;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Concurrent calls share one round trip. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const version = Number((await this.redis.get(this.keys.version)) ?? 0);
    if (version === this.loadedVersion) return;
    const res = await this.redis.multi().get(this.keys.version).hgetall(this.keys.values).exec();
    if (res === null) throw new Error('transaction aborted');
    for (const [err] of res) if (err) throw err;
    const map = new Map<string, QuotaValues>();
    for (const [field, raw] of Object.entries(res[1]![1] as Record<string, string>)) {
      const nl = field.lastIndexOf('\n');
      const entity = field.slice(0, nl);
      const key = field.slice(nl + 1);
      const value = Number(raw);
      if (nl < 0 || !isQuotaKey(key) || parseEntityKey(entity) === undefined || !(value > 0)) continue;
      const values = map.get(entity) ?? {};
      values[key] = value;
      map.set(entity, values);
    }
    this.map = map;
    this.loadedVersion = Number((res[0]![1] as string | null) ?? 0);
    this.notify();
  }

  async alter(changes: QuotaChange[]): Promise<void> {
    const tx = this.redis.multi();
    for (const c of changes) {
      for (const [k, v] of c.set) tx.hset(this.keys.values, `${c.entity}\n${k}`, String(v));
      if (c.remove.length > 0) tx.hdel(this.keys.values, ...c.remove.map((k) => `${c.entity}\n${k}`));
    }
    tx.incr(this.keys.version);
    const res = await tx.exec();
    if (res === null) throw new Error('transaction aborted');
    for (const [err] of res) if (err) throw err;
    // Own write: visible here at once; the next poll reloads whatever else moved.
    this.map = applyChanges(this.map, changes);
    this.loadedVersion = -1;
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private logError(err: Error, msg: string): void {
    const now = Date.now();
    if (now - this.lastErrorLogMs < 10_000) return;
    this.lastErrorLogMs = now;
    this.opts.logger?.warn({ err: err.message }, msg);
  }
}
