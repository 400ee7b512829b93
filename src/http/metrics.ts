// Thread: main. The broker's Prometheus metrics (prom-client) in one registry of their own.
// Hot-path instruments (request timing, bytes/records in and out, error counts) are
// module-level so handlers reach them without a context lookup, and every labelled child is
// bound once and cached, so a produce or fetch costs a Map lookup and an add per partition.
// Labels stay bounded: API name + version, topic name, Kafka error code, worker slot, group.
// Never client ids. State gauges (partitions per slot, queue depth, lag, connections) are
// computed when Prometheus scrapes, from a broker attached with `attachMetricsSource`.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'strata_' });

const requestDuration = new client.Histogram({
  name: 'strata_request_duration_seconds',
  help: 'Kafka request latency from decoded header to encoded response, per API and version',
  labelNames: ['api', 'version'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
const requestErrors = new client.Counter({
  name: 'strata_request_failures_total',
  help: 'Kafka requests that closed the connection (internal error), per API',
  labelNames: ['api', 'version'],
  registers: [registry],
});
/**
 * Per-topic traffic totals. The hot path adds to plain numbers (a prom-client child's inc()
 * hashes its labels and allocates on every call: measurable per single-record request); the
 * counters are set from them when Prometheus scrapes.
 */
export interface TopicCounters {
  bytesIn: number;
  recordsIn: number;
  bytesOut: number;
  recordsOut: number;
}
const topicTotals = new Map<string, TopicCounters>();

function topicCounter(name: string, help: string, pick: (c: TopicCounters) => number): void {
  new client.Counter({
    name,
    help,
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [topic, c] of topicTotals) this.labels(topic).inc(pick(c));
    },
  });
}
topicCounter('strata_topic_bytes_in_total', 'Record-batch bytes appended, per topic', (c) => c.bytesIn);
topicCounter('strata_topic_records_in_total', 'Records appended (from batch headers), per topic', (c) => c.recordsIn);
topicCounter('strata_topic_bytes_out_total', 'Record-batch bytes returned by Fetch, per topic', (c) => c.bytesOut);
topicCounter('strata_topic_records_out_total', 'Records returned by Fetch (whole batches, from batch headers), per topic', (c) => c.recordsOut);
const partitionErrors = new client.Counter({
  name: 'strata_partition_errors_total',
  help: 'Per-partition Kafka error codes answered by Produce and Fetch',
  labelNames: ['api', 'code'],
  registers: [registry],
});

const authentications = new client.Counter({
  name: 'strata_authentications_total',
  help: 'Authentications on the Kafka and HTTP listeners, per listener, mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, TLS for handshakes and client certificates, BASIC for HTTP) and result (success, failure)',
  labelNames: ['listener', 'mechanism', 'result'],
  registers: [registry],
});

export function countAuthentication(listener: string, mechanism: string, result: 'success' | 'failure'): void {
  authentications.labels(listener, mechanism, result).inc();
}

const authorizationDenials = new client.Counter({
  name: 'strata_authorization_denials_total',
  help: 'Authorization checks the ACLs refused (authorizer.class.name set), per API (Produce, Fetch, ..., and the HTTP front\'s calls through the bridge)',
  labelNames: ['api'],
  registers: [registry],
});

export function countAuthorizationDenial(api: string): void {
  authorizationDenials.labels(api).inc();
}

/** A TLS handshake that failed (plaintext client, missing or untrusted client certificate, protocol mismatch). */
export function countTlsHandshakeFailure(listener: string): void {
  authentications.labels(listener, 'TLS', 'failure').inc();
}

/** What the scrape-time gauges read; the Broker implements it. */
export interface MetricsSource {
  openConnections(): number;
  slotStats(): Array<{ partitions: number; segments: number; queueSize: number; utilization: number }>;
  /** Committed offset, high watermark and lag per group and partition. */
  groupLag(): Promise<Array<{ group: string; topic: string; partition: number; lag: number }>>;
  /** Tiered-storage totals since start; undefined without object storage. */
  remoteStorageStats(): { uploadedSegments: number; uploadedBytes: number; uploadMs: number; remoteReads: number; failures: number } | undefined;
  /** Sealed segments (and their bytes) waiting for upload; undefined without object storage. */
  remoteUploadLag(): Promise<{ segments: number; bytes: number } | undefined>;
  /** Write-ahead objects (src/wal) stored since start; undefined without them. */
  walStats?(): { objects: number; bytes: number; putMs: number; retries: number } | undefined;
  /** Append tasks sent to the worker slots and the produce submissions they carried (coalescing). */
  appendCoalescing(): { tasks: number; submissions: number };
  /** KIP-227 fetch sessions held now, and sessions evicted since start. */
  fetchSessionStats(): { sessions: number; evictions: number };
  /** Cluster mode: live brokers, whether this one is the controller, partitions it leads; undefined for a single broker. */
  clusterStats?(): { liveBrokers: number; controller: boolean; partitionsLed: number; partitionsWithoutLeader: number } | undefined;
}

let source: MetricsSource | undefined;

export function attachMetricsSource(s: MetricsSource | undefined): void {
  source = s;
}

function clusterGauge(name: string, help: string, pick: (s: NonNullable<ReturnType<NonNullable<MetricsSource['clusterStats']>>>) => number): void {
  new client.Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      const stats = source?.clusterStats?.();
      if (stats) this.set(pick(stats));
    },
  });
}
clusterGauge('strata_cluster_live_brokers', 'Cluster mode: live brokers this broker sees', (s) => s.liveBrokers);
clusterGauge('strata_cluster_controller', 'Cluster mode: 1 while this broker holds the controller lease', (s) => (s.controller ? 1 : 0));
clusterGauge('strata_cluster_partitions_led', 'Cluster mode: partitions this broker leads', (s) => s.partitionsLed);
clusterGauge('strata_cluster_partitions_without_leader', 'Cluster mode: partitions whose leader is not live (offline until their broker returns)', (s) => s.partitionsWithoutLeader);

new client.Gauge({
  name: 'strata_open_connections',
  help: 'Open Kafka client connections',
  registers: [registry],
  collect() {
    this.set(source?.openConnections() ?? 0);
  },
});

function slotGauge(name: string, help: string, pick: (s: ReturnType<MetricsSource['slotStats']>[number]) => number): void {
  new client.Gauge({
    name,
    help,
    labelNames: ['slot'],
    registers: [registry],
    collect() {
      this.reset();
      const stats = source?.slotStats() ?? [];
      stats.forEach((s, slot) => this.labels(String(slot)).set(pick(s)));
    },
  });
}
slotGauge('strata_worker_slot_partitions', 'Partitions owned by each worker slot', (s) => s.partitions);
slotGauge('strata_worker_slot_segments', 'Log segments on local disk across the partitions of each worker slot', (s) => s.segments);
slotGauge('strata_worker_slot_queue_depth', 'Tasks waiting in each worker slot queue', (s) => s.queueSize);
slotGauge('strata_worker_slot_utilization', 'Busy fraction (0..1) of each worker slot thread over the last sampling interval (worker.scale.interval.ms)', (s) => s.utilization);

new client.Gauge({
  name: 'strata_worker_slots',
  help: 'Worker slots (partition threads) running now',
  registers: [registry],
  collect() {
    this.set(source?.slotStats().length ?? 0);
  },
});

const partitionMoves = new client.Counter({
  name: 'strata_partition_moves_total',
  help: 'Partitions moved between worker slots, by why (grow, shrink, rebalance, requested)',
  labelNames: ['reason'],
  registers: [registry],
});

const partitionMovePause = new client.Histogram({
  name: 'strata_partition_move_pause_seconds',
  help: 'How long a partition move held the work for that partition',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** Counts a finished partition move (kind: grow, shrink, rebalance or requested). */
export function observePartitionMove(kind: string, pauseMs: number): void {
  partitionMoves.labels(kind).inc();
  partitionMovePause.observe(pauseMs / 1000);
}

const brokerHandoffs = new client.Counter({
  name: 'strata_partition_handoffs_total',
  help: 'Partitions this broker handed to another broker (released), took over from one (taken-over), or rebuilt from object storage after their leader died (rebuilt)',
  labelNames: ['direction'],
  registers: [registry],
});

const brokerHandoffPause = new client.Histogram({
  name: 'strata_partition_handoff_pause_seconds',
  help: 'Taken over from another broker: from the old leader refusing writes to this broker serving the partition; rebuilt: from starting the rebuild to serving',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** Counts a handoff between brokers; a takeover also records its pause. */
export function observePartitionHandoff(direction: 'released' | 'taken-over' | 'rebuilt', pauseMs?: number): void {
  brokerHandoffs.labels(direction).inc();
  if (pauseMs !== undefined) brokerHandoffPause.observe(Math.max(0, pauseMs) / 1000);
}

new client.Gauge({
  name: 'strata_consumer_group_lag',
  help: 'High watermark minus committed offset, per group and partition (computed at scrape time)',
  labelNames: ['group', 'topic', 'partition'],
  registers: [registry],
  async collect() {
    this.reset();
    if (!source) return;
    for (const l of await source.groupLag()) this.labels(l.group, l.topic, String(l.partition)).set(l.lag);
  },
});

/** A counter whose value is read from the source at scrape time (monotonic totals kept elsewhere). */
function scrapedCounter(name: string, help: string, pick: (s: NonNullable<ReturnType<MetricsSource['remoteStorageStats']>>) => number): void {
  new client.Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const stats = source?.remoteStorageStats();
      this.reset();
      if (stats) this.inc(pick(stats));
    },
  });
}
scrapedCounter('strata_remote_storage_uploaded_segments_total', 'Sealed segments uploaded to object storage', (s) => s.uploadedSegments);
scrapedCounter('strata_remote_storage_uploaded_bytes_total', 'Bytes uploaded to object storage (segments and indexes)', (s) => s.uploadedBytes);
scrapedCounter('strata_remote_storage_upload_seconds_total', 'Time spent uploading to object storage', (s) => s.uploadMs / 1000);
scrapedCounter('strata_remote_storage_reads_total', 'Fetch reads served from object storage', (s) => s.remoteReads);
scrapedCounter('strata_remote_storage_failures_total', 'Failed object-storage operations', (s) => s.failures);

/** A counter read at scrape time from the write-ahead objects' totals (cluster with a bucket). */
function walCounter(name: string, help: string, pick: (s: NonNullable<ReturnType<NonNullable<MetricsSource['walStats']>>>) => number): void {
  new client.Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const stats = source?.walStats?.();
      this.reset();
      if (stats) this.inc(pick(stats));
    },
  });
}
walCounter('strata_wal_objects_total', 'Write-ahead objects stored (one PUT each, retries not counted)', (s) => s.objects);
walCounter('strata_wal_bytes_total', 'Bytes of write-ahead objects stored', (s) => s.bytes);
walCounter('strata_wal_put_seconds_total', 'Time spent in successful write-ahead object PUTs', (s) => s.putMs / 1000);
walCounter('strata_wal_put_retries_total', 'Write-ahead object PUTs that failed and were retried', (s) => s.retries);

for (const [name, help, pick] of [
  ['strata_append_tasks_total', 'Append tasks sent to the worker slots (produce requests of one turn share one per slot)', (s: { tasks: number }) => s.tasks],
  ['strata_append_submissions_total', 'Produce submissions (one per request and slot) carried by append tasks', (s: { submissions: number }) => s.submissions],
] as const) {
  new client.Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      if (source) this.inc(pick(source.appendCoalescing() as { tasks: number; submissions: number }));
    },
  });
}

new client.Gauge({
  name: 'strata_fetch_sessions',
  help: 'Incremental fetch sessions (KIP-227) held by the broker',
  registers: [registry],
  collect() {
    this.set(source?.fetchSessionStats().sessions ?? 0);
  },
});
new client.Counter({
  name: 'strata_fetch_session_evictions_total',
  help: 'Incremental fetch sessions evicted to make room for new ones (max.incremental.fetch.session.cache.slots)',
  registers: [registry],
  collect() {
    this.reset();
    if (source) this.inc(source.fetchSessionStats().evictions);
  },
});

function uploadLagGauge(name: string, help: string, pick: (lag: { segments: number; bytes: number }) => number): void {
  new client.Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.reset();
      const lag = await source?.remoteUploadLag();
      if (lag) this.set(pick(lag));
    },
  });
}
uploadLagGauge('strata_remote_storage_upload_lag_bytes', 'Bytes of sealed local segments not yet uploaded to object storage', (l) => l.bytes);
uploadLagGauge('strata_remote_storage_upload_lag_segments', 'Sealed local segments not yet uploaded to object storage', (l) => l.segments);

const syncPassDuration = new client.Histogram({
  name: 'strata_fsync_duration_seconds',
  help: 'Duration of group-commit fsync passes (one fdatasync per dirty file of a partition), as reported by the worker slots',
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [registry],
});

/** Records one fsync pass reported by a worker slot. */
export function observeSyncPass(ms: number): void {
  syncPassDuration.observe(ms / 1000);
}

// ------------------------------------------------------------------ hot-path helpers

type HistogramChild = ReturnType<typeof requestDuration.labels>;
const durationChildren = new Map<number, HistogramChild>();

/** Records one request's latency; `startNs` from process.hrtime.bigint(). */
export function observeRequest(apiKey: number, apiName: string, version: number, startNs: bigint): void {
  const id = apiKey * 1000 + version;
  let child = durationChildren.get(id);
  if (!child) {
    child = requestDuration.labels(apiName, String(version));
    durationChildren.set(id, child);
  }
  child.observe(Number(process.hrtime.bigint() - startNs) / 1e9);
}

export function countRequestFailure(apiName: string, version: number): void {
  requestErrors.labels(apiName, String(version)).inc();
}

/** The topic's traffic totals (add to them; they are published at scrape time). */
export function topicCounters(topic: string): TopicCounters {
  let c = topicTotals.get(topic);
  if (!c) topicTotals.set(topic, (c = { bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 }));
  return c;
}

/** Traffic totals summed over every topic (the console samples them for its throughput chart). */
export function trafficTotals(): TopicCounters {
  const sum: TopicCounters = { bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 };
  for (const c of topicTotals.values()) {
    sum.bytesIn += c.bytesIn;
    sum.recordsIn += c.recordsIn;
    sum.bytesOut += c.bytesOut;
    sum.recordsOut += c.recordsOut;
  }
  return sum;
}

/** Drops a deleted topic's series so label cardinality follows the live topic set. */
export function forgetTopic(topic: string): void {
  topicTotals.delete(topic);
}

const errorChildren = new Map<number, ReturnType<typeof partitionErrors.labels>>();

/** Counts one non-zero per-partition error code of Produce (apiKey 0) or Fetch (1). */
export function countPartitionError(apiKey: 0 | 1, code: number): void {
  const id = apiKey * 100_000 + code;
  let child = errorChildren.get(id);
  if (!child) {
    child = partitionErrors.labels(apiKey === 0 ? 'Produce' : 'Fetch', String(code));
    errorChildren.set(id, child);
  }
  child.inc();
}

/**
 * Records in a run of v2 record batches, from each batch header's recordsCount (offset 57);
 * O(batches), no record is decoded. Older or truncated batches count what can be read.
 */
export function countRecords(records: Buffer): number {
  let n = 0;
  let o = 0;
  while (o + 61 <= records.length) {
    const batchLength = records.readInt32BE(o + 8);
    if (records[o + 16] === 2) n += records.readInt32BE(o + 57);
    if (batchLength <= 0) break;
    o += 12 + batchLength;
  }
  return n;
}
