// Thread: main. The newest record batches of each partition, exactly as written to its log
// (the worker hands each append's buffer back after rewriting offsets in place). A consumer
// that keeps up with producers is served from here without a round trip to the partition's
// worker thread. Bounded in total bytes and per partition; partitions that were appended to
// least recently are evicted first. Only ever holds a contiguous run of offsets per partition
// ending at the partition's high watermark, so a hit is always exactly what the log holds.
import type { PartitionId } from '../ipc/partition-id.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD } from '../protocol/record-batch.js';

interface Run {
  baseOffset: number;
  /** Offset after the run's last record. */
  nextOffset: number;
  bytes: Buffer;
}

interface PartitionTail {
  runs: Run[];
  bytes: number;
}

export interface TailCacheOptions {
  maxBytes: number;
  maxBytesPerPartition: number;
}

/** Offset after the last record of the whole batches in bytes, or -1 if they don't parse. */
export function nextOffsetOf(bytes: Buffer): number {
  let position = 0;
  let next = -1;
  while (position + LOG_OVERHEAD <= bytes.length) {
    const size = bytes.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    if (size <= LOG_OVERHEAD || position + size > bytes.length) return -1;
    next = readBaseOffset(bytes, position) + bytes.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET) + 1;
    position += size;
  }
  return position === bytes.length ? next : -1;
}

function readBaseOffset(bytes: Buffer, position: number): number {
  // Offsets stay below 2^53 (see src/ipc/tasks.ts): high word * 2^32 + low word is exact.
  return bytes.readUInt32BE(position) * 0x1_0000_0000 + bytes.readUInt32BE(position + 4);
}

export class TailCache {
  private readonly partitions = new Map<PartitionId, PartitionTail>();
  private totalBytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly opts: TailCacheOptions) {}

  get bytes(): number {
    return this.totalBytes;
  }

  /** Records whole batches just written at baseOffset..nextOffset-1. */
  append(key: PartitionId, baseOffset: number, bytes: Buffer): void {
    if (this.opts.maxBytes <= 0 || bytes.length > this.opts.maxBytesPerPartition) {
      this.drop(key);
      return;
    }
    const nextOffset = nextOffsetOf(bytes);
    if (nextOffset <= baseOffset || readBaseOffset(bytes, 0) !== baseOffset) {
      this.drop(key);
      return;
    }
    let tail = this.partitions.get(key);
    if (tail && tail.runs[tail.runs.length - 1]!.nextOffset !== baseOffset) {
      // Not contiguous (an earlier append is answered later, e.g. acks=all behind acks=1): restart.
      this.drop(key);
      tail = undefined;
    }
    if (!tail) tail = { runs: [], bytes: 0 };
    else this.partitions.delete(key);
    this.partitions.set(key, tail); // most recently appended last
    tail.runs.push({ baseOffset, nextOffset, bytes });
    tail.bytes += bytes.length;
    this.totalBytes += bytes.length;
    while (tail.bytes > this.opts.maxBytesPerPartition) this.evictOldestRun(key, tail);
    while (this.totalBytes > this.opts.maxBytes) {
      const [oldestKey, oldest] = this.partitions.entries().next().value as [PartitionId, PartitionTail];
      this.evictOldestRun(oldestKey, oldest);
    }
  }

  /**
   * Whole batches from the one containing fetchOffset, up to maxBytes (at least one batch when
   * minOneBatch), or null when the cache cannot answer for that offset.
   */
  read(key: PartitionId, fetchOffset: number, maxBytes: number, minOneBatch: boolean): Buffer | null {
    const tail = this.partitions.get(key);
    if (!tail || fetchOffset < tail.runs[0]!.baseOffset || fetchOffset >= tail.runs[tail.runs.length - 1]!.nextOffset) {
      this.misses++;
      return null;
    }
    let runIndex = tail.runs.length - 1;
    while (tail.runs[runIndex]!.baseOffset > fetchOffset) runIndex--;
    const pieces: Buffer[] = [];
    let budget = maxBytes;
    let total = 0;
    let first = true;
    for (let i = runIndex; i < tail.runs.length && budget > 0; i++) {
      const bytes = tail.runs[i]!.bytes;
      let position = 0;
      if (first) {
        // Skip batches that end before fetchOffset.
        while (position < bytes.length) {
          const size = bytes.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
          const last = readBaseOffset(bytes, position) + bytes.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
          if (last >= fetchOffset) break;
          position += size;
        }
      }
      const start = position;
      while (position < bytes.length) {
        const size = bytes.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
        if (size > budget && !(first && minOneBatch && total === 0 && position === start)) break;
        budget -= size;
        position += size;
        total += size;
      }
      first = false;
      if (position > start) pieces.push(bytes.subarray(start, position));
      if (position < bytes.length) break;
    }
    this.hits++;
    if (pieces.length === 0) return Buffer.alloc(0);
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, total);
  }

  drop(key: PartitionId): void {
    const tail = this.partitions.get(key);
    if (!tail) return;
    this.totalBytes -= tail.bytes;
    this.partitions.delete(key);
  }

  private evictOldestRun(key: PartitionId, tail: PartitionTail): void {
    const run = tail.runs.shift()!;
    tail.bytes -= run.bytes.length;
    this.totalBytes -= run.bytes.length;
    if (tail.runs.length === 0) this.partitions.delete(key);
  }
}
