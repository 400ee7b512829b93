// Thread: main. Tiered storage (KIP-405 semantics) over any S3-compatible store:
//  - uploader: every remote.log.manager.task.interval.ms, asks the worker slots for sealed,
//    flushed segments not yet uploaded, streams the .log/.index/.timeindex files up while the
//    tier checksum thread computes their CRC-32Cs (segment-upload.ts: this thread never reads
//    a segment nor hashes one), records them in the partition manifest (v2, conditional write),
//    then tells the worker (markUploaded) so local retention may delete them. Failures back
//    off per partition (200 ms doubling to 30 s); appends never wait for any of this.
//  - reader: a fetch below the local log start is served from the manifest's segment through
//    its uploaded offset index, ranged GETs, a bounded chunk cache and read-ahead. Every chunk
//    and index object loaded is checked against its CRC-32C (v2 segments): a mismatch answers
//    KAFKA_STORAGE_ERROR with an error log line naming the object, never the bytes.
//  Log-format knowledge (batch headers, index entries) comes from src/log-format.
//  - topic metadata objects (`<prefix>topics/<topicId>.json`) let a broker with an empty data
//    dir rebuild its topics; new partitions then start at the remote log end.
//  - remote retention (retention.ms / retention.bytes) and topic deletion remove objects.
import { describeError } from '../errors.js';
import crypto from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { PartitionState, SealedSegmentInfo } from '../ipc/tasks.js';
import type { MetadataStore, TopicRecord } from '../metadata/metadata-store.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import { findRecordByTimestamp } from '../protocol/records.js';
import type { PartitionEngine, ReadOutcome, ReadRequestItem } from '../partitions/partition-engine.js';
import { BATCH_OFFSETS_PREFIX_BYTES, BATCH_TIMESTAMP_PREFIX_BYTES, LOG_OVERHEAD, readBaseOffset, readBatchFrame, readBatchSize, readLastOffset, readMaxTimestamp } from '../log-format/batch-header.js';
import { lookupOffsetIndex } from '../log-format/offset-index.js';
import { lookupTimeIndex } from '../log-format/time-index.js';
import { ChunkCache, CHUNK_BYTES } from './chunk-cache.js';
import { ChecksumPool, type SegmentChecksummer } from './checksum-pool.js';
import { ManifestStore, partitionPrefix, type Manifest, type RemoteSegment } from './manifest.js';
import { partitionId, type PartitionId } from '../ipc/partition-id.js';
import { ObjectStore, TierError, TierErrorCode } from './object-store.js';
import { checkObject, decodeChunkCrcs, type ChunkChecksums } from './segment-checksums.js';
import { uploadSegment } from './segment-upload.js';

const MAX_BACKOFF_MS = 30_000;
const BASE_BACKOFF_MS = 200;
/** Chunks fetched ahead of a sequential reader (CHUNK_BYTES each). */
const READ_AHEAD_CHUNKS = 4;

interface PartitionTier {
  topicId: string;
  partition: number;
  manifest: Manifest | null;
  busy: boolean;
  /** Resolves when the upload pass under way for this partition (if any) is over. */
  idle: Promise<void>;
  failures: number;
  nextAttemptMs: number;
}

interface TopicMetaObject {
  v: 1;
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
  createdAtMs: number;
}

export interface TierStats {
  uploadedSegments: number;
  uploadedBytes: number;
  uploadMs: number;
  remoteReads: number;
  failures: number;
  /** Remote reads refused because an object failed its CRC-32C check. */
  corruptReads: number;
}

/** Collaborators a test may replace. */
export interface TierManagerOptions {
  /** Where segment checksums are computed; default: a one-thread pool (checksum-pool.ts). */
  checksummer?: SegmentChecksummer;
}

/** How long offloadAll() waits between attempts while object storage refuses (at most). */
const OFFLOAD_RETRY_MAX_MS = 2_000;

export class TierManager {
  readonly store: ObjectStore;
  private readonly manifests: ManifestStore;
  private readonly prefix: string;
  private readonly partitions = new Map<string, PartitionTier>();
  private readonly indexCache = new Map<string, Buffer>();
  private readonly cache: ChunkCache;
  private readonly checksummer: SegmentChecksummer;
  /** Decoded per-chunk CRCs of v2 segments (null: nothing to verify), per manifest entry. */
  private readonly chunkChecksums = new WeakMap<RemoteSegment, ChunkChecksums | null>();
  private timer: NodeJS.Timeout | undefined;
  /**
   * Cluster mode: whether this broker leads (and serves) a partition. Only the leader uploads
   * and applies remote retention; the others' copies are stale or empty (src/cluster/).
   */
  leads: (key: PartitionId) => boolean = () => true;
  private ticking = false;
  private stopped = false;
  readonly stats: TierStats = { uploadedSegments: 0, uploadedBytes: 0, uploadMs: 0, remoteReads: 0, failures: 0, corruptReads: 0 };

  private constructor(
    private readonly config: BrokerConfig,
    private readonly engine: PartitionEngine,
    logDir: string,
    private readonly logger: Logger,
    options: TierManagerOptions = {},
  ) {
    this.store = new ObjectStore({
      bucket: config['remote.storage.s3.bucket']!,
      endpoint: config['remote.storage.s3.endpoint'],
      region: config['remote.storage.s3.region'],
      forcePathStyle: config['remote.storage.s3.path.style.access'],
    });
    this.prefix = config['remote.storage.s3.prefix'];
    this.manifests = new ManifestStore(this.store, this.prefix);
    this.cache = new ChunkCache(this.store, path.join(logDir, '.remote-cache'), config['remote.fetch.cache.bytes']);
    this.checksummer = options.checksummer ?? new ChecksumPool();
  }

  /** A tier manager when a bucket is configured, else undefined (no object storage). */
  static create(config: BrokerConfig, engine: PartitionEngine, logDir: string, logger: Logger, options?: TierManagerOptions): TierManager | undefined {
    if (config['remote.storage.s3.bucket'] === undefined) return undefined;
    return new TierManager(config, engine, logDir, logger.child({ component: 'tier' }), options);
  }

  /**
   * Start-up, before partitions open: checks conditional writes, re-creates topics known to the
   * bucket but missing locally (empty data dir), and loads manifests of remote-enabled topics.
   */
  async start(metadata: MetadataStore, remoteEnabled: (topic: TopicRecord) => boolean): Promise<void> {
    try {
      await this.store.checkConditionalWrites(this.prefix);
    } catch (err) {
      // Object storage unreachable: with local topics the broker starts degraded (produce and
      // local fetch work; manifests load and uploads start once the store answers). With an
      // empty data dir it must not start: it could not tell where the remote logs end.
      if (!(err instanceof TierError && err.code === TierErrorCode.UNAVAILABLE) || metadata.topicNames().length === 0) throw err;
      this.logger.error({ err: describeError(err) }, 'object storage unreachable at start-up; starting without it, uploads resume when it answers');
      return;
    }
    const metas = await this.store.list(`${this.prefix}topics/`);
    const byName = new Map<string, TopicMetaObject>();
    for (const o of metas) {
      try {
        const meta = JSON.parse((await this.store.get(o.key)).toString('utf8')) as TopicMetaObject;
        const prev = byName.get(meta.name);
        if (!prev || prev.createdAtMs < meta.createdAtMs) byName.set(meta.name, meta);
      } catch (err) {
        this.logger.warn({ err, key: o.key }, 'unreadable topic metadata object skipped');
      }
    }
    // Topics deleted while their objects could not be removed: never restored; removal retried.
    const deleted = new Set(metadata.deletedTopicIds());
    for (const topicId of deleted) {
      if (await this.removeTopicObjects(topicId)) await metadata.forgetDeletedTopic(topicId);
    }
    for (const meta of byName.values()) {
      if (deleted.has(meta.topicId)) continue;
      const local = metadata.topic(meta.name);
      if (local) continue;
      if (metadata.topicNameById(meta.topicId) !== undefined) continue;
      // False: another broker (shared metadata store) took the name first.
      if (!(await metadata.restoreTopic(meta.name, { topicId: meta.topicId, partitions: meta.partitions, configs: meta.configs, createdAtMs: meta.createdAtMs }))) continue;
      this.logger.info({ topic: meta.name, topicId: meta.topicId, partitions: meta.partitions }, 'topic restored from object storage');
    }
    await Promise.all(
      metadata.topicNames().map(async (name) => {
        const topic = metadata.topic(name)!;
        if (!remoteEnabled(topic)) return;
        for (let p = 0; p < topic.partitions; p++) {
          const state = this.partitionTier(topic.topicId, p);
          state.manifest = await this.manifests.load(topic.topicId, p);
        }
      }),
    );
  }

  /** Periodic upload pass. */
  startUploader(): void {
    this.timer = setInterval(() => void this.tick(), this.config['remote.log.manager.task.interval.ms']);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.store.destroy();
    await this.checksummer.destroy();
  }

  /** Base offset of a new partition directory: the remote log end, when there is one. */
  initialOffset(topicId: string, partition: number): number | undefined {
    const segs = this.partitions.get(partitionId(topicId, partition))?.manifest?.segments;
    return segs && segs.length > 0 ? segs[segs.length - 1]!.endOffset : undefined;
  }

  /**
   * The remote log start offset of a partition, when it has remote segments: never below the
   * log start offset DeleteRecords set, so nothing below that is read from object storage.
   */
  remoteLogStartOffset(key: PartitionId): number | undefined {
    const start = this.partitions.get(key)?.manifest?.segments[0]?.baseOffset;
    if (start === undefined) return undefined;
    return Math.max(start, this.engine.state(key)?.deleteRecordsOffset ?? 0);
  }

  /** The manifest currently known for a partition (tests, tools). */
  manifest(key: PartitionId): Manifest | null {
    return this.partitions.get(key)?.manifest ?? null;
  }

  private partitionTier(topicId: string, partition: number): PartitionTier {
    const key = partitionId(topicId, partition);
    let t = this.partitions.get(key);
    if (!t) this.partitions.set(key, (t = { topicId, partition, manifest: null, busy: false, idle: Promise.resolve(), failures: 0, nextAttemptMs: 0 }));
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // Upload

  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const states = await this.engine.tierState();
      const now = Date.now();
      const work = states.filter((s) => {
        const spec = this.engine.spec(s.key);
        if (!spec || !this.leads(s.key)) return false;
        const t = this.partitionTier(spec.topicId, spec.partition);
        return !t.busy && t.nextAttemptMs <= now;
      });
      // A few partitions at a time; each partition's segments in order.
      const queue = [...work];
      const run = async (): Promise<void> => {
        for (let s = queue.shift(); s !== undefined; s = queue.shift()) await this.servicePartition(s, now);
      };
      await Promise.all(Array.from({ length: Math.min(4, queue.length) }, run));
    } catch (err) {
      this.logger.warn({ err }, 'tier pass failed');
    } finally {
      this.ticking = false;
    }
  }

  private async servicePartition(state: PartitionState, now: number): Promise<void> {
    const spec = this.engine.spec(state.key);
    if (!spec) return;
    const t = this.partitionTier(spec.topicId, spec.partition);
    t.busy = true;
    let done!: () => void;
    t.idle = new Promise((resolve) => (done = resolve));
    try {
      t.manifest ??= await this.manifests.load(spec.topicId, spec.partition);
      for (const seg of state.sealed ?? []) {
        if (this.stopped || this.engine.spec(state.key) !== spec) return;
        await this.uploadSegment(state.key, t, seg);
      }
      await this.applyRemoteRetention(t, spec.config.retentionMs, spec.config.retentionBytes, now);
      t.failures = 0;
    } catch (err) {
      if (this.engine.spec(state.key) !== spec) return; // deleted (or re-created) meanwhile
      t.failures++;
      this.stats.failures++;
      if (err instanceof TierError && err.code === TierErrorCode.CONFLICT) t.manifest = null; // reload: someone else wrote
      const backoff = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(t.failures - 1, 10));
      t.nextAttemptMs = Date.now() + backoff;
      this.logger.warn({ err: describeError(err), partition: state.key, failures: t.failures, backoffMs: backoff }, 'tier upload failed; will retry');
    } finally {
      t.busy = false;
      done();
    }
  }

  /**
   * A partition handed to another broker (src/cluster/partition-handoff.ts), its log sealed:
   * uploads every sealed segment now, retrying while object storage refuses, until none is left
   * — then the bucket holds the whole log. Resolves false when the broker stops first.
   */
  async offloadAll(key: PartitionId): Promise<boolean> {
    const spec = this.engine.spec(key);
    if (!spec) return false;
    const t = this.partitionTier(spec.topicId, spec.partition);
    for (let attempt = 0; !this.stopped; attempt++) {
      while (t.busy) await t.idle;
      const state = (await this.engine.tierState()).find((s) => s.key === key);
      if (state === undefined || (state.sealed ?? []).length === 0) return true;
      t.manifest = await this.manifests.load(spec.topicId, spec.partition).catch(() => t.manifest);
      t.nextAttemptMs = 0;
      await this.servicePartition(state, Date.now());
      if (t.failures > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(OFFLOAD_RETRY_MAX_MS, Math.max(0, t.nextAttemptMs - Date.now()))));
    }
    return false;
  }

  /** Loads a partition's manifest afresh (this broker takes it over: another wrote it meanwhile). */
  async reloadManifest(key: PartitionId): Promise<void> {
    const spec = this.engine.spec(key);
    if (!spec) return;
    const t = this.partitionTier(spec.topicId, spec.partition);
    while (t.busy) await t.idle;
    t.manifest = await this.manifests.load(spec.topicId, spec.partition);
    t.failures = 0;
    t.nextAttemptMs = 0;
  }

  /** The end offset of a partition's remote log as last loaded (undefined: no remote segment). */
  remoteEndOffset(key: PartitionId): number | undefined {
    const segs = this.partitions.get(key)?.manifest?.segments;
    return segs && segs.length > 0 ? segs[segs.length - 1]!.endOffset : undefined;
  }

  private async uploadSegment(key: PartitionId, t: PartitionTier, seg: SealedSegmentInfo): Promise<void> {
    const manifest = t.manifest!;
    const last = manifest.segments[manifest.segments.length - 1];
    const remoteEnd = last ? last.endOffset : -1;
    if (seg.endOffset <= remoteEnd) {
      // Uploaded before (e.g. before a restart): only the worker needs telling.
      await this.engine.markUploaded(key, seg.endOffset);
      return;
    }
    if (seg.baseOffset < remoteEnd) throw new Error(`segment ${seg.baseOffset}-${seg.endOffset} overlaps the remote log ending at ${remoteEnd}`);
    const started = Date.now();
    // A unique suffix per upload: a competing writer never overwrites objects a manifest names.
    const base = `${partitionPrefix(this.prefix, t.topicId, t.partition)}segments/${String(seg.baseOffset).padStart(20, '0')}-${crypto.randomBytes(6).toString('hex')}`;
    const remote = await uploadSegment(this.store, this.checksummer, seg, base);
    try {
      t.manifest = await this.manifests.write(manifest, [...manifest.segments, remote]);
    } catch (err) {
      await this.store.deleteMany([remote.logKey, remote.offsetIndexKey, remote.timeIndexKey]).catch(() => undefined);
      throw err;
    }
    this.stats.uploadedSegments++;
    this.stats.uploadedBytes += seg.sizeBytes;
    this.stats.uploadMs += Date.now() - started;
    this.logger.debug({ partition: key, baseOffset: seg.baseOffset, endOffset: seg.endOffset, bytes: seg.sizeBytes }, 'segment uploaded');
    await this.engine.markUploaded(key, seg.endOffset);
  }

  /** retention.ms / retention.bytes over the remote segments (bytes: remote size only). */
  private async applyRemoteRetention(t: PartitionTier, retentionMs: number, retentionBytes: number, now: number): Promise<void> {
    const manifest = t.manifest!;
    const segs = manifest.segments;
    let count = 0;
    // Segments wholly below the log start offset DeleteRecords set go first.
    const deletedBelow = this.engine.state(partitionId(t.topicId, t.partition))?.deleteRecordsOffset ?? 0;
    while (count < segs.length && segs[count]!.endOffset <= deletedBelow) count++;
    if (retentionMs >= 0) while (count < segs.length && now - segs[count]!.maxTimestamp > retentionMs) count++;
    if (retentionBytes >= 0) {
      let size = segs.slice(count).reduce((n, s) => n + s.sizeBytes, 0);
      while (count < segs.length && size - segs[count]!.sizeBytes >= retentionBytes) size -= segs[count++]!.sizeBytes;
    }
    if (count === 0) return;
    const doomed = segs.slice(0, count);
    t.manifest = await this.manifests.write(manifest, segs.slice(count));
    await this.store.deleteMany(doomed.flatMap((s) => [s.logKey, s.offsetIndexKey, s.timeIndexKey])).catch(() => undefined);
    this.logger.info({ topicId: t.topicId, partition: t.partition, segments: count }, 'remote retention deleted segments');
  }

  // -------------------------------------------------------------------------------------------
  // Read

  /**
   * Serves, from object storage, the fetches that the local log answered OFFSET_OUT_OF_RANGE
   * for because they are below its start; reports the true (remote) log start everywhere.
   */
  async fillFetch(reads: ReadRequestItem[], results: ReadOutcome[]): Promise<void> {
    await Promise.all(
      results.map(async (r, i) => {
        const remoteStart = this.remoteLogStartOffset(r.key);
        if (remoteStart === undefined) return;
        if (r.logStartOffset > remoteStart) r.logStartOffset = remoteStart;
        const read = reads[i]!;
        if (r.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE || read.fetchOffset < remoteStart || read.fetchOffset >= r.highWatermark) return;
        try {
          const records = await this.read(r.key, read.fetchOffset, read.maxBytes, read.minOneBatch);
          if (records === null) return;
          r.errorCode = ErrorCode.NONE;
          r.records = records.length > 0 ? records : null;
        } catch (err) {
          if (err instanceof TierError && err.code === TierErrorCode.CORRUPT) {
            this.stats.corruptReads++;
            this.logger.error(
              { err: describeError(err), object: err.objectKey, partition: r.key, fetchOffset: read.fetchOffset },
              'remote segment object failed its CRC-32C check; fetch answered KAFKA_STORAGE_ERROR',
            );
          } else {
            this.logger.warn({ err: describeError(err), partition: r.key }, 'remote read failed');
          }
          r.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
          r.records = null;
        }
      }),
    );
  }

  /** Whole batches from the remote segment holding fetchOffset; null when no remote segment does. */
  async read(key: PartitionId, fetchOffset: number, maxBytes: number, minOneBatch: boolean): Promise<Buffer | null> {
    const segs = this.partitions.get(key)?.manifest?.segments;
    const segIndex = segs ? segs.findIndex((s) => s.baseOffset <= fetchOffset && fetchOffset < s.endOffset) : -1;
    if (!segs || segIndex < 0) return null;
    const seg = segs[segIndex]!;
    this.stats.remoteReads++;
    // A sequential consumer enters each segment at its base offset: no index needed there.
    const expected = this.expectedChunks(seg);
    let pos = fetchOffset === seg.baseOffset ? 0 : lookupOffsetIndex(await this.offsetIndex(seg), seg.baseOffset, fetchOffset);
    const out: Buffer[] = [];
    let total = 0;
    while (pos + BATCH_OFFSETS_PREFIX_BYTES <= seg.sizeBytes) {
      const header = await this.cache.read(seg.logKey, seg.sizeBytes, pos, pos + BATCH_OFFSETS_PREFIX_BYTES, expected);
      const frame = readBatchFrame(header, 0, pos, seg.sizeBytes);
      if (frame === null) throw new Error(`corrupt remote segment ${seg.logKey} at ${pos}`);
      if (frame.lastOffset >= fetchOffset) {
        if (total + frame.size > maxBytes && (total > 0 || !minOneBatch)) break;
        out.push(await this.cache.read(seg.logKey, seg.sizeBytes, pos, pos + frame.size, expected));
        total += frame.size;
      }
      pos += frame.size;
    }
    // Read-ahead for sequential consumers: the next chunks of this segment, or the next segment's first.
    const current = Math.floor(pos / CHUNK_BYTES);
    for (let i = 0; i <= READ_AHEAD_CHUNKS; i++) this.cache.prefetch(seg.logKey, seg.sizeBytes, current + i, expected);
    const next = segs[segIndex + 1];
    const chunksLeft = Math.ceil((seg.sizeBytes - pos) / CHUNK_BYTES);
    if (next) for (let i = 0; i < READ_AHEAD_CHUNKS - chunksLeft; i++) this.cache.prefetch(next.logKey, next.sizeBytes, i, this.expectedChunks(next));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /**
   * The last offloaded batches below `end`, about `maxBytes` of them (whole batches, oldest
   * first, from the segment boundary reached going back): what a rebuild replays into the
   * idempotent-producer state (partition-handoff.ts). Empty when nothing is offloaded.
   */
  async tailBatches(key: PartitionId, end: number, maxBytes: number): Promise<Buffer> {
    const segs = (this.partitions.get(key)?.manifest?.segments ?? []).filter((s) => s.baseOffset < end);
    let first = segs.length;
    for (let bytes = 0; first > 0 && bytes < maxBytes; ) bytes += segs[--first]!.sizeBytes;
    const out: Buffer[] = [];
    for (let offset = segs[first]?.baseOffset ?? end; offset < end; ) {
      const chunk = await this.read(key, offset, 1024 * 1024, true);
      if (chunk === null || chunk.length === 0) break;
      out.push(chunk);
      let pos = 0;
      let next = offset;
      while (pos + LOG_OVERHEAD <= chunk.length) {
        next = readLastOffset(chunk, pos) + 1;
        pos += readBatchSize(chunk, pos);
      }
      if (next <= offset) break;
      offset = next;
    }
    return Buffer.concat(out);
  }

  /**
   * ListOffsets by timestamp over remote segments below localStartOffset: the first record
   * whose timestamp >= target (time index → offset index → batch walk → record scan), or null
   * when no remote segment below the local log has one (the local log answers then).
   */
  async offsetForTimestamp(key: PartitionId, target: number, localStartOffset: number): Promise<{ offset: number; timestamp: number } | null> {
    const segs = this.partitions.get(key)?.manifest?.segments ?? [];
    // Records below the log start offset DeleteRecords set are never answered.
    const floor = this.engine.state(key)?.deleteRecordsOffset ?? 0;
    for (const seg of segs) {
      if (seg.baseOffset >= localStartOffset) break;
      if (seg.endOffset <= floor || seg.maxTimestamp < target) continue;
      const expected = this.expectedChunks(seg);
      const fromOffset = Math.max(lookupTimeIndex(await this.cachedObject(seg.timeIndexKey, seg.checksums?.timeIndex), seg.baseOffset, target), floor);
      let pos = lookupOffsetIndex(await this.offsetIndex(seg), seg.baseOffset, fromOffset);
      while (pos + BATCH_TIMESTAMP_PREFIX_BYTES <= seg.sizeBytes) {
        const header = await this.cache.read(seg.logKey, seg.sizeBytes, pos, pos + BATCH_TIMESTAMP_PREFIX_BYTES, expected);
        const frame = readBatchFrame(header, 0, pos, seg.sizeBytes);
        if (frame === null) throw new Error(`corrupt remote segment ${seg.logKey} at ${pos}`);
        const size = frame.size;
        const maxTimestamp = readMaxTimestamp(header, 0);
        if (maxTimestamp >= target && frame.lastOffset >= floor) {
          const batch = await this.cache.read(seg.logKey, seg.sizeBytes, pos, pos + size, expected);
          let record: { offset: number; timestamp: number } | null;
          try {
            record = findRecordByTimestamp(batch, 0, target, floor);
          } catch {
            // Records not decodable here (zstd before codecsReady() on this thread, corruption): the batch's base offset.
            record = { offset: Math.max(readBaseOffset(header, 0), floor), timestamp: maxTimestamp };
          }
          if (record !== null) return record;
        }
        pos += size;
      }
    }
    return null;
  }

  /** A small object (an index), fetched whole once and checked against its CRC-32C when known. */
  private async cachedObject(key: string, expectedCrc: number | undefined): Promise<Buffer> {
    const hit = this.indexCache.get(key);
    if (hit) return hit;
    const data = await this.store.get(key);
    const bad = expectedCrc === undefined ? null : checkObject(data, expectedCrc);
    if (bad !== null) throw new TierError(TierErrorCode.CORRUPT, `object ${key}: ${bad}`, key);
    this.indexCache.set(key, data);
    while (this.indexCache.size > 256) this.indexCache.delete(this.indexCache.keys().next().value!);
    return data;
  }

  private offsetIndex(seg: RemoteSegment): Promise<Buffer> {
    return this.cachedObject(seg.offsetIndexKey, seg.checksums?.offsetIndex);
  }

  /**
   * The per-chunk CRCs to verify this segment's chunks against: none for segments uploaded
   * under manifest v1, or whose chunks were checksummed at another chunk size than the cache reads.
   */
  private expectedChunks(seg: RemoteSegment): ChunkChecksums | undefined {
    let sums = this.chunkChecksums.get(seg);
    if (sums === undefined) {
      const c = seg.checksums;
      sums = c && c.chunkBytes === CHUNK_BYTES ? { chunkBytes: c.chunkBytes, crcs: decodeChunkCrcs(c.chunks) } : null;
      if (c && sums === null) this.logger.warn({ object: seg.logKey, chunkBytes: c.chunkBytes }, 'remote segment checksummed at another chunk size; its chunks are served unverified');
      this.chunkChecksums.set(seg, sums);
    }
    return sums ?? undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Topic lifecycle

  /** Records (or updates) a topic's metadata object, so an empty data dir can rebuild it. */
  async topicChanged(name: string, topic: TopicRecord): Promise<void> {
    const meta: TopicMetaObject = { v: 1, name, topicId: topic.topicId, partitions: topic.partitions, configs: topic.configs, createdAtMs: topic.createdAtMs };
    try {
      await this.store.put(`${this.prefix}topics/${topic.topicId}.json`, Buffer.from(JSON.stringify(meta)), { contentType: 'application/json' });
    } catch (err) {
      this.logger.warn({ err: describeError(err), topic: name }, 'writing topic metadata object failed');
    }
  }

  /** Removes every object of a deleted topic. */
  /** Removes every object of a deleted topic; false when some may remain (logged). */
  async topicDeleted(name: string, topic: TopicRecord): Promise<boolean> {
    for (let p = 0; p < topic.partitions; p++) this.partitions.delete(partitionId(topic.topicId, p));
    return this.removeTopicObjects(topic.topicId, name);
  }

  private async removeTopicObjects(topicId: string, name?: string): Promise<boolean> {
    try {
      await this.store.deleteMany([`${this.prefix}topics/${topicId}.json`]);
      const keys = (await this.store.list(`${this.prefix}${topicId}/`)).map((o) => o.key);
      await this.store.deleteMany(keys);
      this.cache.forget();
      this.logger.info({ topic: name, topicId, objects: keys.length }, 'remote objects of deleted topic removed');
      return true;
    } catch (err) {
      this.logger.warn({ err: describeError(err), topic: name, topicId }, 'removing remote objects of deleted topic failed; retried at the next start');
      return false;
    }
  }
}
