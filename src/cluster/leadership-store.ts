// Thread: main. Partition leadership in Redis: who leads each partition, with its leader epoch.
//   <prefix>cluster:leadership          hash  PartitionId → JSON {leader, epoch, from?, lost?}
//                                             (from: the broker that must hand it over first;
//                                             lost: the dead broker it is rebuilt from)
//   <prefix>cluster:leadership-version  integer, INCR'd by every write
//   <prefix>cluster:leadership-changes  pub/sub channel, the new version after every write
// Only the controller writes, and every write is fenced in one Lua step: the caller must hold
// the controller lease (its incarnation is in <prefix>cluster:controller), and each partition's
// new epoch must be above the stored one — so a deposed controller, or a stale plan, changes
// nothing. Every broker keeps a snapshot (reads never touch Redis) refreshed on the pub/sub
// message and by a version poll (pub/sub messages are lost across reconnects).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PartitionId } from '../ipc/partition-id.js';
import { StrataError } from '../errors.js';
import { controllerKey } from './cluster-keys.js';
import { HANDOFF_REASONS, type Leadership, type LeadershipChange } from './partition-assignment.js';

export function leadershipKey(prefix: string): string {
  return `${prefix}cluster:leadership`;
}
export function leadershipVersionKey(prefix: string): string {
  return `${prefix}cluster:leadership-version`;
}
/**
 * A random value one broker sets once in a Redis that holds none: every broker remembers the
 * one it saw, so when Redis loses its data each broker notices on its own (the value is gone or
 * another), even after another broker has already written the leadership and its version back.
 */
export function redisIncarnationKey(prefix: string): string {
  return `${prefix}cluster:redis-incarnation`;
}
export function leadershipChannel(prefix: string): string {
  return `${prefix}cluster:leadership-changes`;
}

/**
 * KEYS[1] controller lease, KEYS[2] leadership hash, KEYS[3] version counter; ARGV[1] the
 * writer's incarnation, then (field, epoch, json) triples. Answers {1, version} when written;
 * {0, false} when the writer does not hold the lease; {2, field} when an epoch would not grow.
 */
export const WRITE_LEADERSHIP_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then return {0, false} end
local ok, lease = pcall(cjson.decode, cur)
if not ok or type(lease) ~= 'table' or lease.incarnation ~= ARGV[1] then return {0, false} end
for i = 2, #ARGV, 3 do
  local stored = redis.call('HGET', KEYS[2], ARGV[i])
  if stored then
    local ok2, old = pcall(cjson.decode, stored)
    if ok2 and type(old) == 'table' and tonumber(old.epoch) >= tonumber(ARGV[i + 1]) then return {2, ARGV[i]} end
  end
end
for i = 2, #ARGV, 3 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2]) end
return {1, redis.call('INCR', KEYS[3])}
`;

/**
 * Redis lost its data: a broker writes back what its snapshot holds. KEYS[1] leadership hash,
 * KEYS[2] version counter; ARGV[1] version floor, ARGV[2] channel, then (field, epoch, json)
 * triples — each written only where absent or holding a lower epoch. Answers the new version.
 */
export const RESEED_LEADERSHIP_LUA = `
for i = 3, #ARGV, 3 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  local lower = true
  if stored then
    local ok, old = pcall(cjson.decode, stored)
    if ok and type(old) == 'table' and tonumber(old.epoch) >= tonumber(ARGV[i + 1]) then lower = false end
  end
  if lower then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1]) end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], tostring(v))
return v
`;

const leadershipSchema = z.object({ leader: z.number().int(), epoch: z.number().int().min(0), from: z.number().int().optional(), lost: z.number().int().optional() });

export interface LeadershipStoreOptions {
  redis: Redis;
  keyPrefix: string;
  logger: Logger;
  /** Version poll period (default 500 ms). */
  pollMs?: number;
}

export class LeadershipStore {
  private snapshot = new Map<PartitionId, Leadership>();
  private version = -1;
  /** The Redis incarnation this broker saw (redisIncarnationKey); undefined before the first load. */
  private incarnation: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private subscriber: Redis | undefined;
  private readonly listeners: Array<() => void> = [];
  private readonly lossListeners: Array<() => void> = [];
  private refreshing: Promise<void> | undefined;

  constructor(private readonly opts: LeadershipStoreOptions) {}

  /** Loads the snapshot, then follows changes (pub/sub plus the version poll). */
  async start(): Promise<void> {
    await this.refresh();
    const { redis, keyPrefix } = this.opts;
    // Its own connection (a subscribed connection serves nothing else), queueing while it connects.
    this.subscriber = redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    this.subscriber.on('message', () => void this.refresh());
    this.subscriber.on('error', (err: unknown) => this.opts.logger.debug({ err }, 'leadership subscriber error'));
    await this.subscriber.subscribe(leadershipChannel(keyPrefix)).catch((err: unknown) => this.opts.logger.warn({ err }, 'leadership changes: subscribe failed; polling only'));
    this.timer = setInterval(() => void this.refresh(), this.opts.pollMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /** The snapshot's leader and epoch of a partition. */
  get(id: PartitionId): Leadership | undefined {
    return this.snapshot.get(id);
  }

  all(): ReadonlyMap<PartitionId, Leadership> {
    return this.snapshot;
  }

  /** Called after the snapshot changed (any broker's write). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Called after this broker wrote its snapshot back because Redis lost the leadership. */
  onDataLoss(listener: () => void): void {
    this.lossListeners.push(listener);
  }

  /**
   * The controller's write of a plan (partition-assignment.ts). Rejects with
   * STRATA_ERR_NOT_CONTROLLER when `incarnation` does not hold the controller lease, and
   * STRATA_ERR_STALE_LEADER_EPOCH when an epoch would not grow; nothing is written then.
   */
  async write(incarnation: string, changes: readonly LeadershipChange[]): Promise<void> {
    if (changes.length === 0) return;
    const { redis, keyPrefix } = this.opts;
    const args: string[] = [incarnation];
    for (const c of changes) args.push(c.id, String(c.epoch), JSON.stringify(leadershipRecord(c)));
    const answer = (await redis.eval(WRITE_LEADERSHIP_LUA, 3, controllerKey(keyPrefix), leadershipKey(keyPrefix), leadershipVersionKey(keyPrefix), ...args)) as [number, unknown];
    if (answer[0] === 0) throw new StrataError('STRATA_ERR_NOT_CONTROLLER', 'partition leadership not written: this broker does not hold the controller lease');
    if (answer[0] === 2) throw new StrataError('STRATA_ERR_STALE_LEADER_EPOCH', `partition leadership not written: the epoch of ${String(answer[1])} would not grow`);
    await redis.publish(leadershipChannel(keyPrefix), String(answer[1])).catch(() => undefined);
    await this.refresh();
  }

  /** Reloads the snapshot when the version moved (one refresh at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Sets a new Redis incarnation where there is none; answers the one Redis holds. */
  private async claimIncarnation(): Promise<string> {
    const key = redisIncarnationKey(this.opts.keyPrefix);
    await this.opts.redis.set(key, randomBytes(8).toString('hex'), 'NX');
    return (await this.opts.redis.get(key)) ?? '';
  }

  private async reseed(found: number): Promise<void> {
    const { redis, keyPrefix, logger } = this.opts;
    const args: string[] = [String(this.version), leadershipChannel(keyPrefix)];
    for (const [id, l] of this.snapshot) args.push(id, String(l.epoch), JSON.stringify(l));
    const version = Number(await redis.eval(RESEED_LEADERSHIP_LUA, 2, leadershipKey(keyPrefix), leadershipVersionKey(keyPrefix), ...args));
    logger.warn({ found, loaded: this.version, reseeded: version, partitions: this.snapshot.size }, 'partition leadership in Redis went backwards (Redis lost its data): wrote this broker\'s view back');
    this.version = -1; // the next refresh loads the merged hash
    for (const l of this.lossListeners) l();
  }

  private async load(): Promise<void> {
    const { redis, keyPrefix, logger } = this.opts;
    try {
      const [rawVersion, incarnation] = await redis.mget(leadershipVersionKey(keyPrefix), redisIncarnationKey(keyPrefix));
      const version = Number(rawVersion ?? 0);
      const seen = this.incarnation;
      if (seen === undefined || incarnation !== seen) this.incarnation = incarnation ?? (await this.claimIncarnation());
      // Redis lost its data (restart without persistence, FLUSHDB): its incarnation changed, or
      // the version went backwards. Epochs must not go back: this broker writes its view back.
      if ((seen !== undefined && incarnation !== seen) || version < this.version) {
        await this.reseed(version);
        return;
      }
      if (version === this.version) return;
      const raw = await redis.hgetall(leadershipKey(keyPrefix));
      const next = new Map<PartitionId, Leadership>();
      for (const [field, json] of Object.entries(raw)) {
        try {
          const parsed = leadershipSchema.safeParse(JSON.parse(json));
          if (parsed.success) next.set(field as PartitionId, parsed.data);
        } catch {
          // malformed: skipped (never written by Strata)
        }
      }
      // Never below what this broker saw: a partition's epoch only grows (a stale or partial
      // reload keeps the higher entry until Redis catches up).
      for (const [id, mine] of this.snapshot) {
        const theirs = next.get(id);
        if (theirs === undefined || theirs.epoch < mine.epoch) next.set(id, mine);
      }
      this.snapshot = next;
      this.version = version;
      for (const l of this.listeners) l();
    } catch (err) {
      logger.debug({ err }, 'leadership refresh failed; keeping the last snapshot');
    }
  }
}

/**
 * What the hash holds for a change: `from` when the previous leader must hand the partition
 * over, `lost` when the new leader rebuilds it from a dead broker's write-ahead objects.
 */
export function leadershipRecord(c: LeadershipChange): Leadership {
  const base = { leader: c.to, epoch: c.epoch };
  if (c.source !== undefined) return 'lost' in c.source ? { ...base, lost: c.source.lost } : { ...base, from: c.source.handoffFrom };
  return HANDOFF_REASONS.has(c.reason) && c.from !== undefined && c.from !== c.to ? { ...base, from: c.from } : base;
}
