// Thread: main. Wires one broker together: config, metadata, partition worker slots,
// request dispatch and the Kafka listeners; owns start-up and graceful shutdown.
import path from 'node:path';
import type { Logger } from 'pino';
import type { AdvertisedEndpoint, BrokerContext } from './broker-context.js';
import { parseListeners, type BrokerConfig } from './config/broker-config.js';
import { LocalMetadataStore } from './metadata/local-metadata-store.js';
import type { MetadataStore, TopicRecord } from './metadata/metadata-store.js';
import { RedisMetadataStore } from './metadata/redis-metadata-store.js';
import { TopicManager } from './metadata/topic-manager.js';
import { Dispatcher } from './router/dispatch.js';
import { PartitionEngine } from './partitions/partition-engine.js';
import { ElasticSlots } from './partitions/elastic-slots.js';
import { ScalingPolicy } from './partitions/scaling-policy.js';
import { scalingSettings, workerSlotRange } from './config/worker-slots.js';
import type { AdminApi } from './http/admin-api.js';
import { KafkaServer, type BoundListener } from './router/server.js';
import { interBrokerListenerName, resolveListeners, usesTls } from './config/listener-security.js';
import { TlsContext } from './security/tls-context.js';
import { parseMechanisms } from './security/connection-auth.js';
import type { CredentialStore } from './security/credential-store.js';
import { LocalCredentialStore } from './security/local-credential-store.js';
import { BasicAuthenticator } from './security/basic-auth.js';
import { RedisCredentialStore } from './security/redis-credential-store.js';
import { FetchSessionCache } from './router/fetch-sessions.js';
import { crc32cImplementation } from './protocol/crc32c.js';
import { createGroupCoordinator, resolveRedisUrl, type GroupCoordinator } from './groups/index.js';
import { HttpServer, type HttpApp, parseHttpListeners, principalOf } from './http/server.js';
import { attachMetricsSource, observePartitionHandoff, observePartitionMove, observeSyncPass, trafficTotals, type MetricsSource } from './http/metrics.js';
import { ConsoleApp } from './console/console-app.js';
import { registrySchemaDecoder } from './console/schema-decoder.js';
import { partitionId } from './ipc/partition-id.js';
import { EngineError } from './partitions/engine-error.js';
import { ErrorCode } from './protocol/generated/error-codes.js';
import { TierManager } from './tier/tier-manager.js';
import { currentBootId, pageCacheIntact, writeBootMarker } from './util/boot-marker.js';
import { acquireLogDirLocks, type LogDirLock } from './util/log-dir-lock.js';
import { listenFailure } from './util/startup-error.js';
import { ClusterMembership } from './cluster/cluster-membership.js';
import { ClusterPlacement } from './cluster/cluster-placement.js';
import { LeadershipStore } from './cluster/leadership-store.js';
import { HandoffStore } from './cluster/handoff-store.js';
import { MoveRequests } from './cluster/move-requests.js';
import { PartitionHandoff } from './cluster/partition-handoff.js';
import { Reassignments } from './cluster/reassignments.js';
import { PartitionLoads } from './cluster/partition-loads.js';
import { WalWriter } from './wal/wal-writer.js';
import { WalRebuild } from './wal/wal-rebuild.js';
import { walBrokerPrefix } from './wal/wal-format.js';
import type { Durability } from './wal/durable-appends.js';
import { coordinatorFor } from './cluster/group-placement.js';
import { clusterSettings, type ClusterSettings } from './config/cluster-settings.js';
import { StrataError } from './errors.js';
import { KafkaBridge } from './http/kafka-bridge.js';
import { RestProxyApp } from './http/rest/rest-proxy-app.js';
import { createAuthorizer, type Authorizer } from './auth/index.js';
import { consoleGate } from './auth/console-gate.js';
import { createSchemaRegistry, SchemaRegistryApp, type SchemaRegistry } from './schema-registry/index.js';
import { createClientQuotas, type ClientQuotas } from './quotas/index.js';

/**
 * The metadata store `cluster.metadata.store` names: `local` (default), one JSON file under the
 * first log dir; `redis`, shared by every broker on the same Redis and `redis.key.prefix`.
 */
export function createMetadataStore(config: BrokerConfig, logDir: string, logger: Logger): MetadataStore {
  if (config['cluster.metadata.store'] === 'local') return LocalMetadataStore.open(logDir, config['cluster.id']);
  const url = resolveRedisUrl(config);
  if (url === undefined) throw new StrataError('STRATA_ERR_CONFIG', 'cluster.metadata.store=redis needs a Redis: set redis.url (or REDIS_URL)');
  return new RedisMetadataStore({
    url,
    keyPrefix: config['redis.key.prefix'],
    commandTimeoutMs: config['redis.command.timeout.ms'],
    clusterIdSetting: config['cluster.id'],
    logger: logger.child({ component: 'metadata' }),
  });
}

/**
 * The endpoint each listener advertises: its advertised.listeners entry (port 0 there = the
 * bound port), else the bound address (a wildcard host advertises 127.0.0.1).
 */
export function advertisedEndpoints(bound: BoundListener[], advertisedSetting: string | undefined): Map<string, AdvertisedEndpoint> {
  const advertised = new Map((advertisedSetting ? parseListeners(advertisedSetting) : []).map((l) => [l.name.toUpperCase(), l]));
  const out = new Map<string, AdvertisedEndpoint>();
  for (const b of bound) {
    const adv = advertised.get(b.name);
    if (adv !== undefined) out.set(b.name, { host: adv.host, port: adv.port === 0 ? b.boundPort : adv.port });
    else out.set(b.name, { host: b.host === '0.0.0.0' || b.host === '::' ? '127.0.0.1' : b.host, port: b.boundPort });
  }
  return out;
}

/** Where SCRAM credentials live: the shared Redis when metadata does, else a file in the first log dir. */
export function createCredentialStore(config: BrokerConfig, logDir: string): CredentialStore {
  const url = config['cluster.metadata.store'] === 'redis' ? resolveRedisUrl(config) : undefined;
  return url !== undefined ? new RedisCredentialStore(url, config['redis.key.prefix'], config['redis.command.timeout.ms']) : new LocalCredentialStore(logDir);
}

export class Broker implements BrokerContext, MetricsSource {
  readonly nodeId: number;
  readonly metadata: MetadataStore;
  readonly engine: PartitionEngine;
  readonly topics: TopicManager;
  readonly groups: GroupCoordinator;
  readonly fetchSessions: FetchSessionCache;
  readonly tier: TierManager | undefined;
  /** The schema registry (src/schema-registry); undefined with schema.registry.enable=false. */
  readonly schemaRegistry: SchemaRegistry | undefined;
  /** ACLs (src/auth): on with authorizer.class.name, stored in Redis or acls.json. */
  readonly authorizer: Authorizer;
  /** Client quotas (src/quotas): stored like the registry (Redis or a local file), enforced by the dispatcher. */
  readonly quotas: ClientQuotas;
  /** Cluster mode only (cluster.enable + Redis): registration, live brokers, controller lease. */
  readonly cluster: ClusterMembership | undefined;
  /** Cluster mode with cluster.partition.leadership.enable: who leads each partition. */
  readonly leadership: ClusterPlacement | undefined;
  private leadershipStore: LeadershipStore | undefined;
  private handoffStore: HandoffStore | undefined;
  /** Cluster mode with object storage: hands remote-storage partitions between brokers. */
  private handoff: PartitionHandoff | undefined;
  /** Cluster mode: reassignment requests and draining brokers (Redis). */
  private moveRequests: MoveRequests | undefined;
  /** Cluster mode: AlterPartitionReassignments and `strata cluster move`. */
  reassignments: Reassignments | undefined;
  advertised: AdvertisedEndpoint = { host: '127.0.0.1', port: 9092 };
  listenerEndpoints: ReadonlyMap<string, AdvertisedEndpoint> = new Map();
  /** SCRAM credentials: Redis with cluster.metadata.store=redis, else scram-credentials.json in the log dir. */
  readonly credentials: CredentialStore;
  /** The keystore of the TLS listeners (Kafka and HTTP), loaded once; undefined without TLS. */
  private tls: TlsContext | undefined;
  shuttingDown = false;
  private server: KafkaServer | undefined;
  private http: HttpServer | undefined;
  /** The REST proxy on the HTTP listeners (src/http/rest); its consumer instances leave their groups on stop. */
  private restProxy: RestProxyApp | undefined;
  /** The web console (console.enable), mounted on the HTTP listeners. */
  private console: ConsoleApp | undefined;
  /** Set once every partition log is recovered (readiness). */
  private recovered = false;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private loadReportTimer: NodeJS.Timeout | undefined;
  private walGcTimer: NodeJS.Timeout | undefined;
  /** Cluster mode with object storage and wal.enable: write-ahead objects of remote-storage topics. */
  durability: Durability | undefined;
  /** Samples slot and partition load; grows and shrinks the slots when elastic. */
  private readonly elastic: ElasticSlots;
  private readonly logDir: string;
  /** `.lock` in every log dir, taken before anything else touches them; released by stop(). */
  private readonly logDirLocks: LogDirLock[];

  constructor(
    readonly config: BrokerConfig,
    readonly explicitKeys: ReadonlySet<string>,
    readonly logger: Logger,
  ) {
    this.nodeId = config['node.id'];
    this.logDirLocks = acquireLogDirLocks(config['log.dirs'].split(',').map((d) => d.trim()).filter((d) => d !== ''));
    const logDir = path.resolve(config['log.dirs'].split(',')[0]!.trim());
    this.logDir = logDir;
    this.metadata = createMetadataStore(config, logDir, logger);
    this.credentials = createCredentialStore(config, logDir);
    const slotRange = workerSlotRange(config, explicitKeys);
    this.engine = PartitionEngine.create({
      workerFile: new URL('../workers/partition-worker.js', import.meta.url),
      slots: slotRange.min,
      concurrentTasksPerSlot: config['worker.concurrent.tasks'],
      tailCacheBytes: config['tail.cache.bytes'],
      onSyncPass: observeSyncPass,
      moveTimeoutMs: config['partition.move.timeout.ms'],
      onMove: (m) => observePartitionMove(m.reason, m.pauseMs),
      logger,
    });
    this.elastic = new ElasticSlots({
      engine: this.engine,
      policy: slotRange.min < slotRange.max ? new ScalingPolicy(scalingSettings(config, explicitKeys)) : undefined,
      intervalMs: config['worker.scale.interval.ms'],
      logger: logger.child({ component: 'elastic-slots' }),
    });
    this.tier = TierManager.create(config, this.engine, logDir, logger);
    this.topics = new TopicManager(this.metadata, this.engine, this.tier, config, logDir, logger);
    this.groups = createGroupCoordinator(config, this.topics, logDir, logger);
    this.schemaRegistry = config['schema.registry.enable'] ? createSchemaRegistry(config, logDir, logger) : undefined;
    this.authorizer = createAuthorizer(config, logDir, logger);
    this.quotas = createClientQuotas(config, logDir, logger);
    this.fetchSessions = new FetchSessionCache({ maxSessions: config['max.incremental.fetch.session.cache.slots'] });
    const cluster = clusterSettings(config);
    this.cluster = cluster && new ClusterMembership(cluster, logger.child({ component: 'cluster' }));
    if (this.cluster !== undefined && cluster !== undefined && config['cluster.partition.leadership.enable']) this.leadership = this.clusterPlacement(this.cluster, cluster);
  }

  /** Cluster mode's partition leadership: the snapshot every broker follows, the controller's planning, and handoffs between brokers. */
  private clusterPlacement(membership: ClusterMembership, settings: ClusterSettings): ClusterPlacement {
    const logger = this.logger.child({ component: 'leadership' });
    const redis = membership.redisClient;
    const store = new LeadershipStore({ redis, keyPrefix: settings.keyPrefix, logger });
    this.leadershipStore = store;
    const handoffs = new HandoffStore({ redis, keyPrefix: settings.keyPrefix, logger });
    this.handoffStore = handoffs;
    const requests = new MoveRequests(redis, settings.keyPrefix);
    const loads = new PartitionLoads(redis, settings.keyPrefix);
    this.moveRequests = requests;
    const tier = this.tier;
    const movable = (t: TopicRecord) => tier !== undefined && this.topics.logConfig(t).remoteStorageEnable;
    this.reassignments = new Reassignments({
      requests,
      leadership: store,
      handoffs,
      liveBrokers: () => membership.liveBrokers().map((b) => b.nodeId),
      topic: (name) => {
        const t = this.topics.get(name);
        return t && { topicId: t.topicId, partitions: t.partitions, movable: movable(t) };
      },
      topicNames: () => this.topics.names(),
    });
    // Write-ahead objects: batches of remote-storage topics made durable in the bucket, and
    // failover of a dead broker's partitions rebuilt from them.
    const wal = tier && this.config['wal.enable'] ? this.writeAheadObjects(tier, store, handoffs, logger) : undefined;
    // Partitions of remote-storage topics move between brokers through the bucket.
    const handoff = tier && new PartitionHandoff({
      nodeId: this.nodeId,
      engine: this.engine,
      tier,
      handoffs,
      leadership: () => store.all(),
      observe: observePartitionHandoff,
      wal,
      durable: (id) => wal !== undefined && this.engine.spec(id)?.config.remoteStorageEnable === true,
      logger: logger.child({ component: 'handoff' }),
    });
    this.handoff = handoff;
    if (tier && handoff) tier.leads = (id) => handoff.serves(id);
    const placement = new ClusterPlacement({
      store,
      nodeId: this.nodeId,
      liveBrokers: async () => (await membership.refreshLiveBrokers()).map((b) => b.nodeId),
      isController: () => membership.isController,
      incarnation: () => membership.incarnation,
      partitions: () => this.topics.names().flatMap((name) => {
        const t = this.topics.get(name)!;
        const remote = movable(t);
        return Array.from({ length: t.partitions }, (_, p) => ({ id: partitionId(t.topicId, p), remote, failover: remote && wal !== undefined }));
      }),
      draining: () => requests.draining(),
      requested: () => requests.requestedLeaders(),
      handoffEpochs: () => handoffs.epochs(),
      servingEpochs: () => handoffs.servingEpochs(),
      loads: () => loads.loads(),
      serves: handoff && ((id) => handoff.serves(id)),
      intervalMs: settings.heartbeatIntervalMs,
      // Two heartbeats: a live broker whose registration Redis lost is back by then.
      failoverGraceMs: 2 * settings.heartbeatIntervalMs + 500,
      logger,
    });
    membership.onBrokersChange(() => placement.poke());
    // Once per heartbeat: the measured load of the partitions served here, for the controller.
    this.loadReportTimer = setInterval(() => {
      const served = this.engine.lastPartitionLoads().filter((l) => placement.serves(l.id));
      loads.report(served).catch((err: unknown) => logger.debug({ err }, 'reporting partition loads failed'));
    }, settings.heartbeatIntervalMs);
    this.loadReportTimer.unref();
    // Every partition is opened here (empty unless led here), so a partition given to this broker serves at once.
    const host = () => void this.topics.hostAll().then(() => handoff?.reconcile()).catch((err: unknown) => logger.warn({ err }, 'opening partitions of topics created through another broker failed'));
    this.metadata.onChange(() => {
      host();
      placement.poke();
    });
    store.onChange(() => {
      handoff?.reconcile();
      host();
    });
    store.onDataLoss(() => {
      handoff?.reseedAfterLoss().catch((err: unknown) => logger.warn({ err }, 'writing serving marks and handoffs back failed'));
      placement.poke();
      this.groups.writeBackAfterDataLoss?.().then(
        (written) => this.logger.warn({ component: 'groups', ...written }, 'Redis lost its data: committed offsets and group state this broker stored written back (newest commit wins)'),
        (err: unknown) => this.logger.warn({ err }, 'writing consumer-group state back failed'),
      );
    });
    handoffs.onWritten(() => {
      handoff?.reconcile();
      placement.poke();
    });
    this.topics.liveBrokerCount = () => Math.max(1, membership.liveBrokers().length);
    // Groups are spread over the live brokers as FindCoordinator answers.
    this.groups.ownsGroup = (groupId) => coordinatorFor(groupId, membership.liveBrokers().map((b) => b.nodeId)) === this.nodeId;
    membership.onBrokersChange(() => this.groups.onOwnershipChange()); // a group that moved away is forgotten here
    membership.onControllerChange(() => placement.poke());
    return placement;
  }

  /** Start-up: this broker's write-ahead objects from before a restart (kept until offloaded, or deleted when never committed). */
  private async adoptWriteAheadObjects(): Promise<void> {
    const writer = this.durability?.writer;
    if (writer === undefined || this.tier === undefined || this.handoffStore === undefined) return;
    try {
      const own = (await this.tier.store.list(walBrokerPrefix(this.config['remote.storage.s3.prefix'], this.nodeId))).map((o) => o.key);
      const { adopted, deleted } = await writer.adopt(await this.handoffStore.walCommits(this.nodeId), own);
      if (adopted + deleted > 0) this.logger.info({ adopted, deleted }, 'write-ahead objects from before the restart: committed ones kept until offloaded, the others deleted');
    } catch (err) {
      this.logger.warn({ err }, 'looking at write-ahead objects from before the restart failed; they stay until the next restart');
    }
  }

  /** The write-ahead objects of this broker (src/wal) and what the produce path asks of them. */
  private writeAheadObjects(tier: TierManager, store: LeadershipStore, handoffs: HandoffStore, logger: Logger): { writer: WalWriter; rebuild: WalRebuild } {
    const prefix = this.config['remote.storage.s3.prefix'];
    const writer = new WalWriter({
      store: tier.store,
      prefix,
      nodeId: this.nodeId,
      flushMs: this.config['wal.flush.ms'],
      flushBytes: this.config['wal.flush.bytes'],
      ackTimeoutMs: this.config['wal.ack.timeout.ms'],
      maxPendingBytes: this.config['wal.max.pending.bytes'],
      commit: (key, parts) => handoffs.commitWal(key, parts, this.nodeId),
      forgetCommits: (keys) => handoffs.forgetWalCommits(this.nodeId, keys),
      onDurable: (id, end) => this.engine.durable(id, end),
      durableStart: (id) => this.engine.durableEnd(id),
      epochOf: (id) => {
        const l = store.get(id);
        return l !== undefined && l.leader === this.nodeId ? l.epoch : -1;
      },
      // Partitions served here have fresh manifests; the others' are reloaded now and then.
      refreshOffloaded: async (ids) => {
        await Promise.all(ids.filter((id) => !this.leadership?.serves(id)).map((id) => tier.reloadManifest(id).catch(() => undefined)));
      },
      offloadedEnd: (id) => tier.remoteEndOffset(id),
      logger: logger.child({ component: 'wal' }),
    });
    this.topics.capDurableSegments({ maxBytes: this.config['wal.segment.max.bytes'], maxMs: this.config['wal.segment.max.ms'] });
    this.durability = {
      writer,
      covers: (id) => this.engine.spec(id)?.config.remoteStorageEnable === true,
      epochOf: (id) => writer.epochOf(id),
    };
    this.walGcTimer = setInterval(() => {
      writer.gc().catch((err: unknown) => logger.debug({ err }, 'deleting offloaded write-ahead objects failed; retried'));
    }, 5_000);
    this.walGcTimer.unref();
    // Redis lost its data: this broker's commits go back too (a rebuild uses committed batches only).
    store.onDataLoss(() => {
      handoffs.restoreWalCommits(this.nodeId, writer.commits()).catch((err: unknown) => logger.warn({ err }, 'writing write-ahead commits back failed'));
    });
    return { writer, rebuild: new WalRebuild(tier.store, logger.child({ component: 'wal' }), (broker) => handoffs.walCommits(broker)) };
  }

  get clusterId(): string {
    return this.metadata.clusterId;
  }

  async start(): Promise<AdvertisedEndpoint> {
    const started = Date.now();
    await this.metadata.start();
    await this.engine.ping();
    if (this.tier) await this.tier.start(this.metadata, (topic) => this.topics.logConfig(topic).remoteStorageEnable);
    // Same kernel boot as the run that last wrote the logs: a broker crash left every write in
    // the page cache, so recovery CRC-checks only the end of the unflushed tail.
    const bootId = currentBootId();
    const intact = pageCacheIntact(this.logDir, bootId);
    const partitions = await this.topics.openAll({ pageCacheIntact: intact });
    writeBootMarker(this.logDir, bootId);
    this.tier?.startUploader();
    this.elastic.start();
    this.logger.info({ partitions, slots: this.engine.slotCount, ms: Date.now() - started, pageCacheIntact: intact, crc32c: crc32cImplementation }, 'logs recovered');
    this.recovered = true;
    await this.groups.start();
    await this.schemaRegistry?.store.start();
    await this.authorizer.start();
    await this.quotas.start();
    const httpPort = await this.startHttp();
    const listeners = resolveListeners(this.config);
    this.server = new KafkaServer({
      listeners,
      maxFrameBytes: this.config['socket.request.max.bytes'],
      maxInflightBytes: this.config['socket.max.inflight.bytes'],
      handler: new Dispatcher(this),
      logger: this.logger,
      tls: this.tlsContext(),
      sasl: {
        enabledMechanisms: parseMechanisms(this.config['sasl.enabled.mechanisms']),
        store: this.credentials,
        reauthMs: this.config['connections.max.reauth.ms'],
        failedDelayMs: this.config['connection.failed.authentication.delay.ms'],
        maxUnauthenticatedFrameBytes: this.config['sasl.server.max.receive.size'],
        logger: this.logger.child({ component: 'sasl' }),
      },
    });
    const bound = await this.server.listen().catch((err: unknown) => {
      throw listenFailure('listeners', err);
    });
    this.listenerEndpoints = advertisedEndpoints(bound, this.config['advertised.listeners']);
    this.advertised = this.listenerEndpoints.get(interBrokerListenerName(this.config))!;
    for (const b of bound) this.logger.info({ listener: b.name, protocol: b.protocol, host: b.host, port: b.boundPort, advertised: this.listenerEndpoints.get(b.name) }, 'kafka listener bound');
    // Registered only once the advertised endpoints are known; a live broker holding our node.id
    // makes start() fail here (STRATA_ERR_NODE_ID_IN_USE, exit 1).
    await this.cluster?.start({ nodeId: this.nodeId, ...this.advertised, endpoints: Object.fromEntries(this.listenerEndpoints), rack: this.config['broker.rack'], httpPort });
    await this.adoptWriteAheadObjects();
    if (this.leadership) {
      // A broker starting again is not draining any more (a controlled shutdown left the mark).
      await this.moveRequests!.setDraining(this.nodeId, false);
      await this.handoffStore!.start();
      await this.leadershipStore!.start();
      this.handoff?.start();
      this.leadership.start();
    }
    const interval = this.config['log.retention.check.interval.ms'];
    this.maintenanceTimer = setInterval(() => {
      this.engine.maintenance(Date.now()).catch((err: unknown) => this.logger.error({ err }, 'log maintenance failed'));
    }, Math.min(interval, 2 ** 31 - 1));
    this.maintenanceTimer.unref();
    this.logger.info(
      { host: this.advertised.host, port: this.advertised.port, httpPort, nodeId: this.nodeId, clusterId: this.clusterId, ms: Date.now() - started },
      'broker ready',
    );
    return this.advertised;
  }

  /** The TLS keystore (loaded at the first call) when a Kafka listener uses SSL or SASL_SSL. */
  private tlsContext(): TlsContext | undefined {
    const https = parseHttpListeners(this.config['http.listeners']).some((e) => e.tls === true);
    if (this.tls === undefined && (https || resolveListeners(this.config).some((l) => usesTls(l.protocol)))) {
      this.tls = TlsContext.load(this.config, this.logger.child({ component: 'tls' }));
    }
    return this.tls;
  }

  /** Starts the operator HTTP listener(s); returns the first bound port (undefined when disabled). */
  private async startHttp(): Promise<number | undefined> {
    const endpoints = parseHttpListeners(this.config['http.listeners']);
    if (endpoints.length === 0) return undefined;
    const usesRedis = resolveRedisUrl(this.config) !== undefined;
    const checks = [{ name: 'logs', ok: () => this.recovered && !this.shuttingDown }];
    if (usesRedis) checks.push({ name: 'redis', ok: () => this.groups.available() });
    const cluster = this.cluster;
    if (cluster) checks.push({ name: 'cluster', ok: () => cluster.registered });
    const tier = this.tier;
    if (tier) checks.push({ name: 'object-storage', ok: () => tier.store.reachable });
    const httpLogger = this.logger.child({ component: 'http' });
    const security = {
      tls: this.tlsContext(),
      authenticator: this.config['http.authentication.enable'] ? new BasicAuthenticator(this.credentials, this.config['connection.failed.authentication.delay.ms'], httpLogger) : undefined,
      metricsOpen: this.config['http.metrics.open'],
    };
    this.http = new HttpServer(endpoints, checks, httpLogger, undefined, this.adminApi(), this.httpApps(), security);
    const bound = await this.http.listen();
    attachMetricsSource(this);
    for (const b of bound) this.logger.info({ host: b.host, port: b.boundPort }, 'http listening');
    // A busy HTTP port was logged as a warning by the server, which keeps retrying it.
    return bound[0]?.boundPort;
  }

  /**
   * Applications on the HTTP listeners beside /healthz, /readyz, /metrics and /admin. Each
   * reaches the broker through a KafkaBridge (src/http/kafka-bridge.ts): the same handlers
   * the Kafka listeners use.
   */
  private httpApps(): HttpApp[] {
    const bridge = new KafkaBridge(this);
    this.restProxy = new RestProxyApp(this, bridge, this.logger.child({ component: 'rest-proxy' }));
    const apps: HttpApp[] = [this.restProxy];
    if (this.schemaRegistry) apps.push(new SchemaRegistryApp(this.schemaRegistry, this.config['schema.registry.max.request.bytes']));
    if (this.config['console.enable']) apps.push((this.console = this.consoleApp(bridge)));
    return apps;
  }

  /** The web console (src/console): Kafka data through a KafkaBridge, slots and tier bytes from here. */
  private consoleApp(bridge: KafkaBridge): ConsoleApp {
    return new ConsoleApp({
      bridge,
      trafficTotals,
      // Who the HTTP request authenticated as (http.authentication.enable), for the console's Kafka calls.
      principalOf,
      // ACLs: read-only principals get 403 on mutating routes before Kafka is called.
      authorize: consoleGate(this.authorizer, principalOf),
      logger: this.logger.child({ component: 'console' }),
      schemas: this.schemaRegistry && registrySchemaDecoder(this.schemaRegistry),
      view: {
        nodeId: this.nodeId,
        slots: () => {
          const out = new Map<string, number>();
          for (const s of this.engine.placement().slots) for (const p of s.partitions) out.set(`${p.topic}:${p.partition}`, s.slot);
          return out;
        },
        remoteBytes: (topicName, partition) => {
          const topic = this.topics.get(topicName);
          const manifest = topic && this.tier?.manifest(partitionId(topic.topicId, partition));
          return manifest ? manifest.segments.reduce((sum, seg) => sum + seg.sizeBytes, 0) : undefined;
        },
        clusterStats: () => this.clusterStats(),
        peers: () =>
          (this.cluster?.liveBrokers() ?? [])
            .filter((b) => b.nodeId !== this.nodeId && b.httpPort !== undefined)
            .map((b) => ({ nodeId: b.nodeId, url: `http://${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.httpPort}` })),
      },
    });
  }

  /** The /admin JSON API: placement of partitions on worker slots, and moving one by hand. */
  private adminApi(): AdminApi {
    return {
      placement: () => {
        const view = this.engine.placement();
        return { ...view, moving: view.moving.length, slots: view.slots.map((s) => ({ ...s, partitions: s.partitions.map(({ topic, partition, bytesPerSec }) => ({ topic, partition, bytesPerSec: Math.round(bytesPerSec) })) })) };
      },
      movePartition: async (topicName, partition, slot) => {
        const topic = this.topics.get(topicName);
        if (topic === undefined || partition >= topic.partitions) throw new EngineError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topicName}-${partition}`, { strataCode: 'STRATA_ERR_PARTITION_NOT_PLACED' });
        const report = await this.engine.movePartition(partitionId(topic.topicId, partition), slot, 'requested');
        return { topic: topicName, partition, from: report.from, to: report.to, pauseMs: Math.round(report.pauseMs * 100) / 100, phasesMs: report.phasesMs };
      },
    };
  }

  remoteStorageStats(): ReturnType<MetricsSource['remoteStorageStats']> {
    return this.tier?.stats;
  }

  walStats(): ReturnType<NonNullable<MetricsSource['walStats']>> {
    return this.durability?.writer.stats;
  }

  async remoteUploadLag(): ReturnType<MetricsSource['remoteUploadLag']> {
    if (!this.tier) return undefined;
    let segments = 0;
    let bytes = 0;
    for (const state of await this.engine.tierState()) {
      for (const seg of state.sealed ?? []) {
        segments++;
        bytes += seg.sizeBytes;
      }
    }
    return { segments, bytes };
  }

  appendCoalescing(): ReturnType<MetricsSource['appendCoalescing']> {
    return this.engine.appendCoalescing();
  }

  fetchSessionStats(): ReturnType<MetricsSource['fetchSessionStats']> {
    return { sessions: this.fetchSessions.size, evictions: this.fetchSessions.evictions };
  }

  clusterStats(): ReturnType<NonNullable<MetricsSource['clusterStats']>> {
    const membership = this.cluster;
    const store = this.leadershipStore;
    if (membership === undefined) return undefined;
    const live = new Set(membership.liveBrokers().map((b) => b.nodeId));
    let led = 0;
    let orphaned = 0;
    if (store !== undefined) {
      for (const l of store.all().values()) {
        if (l.leader === this.nodeId) led++;
        if (!live.has(l.leader)) orphaned++;
      }
    }
    return { liveBrokers: live.size, controller: membership.isController, partitionsLed: led, partitionsWithoutLeader: orphaned };
  }

  openConnections(): number {
    return this.server?.connectionCount ?? 0;
  }

  slotStats(): ReturnType<MetricsSource['slotStats']> {
    return this.engine.slotStats();
  }

  /** Lag per group and partition: high watermark minus committed offset (never negative). */
  async groupLag(): ReturnType<MetricsSource['groupLag']> {
    if (!this.config['metrics.group.lag.enable'] || !this.groups.available()) return [];
    const out: Awaited<ReturnType<MetricsSource['groupLag']>> = [];
    for (const g of this.groups.listGroups().groups) {
      const { offsets } = await this.groups.fetchOffsets(g.groupId, null);
      for (const o of offsets) {
        const topic = this.topics.get(o.topic);
        const state = topic && this.engine.state(partitionId(topic.topicId, o.partition));
        if (!state || o.committed.offset < 0n) continue;
        out.push({ group: g.groupId, topic: o.topic, partition: o.partition, lag: Math.max(0, state.highWatermark - Number(o.committed.offset)) });
      }
    }
    return out;
  }

  /**
   * Kafka's controlled shutdown: marks this broker draining, so the controller (perhaps this
   * broker) moves its movable partitions to others, and waits — bounded by
   * controlled.shutdown.timeout.ms — until it leads none of them and every handoff it owes is
   * published. Partitions of topics without remote storage stay (offline until it returns).
   */
  private async controlledShutdown(): Promise<void> {
    const requests = this.moveRequests;
    const handoff = this.handoff;
    const store = this.leadershipStore;
    if (!this.leadership || !requests || !handoff || !store || !this.config['controlled.shutdown.enable']) return;
    // No other broker to take anything over.
    if (!this.cluster?.liveBrokers().some((b) => b.nodeId !== this.nodeId)) return;
    const started = Date.now();
    const deadline = started + this.config['controlled.shutdown.timeout.ms'];
    const movableHere = () => {
      let n = 0;
      for (const name of this.topics.names()) {
        const t = this.topics.get(name)!;
        if (!this.topics.logConfig(t).remoteStorageEnable) continue;
        for (let p = 0; p < t.partitions; p++) if (store.get(partitionId(t.topicId, p))?.leader === this.nodeId) n++;
      }
      return n;
    };
    try {
      await requests.setDraining(this.nodeId, true);
      this.leadership.poke();
      // Waits while another broker can take partitions (the whole cluster stopping at once ends it).
      const othersTakeOver = async () => {
        const draining = new Set(await requests.draining());
        return this.cluster!.liveBrokers().some((b) => b.nodeId !== this.nodeId && !draining.has(b.nodeId));
      };
      while (Date.now() < deadline && (movableHere() > 0 || !handoff.releasedAll())) {
        if (handoff.releasedAll() && !(await othersTakeOver())) break;
        await handoff.changed(Math.min(250, Math.max(1, deadline - Date.now())));
      }
      const left = movableHere();
      if (left > 0 || !handoff.releasedAll()) this.logger.warn({ partitions: left, ms: Date.now() - started }, 'controlled shutdown timed out; the handoffs left finish when this broker restarts');
      else this.logger.info({ ms: Date.now() - started }, 'controlled shutdown: partitions handed over');
    } catch (err) {
      this.logger.warn({ err }, 'controlled shutdown failed; leaving without handing partitions over');
    }
  }

  /** SIGTERM: stop accepting, finish in-flight requests, flush and close logs. */
  async stop(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.logger.info('shutting down');
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    clearInterval(this.loadReportTimer);
    clearInterval(this.walGcTimer);
    // Controlled shutdown: hand the remote-storage partitions to other brokers while still
    // serving; then leave the cluster so the others drop this broker (and take the controller
    // lease) at once.
    await this.controlledShutdown();
    await this.leadership?.stop();
    this.handoff?.stop();
    this.handoffStore?.stop();
    this.leadershipStore?.stop();
    await this.cluster?.stop();
    await this.elastic.stop();
    await this.restProxy?.close();
    this.engine.wakeAllWaiters();
    this.groups.shutdown();
    if (this.server) {
      await this.server.drain(this.config['shutdown.timeout.ms']);
      this.server.closeAll();
    }
    await this.groups.close();
    // Batches appended while draining still reach the bucket before it goes.
    await this.durability?.writer.close(this.config['shutdown.timeout.ms']);
    await this.tier?.stop();
    await this.engine.close();
    await this.metadata.close();
    await this.credentials.close();
    // HTTP stays up while draining so probes see 503 on /readyz rather than a refused connection.
    attachMetricsSource(undefined);
    this.console?.close();
    await this.http?.close();
    await this.schemaRegistry?.store.close();
    await this.authorizer.close();
    await this.quotas.close();
    for (const lock of this.logDirLocks) lock.release();
    this.logger.info('stopped');
  }
}
