// Thread: main. This broker's registration in the cluster (`<prefix>cluster:broker:<nodeId>`,
// JSON BrokerInfo, TTL = session timeout) and the cached view of every live broker.
// - register(): SET NX PX at start-up. When the id is held, the holder is watched for up to a
//   session timeout: a live holder refreshes its key (its TTL goes up) and start-up refuses
//   (STRATA_ERR_NODE_ID_IN_USE) — a broker never takes over a live id; a dead holder's key (this
//   very broker killed and restarted at once) expires and the id is taken.
// - heartbeat(): one Lua compare-and-refresh on our incarnation (never another process's key);
//   a lost registration (expired while paused, Redis flushed) is registered again when the id
//   is free, else an error is logged and the next heartbeat tries again. Then the view of live
//   brokers is re-read (SCAN of the key pattern + MGET, never KEYS) and onChange fires when the
//   set changed.
// - deregister(): compare-and-delete on SIGTERM, so the others see this broker gone at once.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StrataError } from '../errors.js';
import { parseBrokerInfo, sameBrokerSet, type BrokerInfo } from './broker-info.js';
import { brokerKey, brokerKeyPattern } from './cluster-keys.js';
import { DELETE_IF_HOLDER_LUA, REFRESH_REGISTRATION_LUA, scriptAnswer } from './lease-scripts.js';

export interface BrokerRegistryOptions {
  redis: Redis;
  keyPrefix: string;
  /** What this broker registers, without the fields the registry fills in. */
  self: Omit<BrokerInfo, 'incarnation' | 'startedAtMs'>;
  sessionTimeoutMs: number;
  /** How often brokers refresh their registration (bounds how long a live holder takes to show itself). */
  heartbeatIntervalMs: number;
  logger: Logger;
  /** Clock (tests). */
  now?: () => number;
}

/** Outcome of one heartbeat for this broker's own registration. */
export type RegistrationState = 'registered' | 're-registered' | 'id-taken' | 'redis-error';

export class BrokerRegistry {
  readonly incarnation = randomBytes(8).toString('hex');
  readonly info: BrokerInfo;
  private registeredNow = false;
  private view: BrokerInfo[] = [];
  private readonly listeners: Array<(brokers: readonly BrokerInfo[]) => void> = [];
  private readonly key: string;
  private lastErrorLogMs = 0;

  constructor(private readonly opts: BrokerRegistryOptions) {
    this.info = { ...opts.self, startedAtMs: (opts.now ?? Date.now)(), incarnation: this.incarnation };
    this.key = brokerKey(opts.keyPrefix, opts.self.nodeId);
  }

  /** True while the last heartbeat found (or made) this process's registration in Redis. */
  get registered(): boolean {
    return this.registeredNow;
  }

  /**
   * Registers with SET NX PX. A held id is watched (GET + PTTL every quarter heartbeat): a live
   * holder refreshes it within one heartbeat (TTL up, or another process's value) and this
   * refuses; a dead holder's key expires (within its TTL, at most a session timeout when the
   * holder had the same settings) and the id is taken.
   */
  async register(): Promise<void> {
    const { redis, sessionTimeoutMs, heartbeatIntervalMs } = this.opts;
    const now = this.opts.now ?? Date.now;
    const json = JSON.stringify(this.info);
    // Bound on the watch: the key's own TTL (or a session timeout) plus a heartbeat. SET NX never
    // takes a held key, so the bound only decides when to give up, never whether to steal.
    let deadline = now() + sessionTimeoutMs + heartbeatIntervalMs;
    const pollMs = Math.max(5, Math.min(250, Math.floor(heartbeatIntervalMs / 4)));
    let last: { value: string; ttlMs: number } | undefined;
    for (;;) {
      if ((await redis.set(this.key, json, 'PX', sessionTimeoutMs, 'NX')) === 'OK') break;
      const replies = await redis.multi().get(this.key).pttl(this.key).exec();
      const value = replies?.[0]?.[1];
      const ttlMs = replies?.[1]?.[1];
      if (typeof value !== 'string') continue; // expired just now: try again at once
      const ttl = typeof ttlMs === 'number' ? ttlMs : -1;
      // Without a refresh, successive PTTL readings only go down; a live holder's refresh (or
      // another process taking the id) shows within one heartbeat.
      const alive = last !== undefined && (value !== last.value || ttl > last.ttlMs);
      if (alive || ttl < 0 || now() >= deadline) {
        throw new StrataError('STRATA_ERR_NODE_ID_IN_USE', nodeIdInUseMessage(this.opts.self.nodeId, this.opts.keyPrefix, parseBrokerInfo(value), sessionTimeoutMs));
      }
      if (last === undefined) {
        deadline = Math.max(deadline, now() + ttl + heartbeatIntervalMs);
        this.opts.logger.info({ nodeId: this.info.nodeId, holder: parseBrokerInfo(value), ttlMs: ttl }, 'node.id is registered: waiting to see whether its holder is alive (it refreshes) or gone (it expires)');
      }
      last = { value, ttlMs: ttl };
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    this.registeredNow = true;
    await this.refreshView();
  }

  /** Refreshes our registration (compare-and-refresh), then re-reads the live brokers. */
  async heartbeat(): Promise<RegistrationState> {
    let state: RegistrationState;
    try {
      const answer = scriptAnswer(
        await this.opts.redis.eval(REFRESH_REGISTRATION_LUA, 1, this.key, this.incarnation, String(this.opts.sessionTimeoutMs), JSON.stringify(this.info)),
      );
      state = answer.status === 1 ? 'registered' : answer.status === 2 ? 're-registered' : 'id-taken';
      if (state === 're-registered') {
        this.opts.logger.warn({ nodeId: this.info.nodeId, incarnation: this.incarnation }, 'cluster registration was lost (expired or Redis data lost); registered again');
      } else if (state === 'id-taken') {
        const holder = parseBrokerInfo(answer.value);
        this.logError(
          { nodeId: this.info.nodeId, holder },
          `cluster registration lost and node.id ${this.info.nodeId} is now held by another live broker${holder ? ` (${holder.host}:${holder.port}, incarnation ${holder.incarnation})` : ''}; not taking it over, retrying every heartbeat`,
        );
      }
    } catch (err) {
      state = 'redis-error';
      this.logError({ err: (err as Error).message }, 'cluster heartbeat failed: cannot refresh the registration in Redis');
    }
    this.registeredNow = state === 'registered' || state === 're-registered';
    if (state !== 'redis-error') {
      try {
        await this.refreshView();
      } catch (err) {
        this.logError({ err: (err as Error).message }, 'cluster heartbeat failed: cannot read the live brokers from Redis');
      }
    }
    return state;
  }

  /** Deletes our registration if it is still ours (SIGTERM). */
  async deregister(): Promise<boolean> {
    this.registeredNow = false;
    const answer = scriptAnswer(await this.opts.redis.eval(DELETE_IF_HOLDER_LUA, 1, this.key, this.incarnation));
    return answer.status === 1;
  }

  /** The live brokers as of the last heartbeat, by node id. */
  liveBrokers(): BrokerInfo[] {
    return this.view.slice();
  }

  /** Called with the new list whenever the set of live brokers changes. */
  onChange(listener: (brokers: readonly BrokerInfo[]) => void): void {
    this.listeners.push(listener);
  }

  /** Re-reads every registration: SCAN the key pattern, MGET the values. */
  async refreshView(): Promise<BrokerInfo[]> {
    const { redis, keyPrefix } = this.opts;
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', brokerKeyPattern(keyPrefix), 'COUNT', 200);
      for (const k of batch) keys.add(k);
      cursor = next;
    } while (cursor !== '0');
    const found: BrokerInfo[] = [];
    if (keys.size > 0) {
      const values = await redis.mget(...keys);
      for (const v of values) {
        const info = parseBrokerInfo(v); // expired between SCAN and MGET, or malformed: skipped
        if (info) found.push(info);
      }
    }
    found.sort((a, b) => a.nodeId - b.nodeId);
    if (!sameBrokerSet(this.view, found)) {
      this.view = found;
      this.opts.logger.info({ brokers: found.map((b) => `${b.nodeId}@${b.host}:${b.port}`) }, 'live brokers changed');
      for (const l of this.listeners) l(found);
    }
    return found;
  }

  /** Errors repeat every heartbeat: log at most one per 10 s. */
  private logError(fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if (now - this.lastErrorLogMs < 10_000) return;
    this.lastErrorLogMs = now;
    this.opts.logger.error(fields, msg);
  }
}

function nodeIdInUseMessage(nodeId: number, prefix: string, holder: BrokerInfo | undefined, sessionTimeoutMs: number): string {
  const who = holder ? `the broker at ${holder.host}:${holder.port} (started ${new Date(holder.startedAtMs).toISOString()}, incarnation ${holder.incarnation})` : 'another broker';
  return (
    `node.id ${nodeId} is already registered by a live broker in this cluster (Redis prefix "${prefix}"): ${who}. ` +
    `Give this broker another --node.id, or stop the other one (a killed broker's registration expires ${sessionTimeoutMs} ms after its last heartbeat)`
  );
}
