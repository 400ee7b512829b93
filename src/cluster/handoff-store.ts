// Thread: main. Handoffs of partitions between brokers, in Redis:
//   <prefix>cluster:handoffs         hash  PartitionId → JSON HandoffRecord (with producer state)
//   <prefix>cluster:handoff-epochs   hash  PartitionId → leader epoch of the last handoff (small,
//                                          read whole by the controller every round)
//   <prefix>cluster:moves            pub/sub channel: the PartitionId after every handoff, '*'
//                                          after every move request (move-requests.ts)
// A broker handing a partition over (partition-handoff.ts) writes the record once the bucket
// holds the partition's whole log; the new leader waits for a record of its own leader epoch
// and opens from it. The write is fenced in one Lua step against the leadership hash: it
// succeeds only when the partition's current leadership has exactly this epoch and names the
// writer as the broker handing over (`from`), so a deposed or confused broker cannot publish
// an end offset for a leadership it is not part of.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PartitionId } from '../ipc/partition-id.js';
import { StrataError } from '../errors.js';
import { leadershipKey } from './leadership-store.js';

export function handoffsKey(prefix: string): string {
  return `${prefix}cluster:handoffs`;
}
export function servingKey(prefix: string): string {
  return `${prefix}cluster:serving`;
}
/** Per broker: write-ahead object key → `partition:lastOffset,…` of the partitions committed in it. */
export function walCommitsKey(prefix: string, nodeId: number): string {
  return `${prefix}cluster:wal-commits:${nodeId}`;
}
export function handoffEpochsKey(prefix: string): string {
  return `${prefix}cluster:handoff-epochs`;
}
/** Published after every handoff (the partition id) and every move request ('*'). */
export function movesChannel(prefix: string): string {
  return `${prefix}cluster:moves`;
}

/** What the broker handing a partition over leaves for the next leader. */
export interface HandoffRecord {
  /** The leader epoch of the new leadership this handoff serves. */
  epoch: number;
  /** The node id of the broker that handed over. */
  from: number;
  /** The log's end: every offset below it is in the bucket; the new leader continues here. */
  endOffset: number;
  /** Log start offset set by DeleteRecords (0: never). */
  deleteRecordsOffset: number;
  /** Idempotent-producer state at endOffset (ProducerStateManager.serialize(), base64). */
  producers: string;
  /** When the old leader stopped accepting writes (its clock): the new leader reports the pause. */
  fencedAtMs: number;
}

const handoffSchema = z.object({
  epoch: z.number().int().min(0),
  from: z.number().int(),
  endOffset: z.number().int().min(0),
  deleteRecordsOffset: z.number().int().min(0),
  producers: z.string(),
  fencedAtMs: z.number(),
});

/**
 * KEYS[1] leadership hash, KEYS[2] handoffs hash, KEYS[3] handoff epochs hash; ARGV[1] field,
 * ARGV[2] epoch, ARGV[3] writer node id, ARGV[4] record JSON. Answers 1 when written, 0 when
 * the current leadership is not this epoch handed over by this writer.
 */
export const WRITE_HANDOFF_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local ok, l = pcall(cjson.decode, cur)
if not ok or type(l) ~= 'table' or tonumber(l.epoch) ~= tonumber(ARGV[2]) or tonumber(l.from) ~= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
`;

/**
 * KEYS[1] leadership hash, KEYS[2] serving hash; ARGV[1] field, ARGV[2] epoch, ARGV[3] the
 * writer's node id. 1 when written; 0 when the writer does not lead at that epoch.
 */
export const WRITE_SERVING_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local ok, l = pcall(cjson.decode, cur)
if not ok or type(l) ~= 'table' or tonumber(l.epoch) ~= tonumber(ARGV[2]) or tonumber(l.leader) ~= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. ':' .. ARGV[2])
return 1
`;

/**
 * Commits a stored write-ahead object, atomically with the leadership check: KEYS[1] leadership
 * hash, KEYS[2] the writer's commits hash, KEYS[3] handoff epochs; ARGV[1] object key, ARGV[2]
 * writer node id, then (partition, epoch, last offset) triples. Partitions the writer still leads
 * at that epoch — or is handing over gracefully (`from` = the writer, handoff not yet published:
 * its whole local log goes with the handoff, so what it commits now is not lost) — are recorded
 * as committed for the object (with their last offset there); answers the others. Because the controller's leadership writes are
 * Lua steps on the same Redis, a commit is either before a partition moved (and a rebuild uses
 * it) or fails (and the batches are never acknowledged, and never used).
 */
export const COMMIT_WAL_LUA = `
local committed = {}
local gone = {}
for i = 3, #ARGV, 3 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local led = false
  if cur then
    local ok, l = pcall(cjson.decode, cur)
    if ok and type(l) == 'table' then
      if tonumber(l.leader) == tonumber(ARGV[2]) and tonumber(l.epoch) == tonumber(ARGV[i + 1]) then led = true
      elseif tonumber(l.from) == tonumber(ARGV[2]) and tonumber(l.epoch) > tonumber(ARGV[i + 1]) and tonumber(redis.call('HGET', KEYS[3], ARGV[i]) or '-1') ~= tonumber(l.epoch) then led = true end
    end
  end
  if led then table.insert(committed, ARGV[i] .. ':' .. ARGV[i + 2]) else table.insert(gone, ARGV[i]) end
end
if #committed > 0 then redis.call('HSET', KEYS[2], ARGV[1], table.concat(committed, ',')) end
return gone
`;

/** Per write-ahead object key: the committed partitions and their last offset in it. */
export type WalCommits = Map<string, Map<PartitionId, number>>;

/**
 * A partition was rebuilt from a dead broker's write-ahead objects and re-stored by its new
 * leader: the dead broker's commits of it are no longer needed. KEYS[1] the dead broker's
 * commits hash; ARGV[1] the partition. Removes the partition from every object's commit and
 * answers the object keys left with no commit at all (the caller deletes those objects).
 */
export const RELEASE_WAL_COMMITS_LUA = `
local emptied = {}
local all = redis.call('HGETALL', KEYS[1])
local prefix = ARGV[1] .. ':'
for i = 1, #all, 2 do
  local kept = {}
  local changed = false
  for item in string.gmatch(all[i + 1], '[^,]+') do
    if string.sub(item, 1, #prefix) == prefix then changed = true else table.insert(kept, item) end
  end
  if changed then
    if #kept == 0 then
      redis.call('HDEL', KEYS[1], all[i])
      table.insert(emptied, all[i])
    else
      redis.call('HSET', KEYS[1], all[i], table.concat(kept, ','))
    end
  end
end
return emptied
`;

export interface HandoffStoreOptions {
  redis: Redis;
  keyPrefix: string;
  logger: Logger;
}

export class HandoffStore {
  private subscriber: Redis | undefined;
  private readonly listeners: Array<(id: PartitionId | '*') => void> = [];

  constructor(private readonly opts: HandoffStoreOptions) {}

  /** Follows handoffs and move requests written by any broker (onWritten: the partition, or '*'). */
  async start(): Promise<void> {
    const { redis, keyPrefix, logger } = this.opts;
    this.subscriber = redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    this.subscriber.on('message', (_channel: string, id: string) => {
      for (const l of this.listeners) l(id as PartitionId);
    });
    this.subscriber.on('error', (err: unknown) => logger.debug({ err }, 'handoff subscriber error'));
    await this.subscriber.subscribe(movesChannel(keyPrefix)).catch((err: unknown) => logger.warn({ err }, 'handoffs: subscribe failed; polling only'));
  }

  stop(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  onWritten(listener: (id: PartitionId | '*') => void): void {
    this.listeners.push(listener);
  }

  /**
   * Publishes a handoff. Rejects with STRATA_ERR_STALE_LEADER_EPOCH when the partition's
   * leadership is no longer `record.epoch` handed over by `record.from` (nothing written).
   */
  async write(id: PartitionId, record: HandoffRecord): Promise<void> {
    const { redis, keyPrefix } = this.opts;
    const written = await redis.eval(WRITE_HANDOFF_LUA, 3, leadershipKey(keyPrefix), handoffsKey(keyPrefix), handoffEpochsKey(keyPrefix), id, String(record.epoch), String(record.from), JSON.stringify(record));
    if (written !== 1) throw new StrataError('STRATA_ERR_STALE_LEADER_EPOCH', `handoff of ${id} at epoch ${record.epoch} not written: the partition's leadership changed`);
    await redis.publish(movesChannel(keyPrefix), id).catch(() => undefined);
  }

  /** The last handoff of a partition, if any. */
  async get(id: PartitionId): Promise<HandoffRecord | undefined> {
    const raw = await this.opts.redis.hget(handoffsKey(this.opts.keyPrefix), id);
    if (raw === null) return undefined;
    try {
      const parsed = handoffSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** The leader epoch of every partition's last handoff (the controller's "settled" check). */
  async epochs(): Promise<Map<PartitionId, number>> {
    const raw = await this.opts.redis.hgetall(handoffEpochsKey(this.opts.keyPrefix));
    return new Map(Object.entries(raw).map(([id, epoch]) => [id as PartitionId, Number(epoch)]));
  }

  /**
   * Records that `nodeId` serves the partition at `epoch`: it took it over or rebuilt it, and its
   * local log (and write-ahead objects) are from now on the partition's truth at that epoch — a
   * restart of it keeps them, a later handoff seals them. Rejects with
   * STRATA_ERR_STALE_LEADER_EPOCH when it no longer leads at that epoch.
   */
  async markServing(id: PartitionId, epoch: number, nodeId: number): Promise<void> {
    const { redis, keyPrefix } = this.opts;
    const written = await redis.eval(WRITE_SERVING_LUA, 2, leadershipKey(keyPrefix), servingKey(keyPrefix), id, String(epoch), String(nodeId));
    if (written !== 1) throw new StrataError('STRATA_ERR_STALE_LEADER_EPOCH', `serving ${id} at epoch ${epoch} not recorded: the partition's leadership changed`);
    await redis.publish(movesChannel(keyPrefix), id).catch(() => undefined);
  }

  /** Who last recorded serving the partition, at which epoch. */
  async servingOf(id: PartitionId): Promise<{ node: number; epoch: number } | undefined> {
    return parseServing(await this.opts.redis.hget(servingKey(this.opts.keyPrefix), id));
  }

  /** The epoch each partition was last recorded served at (the controller's "settled" check). */
  async servingEpochs(): Promise<Map<PartitionId, number>> {
    const raw = await this.opts.redis.hgetall(servingKey(this.opts.keyPrefix));
    const out = new Map<PartitionId, number>();
    for (const [id, v] of Object.entries(raw)) {
      const s = parseServing(v);
      if (s !== undefined) out.set(id as PartitionId, s.epoch);
    }
    return out;
  }

  /**
   * Commits a stored write-ahead object (COMMIT_WAL_LUA): answers the partitions `nodeId` no
   * longer leads at the epoch it appended with — their batches are neither acknowledged nor
   * ever used by a rebuild.
   */
  async commitWal(objectKey: string, parts: ReadonlyArray<{ p: PartitionId; e: number; l: number }>, nodeId: number): Promise<Set<PartitionId>> {
    const last = new Map<string, [PartitionId, number, number]>();
    for (const { p, e, l } of parts) last.set(`${p}:${e}`, [p, e, Math.max(l, last.get(`${p}:${e}`)?.[2] ?? -1)]);
    const args: string[] = [objectKey, String(nodeId)];
    for (const [p, e, l] of last.values()) args.push(p, String(e), String(l));
    const gone = (await this.opts.redis.eval(COMMIT_WAL_LUA, 3, leadershipKey(this.opts.keyPrefix), walCommitsKey(this.opts.keyPrefix, nodeId), handoffEpochsKey(this.opts.keyPrefix), ...args)) as string[];
    return new Set(gone as PartitionId[]);
  }

  /** Committed partitions (with their last offset) per write-ahead object of a broker: what a rebuild may use. */
  async walCommits(nodeId: number): Promise<WalCommits> {
    const raw = await this.opts.redis.hgetall(walCommitsKey(this.opts.keyPrefix, nodeId));
    const out: WalCommits = new Map();
    for (const [key, list] of Object.entries(raw)) {
      const parts = new Map<PartitionId, number>();
      for (const item of list.split(',')) {
        const at = item.lastIndexOf(':');
        if (at > 0) parts.set(item.slice(0, at) as PartitionId, Math.max(Number(item.slice(at + 1)), parts.get(item.slice(0, at) as PartitionId) ?? -1));
      }
      out.set(key, parts);
    }
    return out;
  }

  /**
   * After a rebuild re-stored a partition: drops the dead broker's commits of it; answers the
   * keys of the dead broker's objects that no longer hold anything committed (to delete).
   */
  async releaseWalCommits(deadNode: number, id: PartitionId): Promise<string[]> {
    return (await this.opts.redis.eval(RELEASE_WAL_COMMITS_LUA, 1, walCommitsKey(this.opts.keyPrefix, deadNode), id)) as string[];
  }

  /** Forgets the commits of deleted objects; `restore` writes commits back (Redis lost them). */
  async forgetWalCommits(nodeId: number, keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.opts.redis.hdel(walCommitsKey(this.opts.keyPrefix, nodeId), ...keys);
  }

  async restoreWalCommits(nodeId: number, commits: WalCommits): Promise<void> {
    const fields: string[] = [];
    for (const [key, parts] of commits) fields.push(key, [...parts].map(([p, l]) => `${p}:${l}`).join(','));
    if (fields.length > 0) await this.opts.redis.hset(walCommitsKey(this.opts.keyPrefix, nodeId), ...fields);
  }

}

function parseServing(v: string | null | undefined): { node: number; epoch: number } | undefined {
  const m = v ? /^(-?\d+):(\d+)$/.exec(v) : null;
  return m ? { node: Number(m[1]), epoch: Number(m[2]) } : undefined;
}
