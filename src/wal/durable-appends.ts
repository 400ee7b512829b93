// Thread: main. The produce path's side of the write-ahead objects: which partitions are
// durable through the bucket, and what a produce answers once their batches are (or are not)
// stored. The produce handler (src/router/handlers/00-produce.ts) asks `durableIndexes` before
// appending (refusing them while the writer is overloaded), appends, then hands the appended
// batches to `afterAppend`, which waits for acks=all and rewrites the answers of batches that
// were fenced or not stored in time.
import type { PartitionId } from '../ipc/partition-id.js';
import type { AppendItemResult } from '../ipc/tasks.js';
import type { AppendRequestItem } from '../partitions/partition-engine.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import { batchOffsets } from './wal-format.js';
import type { WalOutcome, WalPart, WalWriter } from './wal-writer.js';

/** What the produce handler needs of the broker's write-ahead objects. */
export interface Durability {
  readonly writer: WalWriter;
  /** Whether appends to this partition go to write-ahead objects (a remote-storage topic). */
  covers(id: PartitionId): boolean;
  /** The leader epoch this broker leads the partition with (-1: not led here). */
  epochOf(id: PartitionId): number;
}

/** Rewrites a partition's answer when its batches are not durable: kept unless stored and still led here. */
export interface DurableAnswer {
  errorCode: number;
  errorMessage: string;
}

const ANSWERS: Record<Exclude<WalOutcome, 'durable'>, DurableAnswer> = {
  fenced: { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: 'This broker no longer leads the partition (it moved while the batch was being stored): refresh metadata and retry.' },
  timeout: { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'The batch was written locally but object storage did not store it within wal.ack.timeout.ms: retry.' },
};

export const OVERLOADED: DurableAnswer = {
  errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
  errorMessage: 'Object storage is behind (wal.max.pending.bytes not yet stored): nothing was written; retry.',
};

/**
 * After a successful local append: adds the batches of durable partitions to the write-ahead
 * objects; for acks=all, waits and answers per item (undefined = keep the append's answer).
 */
export async function afterAppend(durability: Durability, acks: number, items: readonly AppendRequestItem[], results: readonly AppendItemResult[]): Promise<Array<DurableAnswer | undefined>> {
  const parts: WalPart[] = [];
  const partOf: number[] = [];
  const duplicates: Array<{ i: number; p: PartitionId; e: number; l: number }> = [];
  results.forEach((r, i) => {
    if (r.errorCode !== ErrorCode.NONE || !durability.covers(r.key)) return;
    const records = items[i]!.records;
    const { b, l } = batchOffsets(records);
    if (b < 0) return;
    // A retried batch the log already holds (at r.baseOffset): acknowledged once its original
    // is committed with nothing missing before it — not merely written (its commit may have
    // been refused; the writer then stores it again).
    if (r.written !== true) {
      duplicates.push({ i, p: r.key, e: durability.epochOf(r.key), l: r.baseOffset + (l - b) });
      return;
    }
    parts.push({ p: r.key, e: durability.epochOf(r.key), b, l, records });
    partOf.push(i);
  });
  const answers = new Array<DurableAnswer | undefined>(results.length);
  if (parts.length === 0 && duplicates.length === 0) return answers;
  const pending = durability.writer.append(parts);
  if (acks !== -1) {
    void pending; // acks=0/1: answered after the local write; the object follows
    return answers;
  }
  const [outcomes, dupOutcomes] = await Promise.all([pending, Promise.all(duplicates.map((d) => durability.writer.durableThrough(d.p, d.e, d.l)))]);
  outcomes.forEach((o, j) => {
    if (o !== 'durable') answers[partOf[j]!] = ANSWERS[o];
  });
  dupOutcomes.forEach((o, j) => {
    if (o !== 'durable') answers[duplicates[j]!.i] = ANSWERS[o];
  });
  return answers;
}
