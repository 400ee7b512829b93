// Thread: main. Enforcement of client quotas with Kafka's ClientQuotaManager semantics: for a
// connection's user (principal name) and client id, each quota type resolves by Kafka's
// precedence (quota-entity.ts) to a bound and the sensor it is metered on; the resolution is
// cached per (user, client id) until the quotas change. Produce request bytes, fetch response
// bytes and handler time (as a percentage of one thread) are recorded on O(1) rate sensors
// (rate-sensor.ts); a client over its bound gets the throttle time Kafka computes, capped at
// quota.max.throttle.ms, which the dispatcher answers in throttle_time_ms and mutes the
// connection for. With no quota configured at all nothing is looked up or recorded.
// Sensors idle for the whole quota window are dropped (they are then identical to new ones);
// at most MAX_SENSORS live at once (the oldest goes first), as are MAX_RESOLVED cached resolutions.
import type { Logger } from 'pino';
import { precedence, quotaUser, type QuotaKey } from './quota-entity.js';
import { attachSensorCount, countQuotaBytes, observeThrottle, type QuotaType } from './quota-metrics.js';
import type { QuotaStore } from './quota-store.js';
import { RateSensor, type SensorConfig } from './rate-sensor.js';

const MAX_SENSORS = 100_000;
const MAX_RESOLVED = 10_000;
const NANOS_TO_PERCENT_SECONDS = 100 / 1e9;

export interface ClientQuotasConfig extends SensorConfig {
  /** quota.max.throttle.ms */
  maxThrottleMs: number;
}

/** One quota that applies to a client: its bound and the sensor it is metered on. */
export interface AppliedQuota {
  bound: number;
  sensorKey: string;
}

/** What applies to one (user, client id); a field is undefined when that quota type is unlimited. */
export interface ClientQuota {
  produce: AppliedQuota | undefined;
  fetch: AppliedQuota | undefined;
  request: AppliedQuota | undefined;
}

const QUOTA_TYPES: Array<[QuotaType, QuotaKey]> = [
  ['produce', 'producer_byte_rate'],
  ['fetch', 'consumer_byte_rate'],
  ['request', 'request_percentage'],
];

export class ClientQuotas {
  private readonly sensors = new Map<string, RateSensor>();
  private resolved = new Map<string, ClientQuota | null>();
  private any = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly store: QuotaStore,
    private readonly cfg: ClientQuotasConfig,
    private readonly logger?: Logger,
  ) {
    store.onChange(() => this.changed());
    attachSensorCount(() => this.sensors.size);
  }

  async start(): Promise<void> {
    await this.store.start();
    this.changed();
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), Math.max(1_000, this.cfg.windowNum * this.cfg.windowMs));
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.store.close();
  }

  get windowMs(): number {
    return this.cfg.windowMs;
  }

  private changed(): void {
    this.any = this.store.entries().size > 0;
    this.resolved = new Map();
    this.logger?.debug({ entities: this.store.entries().size }, 'client quotas changed');
  }

  /** The quotas that apply to this connection's principal and client id; undefined: none (the common case). */
  forClient(principal: string, clientId: string | null): ClientQuota | undefined {
    if (!this.any) return undefined;
    const user = quotaUser(principal);
    const client = clientId ?? '';
    const cacheKey = `${user}\n${client}`;
    let q = this.resolved.get(cacheKey);
    if (q === undefined) {
      q = this.resolve(user, client);
      if (this.resolved.size >= MAX_RESOLVED) this.resolved.clear();
      this.resolved.set(cacheKey, q);
    }
    return q ?? undefined;
  }

  private resolve(user: string, clientId: string): ClientQuota | null {
    const entries = this.store.entries();
    const out: ClientQuota = { produce: undefined, fetch: undefined, request: undefined };
    let found = false;
    const levels = precedence(user, clientId);
    for (const [type, key] of QUOTA_TYPES) {
      for (const level of levels) {
        const bound = entries.get(level.key)?.[key];
        if (bound === undefined) continue;
        out[type] = { bound, sensorKey: `${type}\n${level.userTag}\n${level.clientTag}` };
        found = true;
        break;
      }
    }
    return found ? out : null;
  }

  private sensor(key: string, nowMs: number): RateSensor {
    let s = this.sensors.get(key);
    if (s === undefined) {
      if (this.sensors.size >= MAX_SENSORS) {
        this.sweep(nowMs);
        if (this.sensors.size >= MAX_SENSORS) this.sensors.delete(this.sensors.keys().next().value!);
      }
      s = new RateSensor(this.cfg);
      this.sensors.set(key, s);
    }
    return s;
  }

  private record(type: QuotaType, q: AppliedQuota, value: number, nowMs: number): number {
    const raw = this.sensor(q.sensorKey, nowMs).recordAndThrottleMs(value, q.bound, nowMs);
    if (raw <= 0) return 0;
    const throttleMs = Math.min(raw, this.cfg.maxThrottleMs);
    observeThrottle(type, throttleMs);
    return throttleMs;
  }

  /** Records a Produce request's bytes; the throttle time (ms), 0 within the quota. */
  recordProduce(q: ClientQuota, requestBytes: number, nowMs: number): number {
    if (q.produce === undefined) return 0;
    countQuotaBytes('produce', requestBytes);
    return this.record('produce', q.produce, requestBytes, nowMs);
  }

  /** Records a Fetch response's bytes; the throttle time (ms). */
  recordFetch(q: ClientQuota, responseBytes: number, nowMs: number): number {
    if (q.fetch === undefined) return 0;
    countQuotaBytes('fetch', responseBytes);
    return this.record('fetch', q.fetch, responseBytes, nowMs);
  }

  /** Records handler time (ns) against request_percentage; the throttle time (ms). */
  recordRequestTime(q: ClientQuota, nanos: number, nowMs: number): number {
    if (q.request === undefined) return 0;
    return this.record('request', q.request, nanos * NANOS_TO_PERCENT_SECONDS, nowMs);
  }

  /** Records time spent after the throttle was decided (response encoding), without throttling. */
  recordRequestTimeLater(q: ClientQuota, nanos: number, nowMs: number): void {
    if (q.request !== undefined) this.sensor(q.request.sensorKey, nowMs).record(nanos * NANOS_TO_PERCENT_SECONDS, nowMs);
  }

  /** Kafka's getMaxValueInQuotaWindow: a fetch answers at most one window's worth of the consumer quota. */
  fetchMaxBytes(q: ClientQuota): number | undefined {
    if (q.fetch === undefined) return undefined;
    return Math.max(1, Math.floor(q.fetch.bound * (this.cfg.windowMs / 1000)));
  }

  /** For tests and metrics: the observed rate of a sensor (units per second), undefined if none. */
  observedRate(sensorKey: string, nowMs: number): number | undefined {
    return this.sensors.get(sensorKey)?.rate(nowMs);
  }

  private sweep(nowMs: number): void {
    for (const [key, s] of this.sensors) if (s.idle(nowMs)) this.sensors.delete(key);
  }
}
