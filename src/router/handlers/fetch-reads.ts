// Thread: main. Fetch's read-and-long-poll loop over one set of partitions, shared by the
// sessionless and the session (KIP-227) paths of handlers/01-fetch.ts: reads every partition,
// keeps whole batches within the response's max.bytes, and when less than min.bytes came back
// parks until an append moves one of the partitions' high watermark or max.wait.ms passes.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import type { PartitionId } from '../../ipc/partition-id.js';
import type { ReadOutcome, ReadRequestItem } from '../../partitions/partition-engine.js';
import { toKafkaErrorCode } from '../../errors.js';
import { logRequestFailure } from '../failure-log.js';
import type { RequestContext } from './types.js';

export interface FetchReadSet {
  /** Read items (fetch offset, max bytes); the engine gets this array as it is. */
  reads: ReadRequestItem[];
  /** Index-aligned with reads: the ids a long poll waits on. */
  keys: PartitionId[];
}

export interface FetchReadLimits {
  minBytes: number;
  maxWaitMs: number;
  /** The request's max.bytes (already clamped to >= 0). */
  responseMaxBytes: number;
  /**
   * Index where the response byte budget starts, wrapping (sessions rotate it so that a large
   * partition cannot starve the ones after it); 0 for a sessionless fetch.
   */
  budgetStart: number;
}

/** A partition answered from the engine's cached offsets, without a read. */
function fromState(ctx: RequestContext, key: PartitionId, errorCode: number): ReadOutcome {
  const s = ctx.broker.engine.state(key);
  return {
    key,
    errorCode,
    highWatermark: s?.highWatermark ?? -1,
    lastStableOffset: s?.lastStableOffset ?? -1,
    logStartOffset: s?.logStartOffset ?? -1,
    records: null,
  };
}

/**
 * One outcome per read, index-aligned. A partition whose fetch offset is its high watermark has
 * nothing to return and is not read: its answer is the engine's cached offsets, taken before the
 * other partitions' read so that an append racing that read still wakes the long poll (the tail
 * cache cannot answer a read at the high watermark: each would be a worker round trip, and a
 * consumer of many partitions at the tail has most of them there). Records beyond the response
 * budget are dropped (records null): the first partition with data in budget order always keeps
 * its batches, as Kafka guarantees progress. When max.wait.ms passes the last answer stands.
 * An engine failure answers every partition with its Kafka code.
 */
export async function readForFetch(ctx: RequestContext, set: FetchReadSet, limits: FetchReadLimits): Promise<ReadOutcome[]> {
  const { broker } = ctx;
  const engine = broker.engine;
  const { reads, keys } = set;
  const n = reads.length;
  const deadline = Date.now() + Math.max(0, limits.maxWaitMs);
  /** High watermark each partition had when last answered: an append after that wakes us. */
  const seen = new Array<number>(n);
  for (;;) {
    let out = new Array<ReadOutcome>(n);
    let pending: ReadRequestItem[] | null = null;
    let pendingAt: number[] | null = null;
    for (let i = 0; i < n; i++) {
      const read = reads[i]!;
      const state = engine.state(keys[i]!);
      if (state !== undefined && state.highWatermark === read.fetchOffset) {
        out[i] = { key: read.key, errorCode: ErrorCode.NONE, highWatermark: state.highWatermark, lastStableOffset: state.lastStableOffset, logStartOffset: state.logStartOffset, records: null };
      } else {
        (pending ??= []).push(read);
        (pendingAt ??= []).push(i);
      }
    }
    if (pending !== null) {
      const all = pending.length === n;
      const items = all ? reads : pending;
      let results: ReadOutcome[];
      try {
        results = await engine.read(items);
        // Offsets below the local log start: from object storage (async; local reads never wait on it).
        if (broker.tier) await broker.tier.fillFetch(items, results);
      } catch (err) {
        const code = toKafkaErrorCode(err);
        logRequestFailure(ctx, err, code, { partitions: n });
        const failed = new Array<ReadOutcome>(n);
        for (let i = 0; i < n; i++) failed[i] = fromState(ctx, keys[i]!, code);
        return failed;
      }
      if (all) out = results;
      else for (let j = 0; j < results.length; j++) out[pendingAt![j]!] = results[j]!;
    }
    let budget = limits.responseMaxBytes;
    let total = 0;
    let anyData = false;
    let anyError = false;
    const start = n === 0 ? 0 : limits.budgetStart % n;
    for (let j = 0; j < n; j++) {
      const i = start + j < n ? start + j : start + j - n;
      const r = out[i]!;
      seen[i] = r.highWatermark;
      if (r.errorCode !== ErrorCode.NONE) anyError = true;
      const records = r.records;
      if (records && records.length > 0 && (!anyData || records.length <= budget)) {
        budget -= records.length;
        total += records.length;
        anyData = true;
      } else r.records = null;
    }
    if (total >= limits.minBytes || anyError) return out;
    const remaining = deadline - Date.now();
    if (remaining <= 0 || broker.shuttingDown || ctx.conn.closed) return out;
    let moved = false;
    for (let i = 0; i < n && !moved; i++) moved = (engine.state(keys[i]!)?.highWatermark ?? -1) !== seen[i];
    if (moved) continue;
    await engine.waitForAppend(keys, remaining).promise;
  }
}
