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
 * One outcome per read, index-aligned. Records beyond the response budget are dropped (records
 * null): the first partition with data in budget order always keeps its batches, as Kafka
 * guarantees progress. When max.wait.ms passes the last read is the answer, or, when every
 * partition was caught up and not read, offsets from the engine's cache. An engine failure answers every partition with its Kafka code.
 */
export async function readForFetch(ctx: RequestContext, set: FetchReadSet, limits: FetchReadLimits): Promise<ReadOutcome[]> {
  const { broker } = ctx;
  const engine = broker.engine;
  const { reads, keys } = set;
  const n = reads.length;
  const deadline = Date.now() + Math.max(0, limits.maxWaitMs);
  /** High watermark each partition had when last read: an append racing the read wakes us. */
  const seen = new Array<number>(n);
  for (let i = 0; i < n; i++) seen[i] = engine.state(keys[i]!)?.highWatermark ?? -1;
  /** The last read's outcomes (fewer than min.bytes): the answer if max.wait.ms passes. */
  let last: ReadOutcome[] | null = null;
  for (;;) {
    // Skip the worker round trip while every partition is known to be caught up.
    let caughtUp = limits.minBytes > 0;
    for (let i = 0; caughtUp && i < n; i++) caughtUp = engine.state(keys[i]!)?.highWatermark === reads[i]!.fetchOffset;
    if (!caughtUp) {
      let results: ReadOutcome[];
      try {
        results = await engine.read(reads);
        // Offsets below the local log start: from object storage (async; local reads never wait on it).
        if (broker.tier) await broker.tier.fillFetch(reads, results);
      } catch (err) {
        const code = toKafkaErrorCode(err);
        logRequestFailure(ctx, err, code, { partitions: n });
        const failed = new Array<ReadOutcome>(n);
        for (let i = 0; i < n; i++) failed[i] = fromState(ctx, keys[i]!, code);
        return failed;
      }
      let budget = limits.responseMaxBytes;
      let total = 0;
      let anyData = false;
      let anyError = false;
      const start = n === 0 ? 0 : limits.budgetStart % n;
      for (let j = 0; j < n; j++) {
        const i = start + j < n ? start + j : start + j - n;
        const r = results[i]!;
        seen[i] = r.highWatermark;
        if (r.errorCode !== ErrorCode.NONE) anyError = true;
        const records = r.records;
        if (records && records.length > 0 && (!anyData || records.length <= budget)) {
          budget -= records.length;
          total += records.length;
          anyData = true;
        } else r.records = null;
      }
      if (total >= limits.minBytes || anyError) return results;
      last = results;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || broker.shuttingDown || ctx.conn.closed) {
      if (!caughtUp && last) return last;
      // A caught-up partition was never read: its offsets come from the engine's cache.
      const out = new Array<ReadOutcome>(n);
      for (let i = 0; i < n; i++) out[i] = fromState(ctx, keys[i]!, ErrorCode.NONE);
      return out;
    }
    let moved = false;
    for (let i = 0; i < n; i++) {
      const hwm = engine.state(keys[i]!)?.highWatermark ?? -1;
      if (hwm !== seen[i]) {
        moved = true;
        seen[i] = hwm;
      }
    }
    if (moved) continue;
    await engine.waitForAppend(keys, remaining).promise;
  }
}
