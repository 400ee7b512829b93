// Thread: main. Cluster mode's membership runtime: one Redis connection, this broker's
// registration (BrokerRegistry) and the controller lease (ControllerLease), driven by one
// heartbeat loop (every broker.heartbeat.interval.ms: refresh the registration and the live
// brokers, then one lease round). Built by the Broker only when cluster mode is on, started
// after the Kafka listener is bound (the advertised endpoint is known then), stopped first on
// SIGTERM (registration and lease deleted, so the others see the change at once).
import type { Redis } from 'ioredis';
import { createRedisClient } from '../util/redis-client.js';
import type { Logger } from 'pino';
import type { ClusterSettings } from '../config/cluster-settings.js';
import { StrataError } from '../errors.js';
import { redactUrl } from '../groups/redis-offset-store.js';
import type { BrokerInfo } from './broker-info.js';
import { BrokerRegistry } from './broker-registry.js';
import { ControllerLease, type ControllerState } from './controller-lease.js';

/** What request handlers may ask of the cluster. */
export interface ClusterView {
  /** Live brokers as of the last heartbeat, by node id. */
  liveBrokers(): BrokerInfo[];
  /** Node id of the controller, -1 when none is known. */
  controllerId(): number;
}

export interface SelfEndpoint {
  nodeId: number;
  host: string;
  port: number;
  /** Every Kafka listener's advertised endpoint by name. */
  endpoints?: Record<string, { host: string; port: number }>;
  rack?: string;
  httpPort?: number;
}

export class ClusterMembership implements ClusterView {
  private readonly redis: Redis;
  private registry: BrokerRegistry | undefined;
  private lease: ControllerLease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly brokerListeners: Array<(brokers: readonly BrokerInfo[]) => void> = [];
  private readonly controllerListeners: Array<(state: ControllerState) => void> = [];

  constructor(
    private readonly settings: ClusterSettings,
    private readonly logger: Logger,
  ) {
    this.redis = createRedisClient(settings.redisUrl, settings.commandTimeoutMs);
    let lastLogMs = 0;
    this.redis.on('error', (err: Error) => {
      if (Date.now() - lastLogMs < 10_000) return;
      lastLogMs = Date.now();
      this.logger.warn({ err: err.message }, 'cluster redis error');
    });
  }

  /** Connects, registers (refusing a node id held by a live broker), takes part in the lease. */
  async start(self: SelfEndpoint): Promise<void> {
    const { settings } = this;
    try {
      await connectWithin(this.redis, settings.commandTimeoutMs + 1_000);
    } catch (err) {
      this.redis.disconnect();
      throw new StrataError(
        'STRATA_ERR_CLUSTER_REDIS_UNAVAILABLE',
        `cluster.enable=true but Redis at ${redactUrl(settings.redisUrl)} cannot be reached (${(err as Error).message}); a cluster broker must register in Redis before serving: start Redis or fix redis.url`,
        { cause: err },
      );
    }
    const info = { nodeId: self.nodeId, host: self.host, port: self.port, ...(self.endpoints !== undefined ? { endpoints: self.endpoints } : {}), ...(self.rack !== undefined ? { rack: self.rack } : {}), ...(self.httpPort !== undefined ? { httpPort: self.httpPort } : {}) };
    const registry = new BrokerRegistry({ redis: this.redis, keyPrefix: settings.keyPrefix, self: info, sessionTimeoutMs: settings.sessionTimeoutMs, heartbeatIntervalMs: settings.heartbeatIntervalMs, logger: this.logger });
    try {
      await registry.register();
    } catch (err) {
      this.redis.disconnect();
      throw err;
    }
    this.registry = registry;
    registry.onChange((brokers) => {
      for (const l of this.brokerListeners) l(brokers);
    });
    const lease = new ControllerLease({ redis: this.redis, keyPrefix: settings.keyPrefix, nodeId: self.nodeId, incarnation: registry.incarnation, leaseMs: settings.sessionTimeoutMs, logger: this.logger });
    this.lease = lease;
    lease.onChange((state) => {
      for (const l of this.controllerListeners) l(state);
    });
    await lease.tick(true);
    this.logger.info(
      { nodeId: self.nodeId, incarnation: registry.incarnation, liveBrokers: registry.liveBrokers().map((b) => b.nodeId), controllerId: lease.controllerId, controllerEpoch: lease.epoch },
      'joined the cluster',
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.round()
        .catch((err: unknown) => this.logger.error({ err }, 'cluster heartbeat round failed'))
        .finally(() => {
          this.inFlight = undefined;
          this.schedule();
        });
    }, this.settings.heartbeatIntervalMs);
    this.timer.unref();
  }

  /** One heartbeat: registration and view first, then the lease (taken only while registered). */
  private async round(): Promise<void> {
    const registry = this.registry!;
    await registry.heartbeat();
    if (this.stopped) return;
    await this.lease!.tick(registry.registered);
  }

  liveBrokers(): BrokerInfo[] {
    return this.registry?.liveBrokers() ?? [];
  }

  controllerId(): number {
    return this.lease?.controllerId ?? -1;
  }

  get isController(): boolean {
    return this.lease?.isController ?? false;
  }

  get registered(): boolean {
    return this.registry?.registered ?? false;
  }

  /** Re-reads the live brokers from Redis now (the controller, before it places partitions). */
  async refreshLiveBrokers(): Promise<BrokerInfo[]> {
    return this.registry ? this.registry.refreshView() : [];
  }

  /** This process's incarnation (the holder id in its registration and the lease); undefined before start(). */
  get incarnation(): string | undefined {
    return this.registry?.incarnation;
  }

  /** The membership's Redis connection (the leadership store shares it). */
  get redisClient(): Redis {
    return this.redis;
  }

  onBrokersChange(listener: (brokers: readonly BrokerInfo[]) => void): void {
    this.brokerListeners.push(listener);
  }

  onControllerChange(listener: (state: ControllerState) => void): void {
    this.controllerListeners.push(listener);
  }

  /** Stops heartbeating, gives up the lease and deletes the registration (both only if ours). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A heartbeat in flight could re-register after the delete below: let it finish first.
    await this.inFlight;
    try {
      if (this.lease) await this.lease.release();
      if (this.registry) await this.registry.deregister();
      this.logger.info('left the cluster');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not remove the cluster registration; it expires after broker.session.timeout.ms');
    }
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

/** The first connection, or a rejection after `timeoutMs` (ioredis keeps no offline queue here). */
async function connectWithin(redis: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.connect(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
