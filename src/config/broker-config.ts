// Thread: main. The one definition of every broker setting (Kafka's names where Kafka has
// them). Values arrive as strings from files, env and flags and are coerced here; the
// inferred type is the only type of the broker config.
import os from 'node:os';
import { z } from 'zod';

const LONG_MAX = Number.MAX_SAFE_INTEGER;

const int = (min: number, max = LONG_MAX) => z.coerce.number().int().min(min).max(max);
/** A fraction of time, 0..1 (utilisation thresholds). */
const fraction = () => z.coerce.number().min(0).max(1);
/** Upper bound of every worker-slot count setting. */
export const MAX_SLOTS = 256;
const defaultMaxSlots = Math.min(MAX_SLOTS, os.availableParallelism());
/** authorizer.class.name values that turn the ACL authorizer on (Kafka's two, and the short name). */
export const AUTHORIZER_CLASS_NAMES = ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer', 'strata'];
const bool = () => z.union([z.boolean(), z.stringbool()]);
const listenerList = z
  .string()
  .regex(
    /^\s*[A-Za-z_]+:\/\/[^\s,:]*:\d+\s*(,\s*[A-Za-z_]+:\/\/[^\s,:]*:\d+\s*)*$/,
    'expected NAME://host:port[,NAME://host:port…], e.g. PLAINTEXT://127.0.0.1:9092',
  );

export const brokerConfigSchema = z.strictObject({
  'listeners': listenerList.default('PLAINTEXT://127.0.0.1:9092'),
  'advertised.listeners': listenerList.optional(),
  /** Listener name → security protocol, as Kafka's (src/config/listener-security.ts). */
  'listener.security.protocol.map': z
    .string()
    .regex(
      /^\s*[A-Za-z_]+\s*:\s*(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)\s*(,\s*[A-Za-z_]+\s*:\s*(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)\s*)*$/i,
      'expected NAME:PROTOCOL[,NAME:PROTOCOL…] with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL',
    )
    .default('PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL'),
  /** The listener whose advertised endpoint other brokers and the cluster registration use; unset = the first of listeners. */
  'inter.broker.listener.name': z.string().regex(/^[A-Za-z_]+$/, 'expected a listener name').optional(),
  /** TLS (SSL and SASL_SSL listeners, https HTTP listeners): only PEM, as Kafka's PEM keystores. */
  'ssl.keystore.type': z.enum(['PEM']).default('PEM'),
  /** PEM file holding the private key and the certificate chain (server certificate first). */
  'ssl.keystore.location': z.string().min(1).optional(),
  /** Inline PEM private key (instead of ssl.keystore.location; with ssl.keystore.certificate.chain). */
  'ssl.keystore.key': z.string().min(1).optional(),
  /** Inline PEM certificate chain (with ssl.keystore.key). */
  'ssl.keystore.certificate.chain': z.string().min(1).optional(),
  /** Password of an encrypted private key. */
  'ssl.key.password': z.string().optional(),
  'ssl.truststore.type': z.enum(['PEM']).default('PEM'),
  /** PEM file of the CA certificates client certificates must chain to (mTLS). */
  'ssl.truststore.location': z.string().min(1).optional(),
  /** Inline PEM CA certificates (instead of ssl.truststore.location). */
  'ssl.truststore.certificates': z.string().min(1).optional(),
  /** mTLS: `required` refuses a client without a valid certificate; `requested` asks for one; the principal is the certificate subject. */
  'ssl.client.auth': z.enum(['none', 'requested', 'required']).default('none'),
  /** TLS versions served, comma-separated (TLSv1.2, TLSv1.3). */
  'ssl.enabled.protocols': z
    .string()
    .regex(/^\s*TLSv1\.[23]\s*(,\s*TLSv1\.[23]\s*)*$/, 'expected TLSv1.2 and/or TLSv1.3, comma-separated')
    .default('TLSv1.2,TLSv1.3'),
  /** How often the keystore and truststore files are re-read; changed files replace the TLS context without a restart (0 = never). */
  'ssl.keystore.reload.interval.ms': int(0, 24 * 3600_000).default(30_000),
  /** ACLs on (src/auth): Kafka's StandardAuthorizer or AclAuthorizer class name, or `strata`; empty = every principal may do everything. */
  'authorizer.class.name': z
    .string()
    .trim()
    .refine((v) => v === '' || AUTHORIZER_CLASS_NAMES.includes(v), {
      message: `expected empty (no ACLs) or one of ${AUTHORIZER_CLASS_NAMES.join(', ')}`,
    })
    .default(''),
  /** Principals allowed everything whatever the ACLs say, `;`-separated (`User:admin;User:CN=ops,O=Acme`). */
  'super.users': z
    .string()
    .regex(/^\s*([^;:\s][^;:]*:[^;]+)?\s*(;\s*[^;:\s][^;:]*:[^;]+\s*)*$/, 'expected TYPE:NAME[;TYPE:NAME…], e.g. User:admin;User:ops')
    .default(''),
  /** With the authorizer on: a resource nobody has any ACL on is open to everyone (Kafka's default: false). */
  'allow.everyone.if.no.acl.found': bool().default(false),
  /** SASL mechanisms served on SASL_PLAINTEXT and SASL_SSL listeners (src/security/sasl). */
  'sasl.enabled.mechanisms': z
    .string()
    .regex(/^\s*((PLAIN|SCRAM-SHA-256|SCRAM-SHA-512)\s*(,\s*(PLAIN|SCRAM-SHA-256|SCRAM-SHA-512)\s*)*)?$/, 'expected PLAIN, SCRAM-SHA-256 and/or SCRAM-SHA-512, comma-separated')
    .default('PLAIN,SCRAM-SHA-256,SCRAM-SHA-512'),
  /** KIP-368: a SASL session lasts at most this long; the client must re-authenticate or is disconnected at its next request (0 = no limit). */
  'connections.max.reauth.ms': int(0).default(0),
  /** Failed authentications are answered after this delay (slows password guessing). */
  'connection.failed.authentication.delay.ms': int(0, 60_000).default(100),
  /** Largest request frame accepted before a SASL connection has authenticated (bytes). */
  'sasl.server.max.receive.size': int(64, 2 ** 31 - 1).default(524288),
  'log.dirs': z.string().min(1).default('./data'),
  'node.id': int(0, 2 ** 31 - 1).default(1),
  'cluster.id': z.string().min(1).max(64).optional(),
  /** Where topics, their ids and configs, the cluster id and producer-id blocks live: `local`,
   *  one JSON file under the first log dir (a single broker); `redis`, shared by every broker on
   *  the same redis.url and redis.key.prefix (src/metadata/redis-metadata-store.ts). The default
   *  is `redis` when cluster.enable is set, else `local`. */
  'cluster.metadata.store': z.enum(['local', 'redis']).default('local'),
  'num.partitions': int(1, 100_000).default(1),
  'default.replication.factor': int(1, 1).default(1),
  'auto.create.topics.enable': bool().default(true),
  'delete.topic.enable': bool().default(true),
  'message.max.bytes': int(0, 2 ** 31 - 1).default(1048588),
  'socket.request.max.bytes': int(64, 2 ** 31 - 1).default(104857600),
  /** Per connection: stop reading from the socket while this many request bytes are in flight. */
  'socket.max.inflight.bytes': int(1024, 2 ** 31 - 1).default(64 * 1024 * 1024),
  'log.segment.bytes': int(14, 2 ** 31 - 1).default(1073741824),
  'log.roll.ms': int(1).default(604800000),
  'log.retention.ms': int(-1).default(604800000),
  'log.retention.bytes': int(-1).default(-1),
  'log.retention.check.interval.ms': int(1).default(300000),
  'log.index.interval.bytes': int(0, 2 ** 31 - 1).default(4096),
  'log.index.size.max.bytes': int(4, 2 ** 31 - 1).default(10485760),
  'log.message.timestamp.type': z.enum(['CreateTime', 'LogAppendTime']).default('CreateTime'),
  'log.flush.interval.messages': int(1).default(LONG_MAX),
  'log.flush.interval.ms': int(0).default(LONG_MAX),
  /** Partition worker threads (Piscina slots); each partition is owned by exactly one. Given
   *  explicitly, a fixed slot count (min = max = it); otherwise slots are elastic between
   *  worker.threads.min and worker.threads.max (src/config/worker-slots.ts). The default here is
   *  kept so that the value is always a number; workerSlotRange() tells set from defaulted. */
  'worker.threads': int(1, MAX_SLOTS).default(defaultMaxSlots),
  /** Fewest worker slots while elastic (ignored when worker.threads is set). */
  'worker.threads.min': int(1, MAX_SLOTS).default(1),
  /** Most worker slots while elastic (ignored when worker.threads is set); unset → cores, raised to min. */
  'worker.threads.max': int(1, MAX_SLOTS).default(defaultMaxSlots),
  /** A slot busy at least this fraction of the time for a whole window is hot: move load off it or add a slot. */
  'worker.scale.up.utilization': fraction().default(0.75),
  /** A slot busy at most this fraction for a whole window is cool (a move target); when every
   *  slot's busy fractions summed stay at most this × (slots − 1), a slot is retired. */
  'worker.scale.down.utilization': fraction().default(0.25),
  /** How long a hot, cool or idle condition must hold before slots are added, moved or retired. */
  'worker.scale.window.ms': int(0, 24 * 3600_000).default(10_000),
  /** Sampling period of slot utilisation and per-partition load for the scaling policy. */
  'worker.scale.interval.ms': int(10, 3600_000).default(1_000),
  /** How long a produce, fetch or ListOffsets waits for a partition being moved between slots
   *  before it is answered with a retriable error. */
  'partition.move.timeout.ms': int(1, 600_000).default(5_000),
  /** Newest record batches kept on the main thread so tailing consumers skip the worker hop (0 disables). */
  'tail.cache.bytes': int(0, 2 ** 40).default(64 * 1024 * 1024),
  /**
   * Incremental fetch sessions (KIP-227) the broker keeps at most, across all clients; a full
   * cache evicts as Kafka does (src/router/fetch-sessions.ts), else answers without a session.
   * 0 disables sessions (every fetch is a full fetch).
   */
  'max.incremental.fetch.session.cache.slots': int(0, 2 ** 31 - 1).default(1000),
  /** Tasks one worker thread may have in flight (appends awaiting group-commit fsync, reads). */
  'worker.concurrent.tasks': int(1, 4096).default(64),
  'log.level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Milliseconds SIGTERM waits for in-flight requests before closing anyway. */
  'shutdown.timeout.ms': int(0).default(10_000),
  /** Redis for group offsets/metadata (`redis://host:port/db`); unset → REDIS_URL env; empty → local store. */
  'redis.url': z.string().optional(),
  /** Prefix of every Redis key Strata writes. */
  'redis.key.prefix': z.string().default('strata:'),
  /** Bound on one Redis command; a slower or unreachable Redis makes group requests fail fast. */
  'redis.command.timeout.ms': int(1, 600_000).default(2_000),
  /** Cluster mode (src/cluster): with a Redis (`redis.url` or REDIS_URL) this broker registers
   *  itself under `redis.key.prefix`, heartbeats, and takes part in the controller lease. Off by
   *  default: a broker with Redis but without this setting stays a single broker. */
  'cluster.enable': bool().default(false),
  /** Cluster mode: the controller spreads partition leadership over the live brokers and each
   *  broker serves only the partitions it leads (others answer NOT_LEADER_OR_FOLLOWER). Needs
   *  cluster.metadata.store=redis (every broker must see the same topics). With cluster.enable
   *  both default to on (src/config/cluster-settings.ts applyClusterDefaults). */
  'cluster.partition.leadership.enable': bool().default(false),
  /** Cluster mode: how often this broker refreshes its registration and the controller lease, and
   *  re-reads the live brokers. Must be below broker.session.timeout.ms. */
  'broker.heartbeat.interval.ms': int(10, 3600_000).default(2_000),
  /** Cluster mode: a broker that has not refreshed its registration for this long is gone (its key
   *  expires); also the controller lease. */
  'broker.session.timeout.ms': int(20, 3600_000).default(9_000),
  /** Cluster mode: on SIGTERM, hand this broker's remote-storage partitions to other brokers before
   *  leaving (Kafka's controlled shutdown). */
  'controlled.shutdown.enable': bool().default(true),
  /** Cluster mode: how long a controlled shutdown waits for its partitions to be handed over
   *  before the broker leaves anyway (the handoffs left finish when it restarts). */
  'controlled.shutdown.timeout.ms': int(0, 3600_000).default(60_000),
  /** Cluster mode with object storage and partition leadership: batches appended to remote-storage
   *  topics go to write-ahead objects in the bucket; acks=all answers once they are stored, and a
   *  dead broker's partitions fail over to live brokers, rebuilt from the bucket. */
  'wal.enable': bool().default(true),
  /** Write-ahead objects: gather batches this long before a PUT (ms). */
  'wal.flush.ms': int(0, 60_000).default(5),
  /** Write-ahead objects: PUT as soon as this many bytes are gathered. */
  'wal.flush.bytes': int(1024, 1024 ** 3).default(4 * 1024 * 1024),
  /** acks=all to a durable topic answers a retriable error when its object is not stored within this (ms). */
  'wal.ack.timeout.ms': int(100, 3_600_000).default(10_000),
  /** Produce to durable topics is refused (retriable) while this many bytes wait for the bucket. */
  'wal.max.pending.bytes': int(1024 * 1024, 2 ** 40).default(64 * 1024 * 1024),
  /** Write-ahead objects: the active segment of a durable topic's partition rolls (and is offloaded)
   *  at this size at the latest, whatever its segment.bytes — a failover rebuilds the partition
   *  from the write-ahead objects after its last offloaded segment, so this bounds that work. */
  'wal.segment.max.bytes': int(1024 * 1024, 2 ** 40).default(16 * 1024 * 1024),
  /** Write-ahead objects: likewise, the active segment of a durable topic rolls at this age at the latest (ms). */
  'wal.segment.max.ms': int(1_000, 2 ** 40).default(30_000),
  /** Rack of this broker (DescribeCluster and the cluster registration); unset = no rack. */
  'broker.rack': z.string().min(1).max(255).optional(),
  /** Committed offsets of an empty group expire this long after the group emptied (or the commit). */
  'offsets.retention.minutes': int(1).default(10080),
  /** How often expired offsets, expired groups and offsets of deleted topics are cleaned up. */
  'offsets.retention.check.interval.ms': int(1).default(600_000),
  'offset.metadata.max.bytes': int(0, 2 ** 31 - 1).default(4096),
  'group.min.session.timeout.ms': int(0, 2 ** 31 - 1).default(6000),
  'group.max.session.timeout.ms': int(0, 2 ** 31 - 1).default(1800000),
  /** Wait for more members before the first rebalance of an empty group. */
  'group.initial.rebalance.delay.ms': int(0, 2 ** 31 - 1).default(3000),
  'group.max.size': int(1, 2 ** 31 - 1).default(2 ** 31 - 1),
  /** Tiered storage: S3 bucket; unset = no object storage (remote.storage.enable has no effect). */
  'remote.storage.s3.bucket': z.string().min(1).optional(),
  /** Key prefix of every object Strata writes in the bucket. */
  'remote.storage.s3.prefix': z.string().default('strata/'),
  /** S3 endpoint URL; unset → the SDK's AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS. */
  'remote.storage.s3.endpoint': z.string().url().optional(),
  /** Path-style URLs (`endpoint/bucket/key`), needed by LocalStack, Ceph and most non-AWS servers. */
  'remote.storage.s3.path.style.access': bool().default(false),
  /** Region; unset → the SDK's AWS_REGION, else us-east-1. */
  'remote.storage.s3.region': z.string().min(1).optional(),
  /** Broker default of the topic config remote.storage.enable. */
  'log.remote.storage.enable': bool().default(false),
  /** Broker defaults of local.retention.ms / local.retention.bytes (-2 = retention.ms / retention.bytes). */
  'log.local.retention.ms': int(-2).default(-2),
  'log.local.retention.bytes': int(-2).default(-2),
  /** Per partition: local bytes not yet offloaded past which produce fails with KAFKA_STORAGE_ERROR (retriable); -1 = unbounded. */
  'remote.storage.local.pending.max.bytes': int(-1).default(4 * 1024 * 1024 * 1024),
  /** Bytes of the on-disk cache of remote segment chunks (`<log.dirs>/.remote-cache`). */
  'remote.fetch.cache.bytes': int(0).default(256 * 1024 * 1024),
  /** How often sealed segments are looked for and uploaded (Kafka's remote.log.manager.task.interval.ms). */
  'remote.log.manager.task.interval.ms': int(10).default(5_000),
  /** Operator HTTP (/healthz, /readyz, /metrics): `host:port[,host:port…]`; port 0 picks a free port; empty disables. */
  'http.listeners': z
    .string()
    .regex(/^\s*((https?:\/\/)?(\[[^\]]*\]|[^\s,:]*):\d+\s*(,\s*(https?:\/\/)?(\[[^\]]*\]|[^\s,:]*):\d+\s*)*)?$/, 'expected host:port[,host:port…], e.g. 127.0.0.1:8080')
    .default('127.0.0.1:8080'),
  /** Basic authentication on the HTTP listeners against the SCRAM users (401 without it). */
  'http.authentication.enable': bool().default(false),
  /** With http.authentication.enable: /metrics, /healthz and /readyz stay open (scrapers, probes). */
  'http.metrics.open': bool().default(true),
  /** REST proxy (src/http/rest): largest request body read, in bytes (413 past it). */
  'rest.max.request.bytes': int(1024, 2 ** 30).default(10 * 1024 * 1024),
  /** REST proxy: most records one produce request (v2, v3 stream, NDJSON, CSV) may carry. */
  'rest.max.records.per.request': int(1, 10_000_000).default(10_000),
  /** REST proxy: a v2 consumer instance idle this long is deleted (then 40403). */
  'rest.consumer.instance.timeout.ms': int(100, 2 ** 31 - 1).default(300_000),
  /** REST proxy: most v2 consumer instances alive at once. */
  'rest.consumer.max.instances': int(1, 1_000_000).default(1000),
  /** Serve the Confluent-compatible schema registry (/subjects, /schemas, /config, /compatibility,
   *  /mode) on http.listeners. Its store is Redis when one is configured (redis.url or REDIS_URL,
   *  keys under redis.key.prefix + `sr:`), else `schema-registry.json` in the first log dir. */
  'schema.registry.enable': bool().default(true),
  /** Largest request body the schema registry accepts (a schema with its JSON envelope). */
  'schema.registry.max.request.bytes': int(1_024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Client quotas: samples of the rate sensors (Kafka's quota.window.num). */
  'quota.window.num': int(2, 100).default(11),
  /** Client quotas: length of one sample (Kafka's quota.window.size.seconds). */
  'quota.window.size.seconds': int(1, 3600).default(1),
  /** Client quotas: longest throttle time answered (and connection mute) for one request. */
  'quota.max.throttle.ms': int(1, 2 ** 31 - 1).default(30_000),
  /** Compute consumer-group lag on /metrics scrapes (reads every group's committed offsets). */
  'metrics.group.lag.enable': bool().default(true),
  /** The web console at /console on the HTTP listeners (topics, messages, groups, throughput; can create and delete topics). */
  'console.enable': bool().default(true),
});

export type BrokerConfig = z.infer<typeof brokerConfigSchema>;
export type BrokerConfigInput = z.input<typeof brokerConfigSchema>;
export const brokerConfigKeys = Object.keys(brokerConfigSchema.shape) as Array<keyof BrokerConfig>;

/** A listener as configured: `PLAINTEXT://127.0.0.1:9092`. */
export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function parseListeners(value: string): Listener[] {
  return value.split(',').map((entry) => {
    const m = /^\s*([A-Za-z_]+):\/\/([^\s,:]*):(\d+)\s*$/.exec(entry);
    if (!m) throw new Error(`bad listener "${entry}"`);
    return { name: m[1]!, host: m[2] || '0.0.0.0', port: Number(m[3]) };
  });
}
