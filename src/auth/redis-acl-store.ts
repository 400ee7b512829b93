// Thread: main. The ACLs shared by every broker on one Redis and redis.key.prefix (ioredis via
// src/util/redis-client.ts). Keys, under `${prefix}acl:`:
//   bindings  set      one member per ACL: its bindingKey (a JSON array of the seven fields)
//   version   counter  INCR by every write (in the same MULTI)
// Every broker checks `version` every pollIntervalMs (default 500 ms) and reloads the set when it
// moved, so an ACL created through one broker applies on the others within about one poll; a
// broker's own writes apply to it at once. While Redis is unreachable the last snapshot keeps
// being enforced and writes fail (CreateAcls/DeleteAcls answer an error).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisClient } from '../util/redis-client.js';
import { bindingFromKey, bindingKey, type AclBinding } from './acl-model.js';
import type { AclStore } from './acl-store.js';

export interface RedisAclStoreOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  pollIntervalMs?: number;
  logger?: Logger;
}

export class RedisAclStore implements AclStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly keys: { bindings: string; version: string };
  private snapshot: readonly AclBinding[] = [];
  private loadedVersion = -1;
  private loading: Promise<void> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly listeners: Array<() => void> = [];
  private lastErrorLogMs = 0;

  constructor(private readonly opts: RedisAclStoreOptions) {
    this.keys = { bindings: `${opts.keyPrefix}acl:bindings`, version: `${opts.keyPrefix}acl:version` };
    this.redis = createRedisClient(opts.url, opts.commandTimeoutMs);
    this.redis.on('error', (err: Error) => this.logError(err, 'redis error (ACLs)'));
  }

  /** Connects and loads; an unreachable Redis does not stop the broker (no ACL loaded yet: every non-super-user check fails closed until it is). */
  async start(): Promise<void> {
    await this.redis.connect().catch((err: unknown) => this.logError(err as Error, 'ACLs: Redis not reachable yet; retrying in the background'));
    await this.refresh().catch((err: unknown) => this.logError(err as Error, 'ACLs: loading from Redis failed; retrying'));
    this.pollTimer = setInterval(() => void this.refresh().catch((err: unknown) => this.logError(err as Error, 'ACLs: reloading from Redis failed; retrying')), this.opts.pollIntervalMs ?? 500);
    this.pollTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    this.redis.disconnect();
  }

  /** True once a snapshot was loaded from Redis. */
  get loaded(): boolean {
    return this.loadedVersion >= 0;
  }

  bindings(): readonly AclBinding[] {
    return this.snapshot;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Reloads when the version moved (one GET otherwise); concurrent calls share one round trip. */
  refresh(): Promise<void> {
    this.loading ??= this.serial(() => this.load(false)).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Loads run one at a time, so a slow older load never replaces a newer snapshot. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.catch(() => undefined).then(fn);
    this.queue = run;
    return run;
  }

  private async load(force: boolean): Promise<void> {
    const version = Number((await this.redis.get(this.keys.version)) ?? 0);
    if (!force && version === this.loadedVersion) return;
    const res = await this.redis.multi().get(this.keys.version).smembers(this.keys.bindings).exec();
    if (res === null) throw new Error('transaction aborted');
    for (const [err] of res) if (err) throw err;
    const bindings: AclBinding[] = [];
    for (const key of res[1]![1] as string[]) {
      const b = bindingFromKey(key);
      if (b === undefined) this.logError(new Error(key.slice(0, 200)), 'ACLs: skipping an unreadable ACL in Redis');
      else bindings.push(b);
    }
    this.loadedVersion = Number((res[0]![1] as string | null) ?? 0);
    this.snapshot = bindings;
    for (const l of this.listeners) l();
  }

  async add(bindings: readonly AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    await this.redis.multi().sadd(this.keys.bindings, ...bindings.map(bindingKey)).incr(this.keys.version).exec().then(checkExec);
    await this.serial(() => this.load(true));
  }

  async remove(bindings: readonly AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    await this.redis.multi().srem(this.keys.bindings, ...bindings.map(bindingKey)).incr(this.keys.version).exec().then(checkExec);
    await this.serial(() => this.load(true));
  }

  private logError(err: Error, msg: string): void {
    const now = Date.now();
    if (now - this.lastErrorLogMs < 10_000) return;
    this.lastErrorLogMs = now;
    this.opts.logger?.warn({ err: err.message }, msg);
  }
}

function checkExec(res: Array<[Error | null, unknown]> | null): void {
  if (res === null) throw new Error('Redis transaction aborted');
  for (const [err] of res) if (err) throw err;
}
