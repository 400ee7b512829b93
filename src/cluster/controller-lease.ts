// Thread: main. The controller lease: `<prefix>cluster:controller` = {nodeId, incarnation,
// epoch}, SET NX PX (lease = session timeout) by whichever broker finds it free, renewed by its
// holder with a Lua compare-and-renew on its incarnation. When the holder stops renewing (dead,
// paused, cut off from Redis) the key expires and the next broker to tick takes it with a new
// epoch from the INCR counter `<prefix>cluster:controller-epoch` — the epoch only grows, even
// across a Redis that lost its data (each broker passes the highest epoch it has seen).
// The holder counts itself controller only until its lease would have expired as measured from
// the moment it sent the last successful renew, so a broker cut off from Redis stops believing
// it leads no later than Redis lets another take over.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { controllerEpochKey, controllerKey } from './cluster-keys.js';
import { ACQUIRE_LEASE_LUA, DELETE_IF_HOLDER_LUA, RENEW_IF_HOLDER_LUA, scriptAnswer } from './lease-scripts.js';

const leaseValueSchema = z.object({ nodeId: z.number().int(), incarnation: z.string(), epoch: z.number().int() });
export type ControllerLeaseValue = z.infer<typeof leaseValueSchema>;

/** What every broker knows about the controller. controllerId -1 = none known (Kafka's "no controller"). */
export interface ControllerState {
  controllerId: number;
  epoch: number;
  isController: boolean;
}

export interface ControllerLeaseOptions {
  redis: Redis;
  keyPrefix: string;
  nodeId: number;
  /** This broker process's incarnation (the registry's). */
  incarnation: string;
  leaseMs: number;
  logger: Logger;
  now?: () => number;
}

function parseLease(json: string | undefined): ControllerLeaseValue | undefined {
  if (json === undefined) return undefined;
  try {
    const parsed = leaseValueSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export class ControllerLease {
  private current: ControllerLeaseValue | undefined;
  private heldUntilMs = 0;
  private highestEpochSeen = 0;
  private lastReported: ControllerState = { controllerId: -1, epoch: 0, isController: false };
  private readonly listeners: Array<(state: ControllerState) => void> = [];
  private lastErrorLogMs = 0;
  private readonly now: () => number;

  constructor(private readonly opts: ControllerLeaseOptions) {
    this.now = opts.now ?? Date.now;
  }

  get isController(): boolean {
    return this.holds(this.current) && this.now() < this.heldUntilMs;
  }

  /** Node id of the controller as last seen in Redis, -1 when none. */
  get controllerId(): number {
    return this.current?.nodeId ?? -1;
  }

  /** Epoch of the controller as last seen; with none, the highest seen (0 before any). */
  get epoch(): number {
    return this.current?.epoch ?? this.highestEpochSeen;
  }

  state(): ControllerState {
    return { controllerId: this.controllerId, epoch: this.epoch, isController: this.isController };
  }

  /** Called when the controller id, its epoch, or whether this broker is the controller changes. */
  onChange(listener: (state: ControllerState) => void): void {
    this.listeners.push(listener);
  }

  /**
   * One lease round: the holder renews; anyone else (and a holder whose renew failed) takes the
   * lease if it is free and `mayTake` (this broker is registered), else reads who holds it.
   */
  async tick(mayTake: boolean): Promise<ControllerState> {
    const { redis, keyPrefix } = this.opts;
    const key = controllerKey(keyPrefix);
    const sentAtMs = this.now();
    try {
      let value: string | undefined;
      let renewed = false;
      if (this.holds(this.current)) {
        const answer = scriptAnswer(await redis.eval(RENEW_IF_HOLDER_LUA, 1, key, this.opts.incarnation, String(this.opts.leaseMs)));
        renewed = answer.status === 1;
        value = answer.value;
        if (!renewed) this.opts.logger.warn({ nodeId: this.opts.nodeId, epoch: this.epoch }, 'controller lease lost (expired before it was renewed)');
      }
      if (!renewed) {
        if (mayTake) {
          const answer = scriptAnswer(
            await redis.eval(ACQUIRE_LEASE_LUA, 2, key, controllerEpochKey(keyPrefix), String(this.opts.nodeId), this.opts.incarnation, String(this.opts.leaseMs), String(this.highestEpochSeen)),
          );
          value = answer.value;
        } else {
          value = (await redis.get(key)) ?? undefined;
        }
      }
      const lease = parseLease(value);
      this.current = lease;
      if (lease) this.highestEpochSeen = Math.max(this.highestEpochSeen, lease.epoch);
      if (this.holds(lease)) this.heldUntilMs = sentAtMs + this.opts.leaseMs;
    } catch (err) {
      const now = this.now();
      if (now - this.lastErrorLogMs >= 10_000) {
        this.lastErrorLogMs = now;
        this.opts.logger.error({ err: (err as Error).message }, 'controller lease round failed: Redis unreachable');
      }
    }
    return this.report();
  }

  /** Gives the lease up if this broker holds it (SIGTERM), so another takes over at once. */
  async release(): Promise<boolean> {
    if (!this.holds(this.current)) return false;
    this.heldUntilMs = 0;
    const answer = scriptAnswer(await this.opts.redis.eval(DELETE_IF_HOLDER_LUA, 1, controllerKey(this.opts.keyPrefix), this.opts.incarnation));
    if (answer.status === 1) {
      this.opts.logger.info({ nodeId: this.opts.nodeId, epoch: this.epoch }, 'gave up the controller lease');
      this.current = undefined; // no controller until another broker takes the lease
    }
    this.report();
    return answer.status === 1;
  }

  private holds(lease: ControllerLeaseValue | undefined): boolean {
    return lease !== undefined && lease.incarnation === this.opts.incarnation;
  }

  private report(): ControllerState {
    const state = this.state();
    const last = this.lastReported;
    if (state.controllerId !== last.controllerId || state.epoch !== last.epoch || state.isController !== last.isController) {
      this.lastReported = state;
      this.opts.logger.info(state, state.isController ? 'this broker is the controller' : 'controller changed');
      for (const l of this.listeners) l(state);
    }
    return state;
  }
}
