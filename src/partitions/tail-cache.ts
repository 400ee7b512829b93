// Thread: main. The newest record batches of each partition, exactly as written to its log
// (the worker hands each append's buffer back after rewriting offsets in place). A consumer
// that keeps up with producers is served from here without a round trip to the partition's
// worker thread. Bounded in total bytes and per partition; partitions that were appended to
// least recently are evicted first. The total bound counts the memory really held: cached runs
// are views into the ArrayBuffer a worker handed back (one per append task, which may hold many
// partitions' batches), so each backing buffer counts once, in full, while any run still views it;
// a tiny run can never keep a large task buffer alive unaccounted. Only ever holds a contiguous run of offsets per partition
// ending at the partition's high watermark, so a hit is always exactly what the log holds.
import type { PartitionId } from '../ipc/partition-id.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD } from '../protocol/record-batch.js';

/**
 * The cached runs of one partition, oldest first, as parallel arrays with a moving head: run i
 * (head <= i < bases.length) holds offsets bases[i] .. (bases[i+1] or nextOffset) - 1. Evicting
 * the oldest run only moves the head (and lets go of its bytes); the dead prefix is cut off in one
 * splice once it is at least half the arrays, so eviction costs O(1) amortised however many tiny
 * runs are held (shift() on a long array is a memmove per eviction).
 */
interface PartitionTail {
  bases: number[];
  /** undefined below head: evicted runs release their bytes at once, not at compaction. */
  buffers: Array<Buffer | undefined>;
  head: number;
  /** Offset after the newest run's last record. */
  nextOffset: number;
  bytes: number;
}

/** A dead prefix shorter than this is never compacted (one splice per ~COMPACT_MIN evictions). */
const COMPACT_MIN = 64;

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
  /** Bytes of the backing ArrayBuffers the cached runs keep alive. */
  private totalBytes = 0;
  /** How many cached runs view each backing ArrayBuffer. */
  private readonly backings = new Map<ArrayBufferLike, number>();
  hits = 0;
  misses = 0;

  constructor(private readonly opts: TailCacheOptions) {}

  /** Memory held: every backing buffer a cached run views, counted once. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Records whole batches just written at baseOffset..nextOffset-1. */
  append(key: PartitionId, baseOffset: number, written: Buffer): void {
    let bytes = written;
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
    if (tail && tail.nextOffset !== baseOffset) {
      // Not contiguous (an earlier append is answered later, e.g. acks=all behind acks=1): restart.
      this.drop(key);
      tail = undefined;
    }
    if (!tail) tail = { bases: [], buffers: [], head: 0, nextOffset, bytes: 0 };
    else this.partitions.delete(key);
    this.partitions.set(key, tail); // most recently appended last: Map order is the LRU order
    if (bytes.buffer.byteLength > this.opts.maxBytesPerPartition && !this.backings.has(bytes.buffer)) {
      // A view into a task buffer larger than a partition may hold: keep a copy, not the buffer.
      const copy = Buffer.allocUnsafeSlow(bytes.length);
      bytes.copy(copy);
      bytes = copy;
    }
    tail.bases.push(baseOffset);
    tail.buffers.push(bytes);
    tail.nextOffset = nextOffset;
    tail.bytes += bytes.length;
    this.retain(bytes);
    while (tail.bytes > this.opts.maxBytesPerPartition) this.evictOldestRun(key, tail);
    while (this.totalBytes > this.opts.maxBytes && this.partitions.size > 0) {
      const oldestKey = this.partitions.keys().next().value as PartitionId;
      this.evictOldestRun(oldestKey, this.partitions.get(oldestKey)!);
    }
  }

  /**
   * Whole batches from the one containing fetchOffset, up to maxBytes (at least one batch when
   * minOneBatch), or null when the cache cannot answer for that offset.
   */
  read(key: PartitionId, fetchOffset: number, maxBytes: number, minOneBatch: boolean): Buffer | null {
    const tail = this.partitions.get(key);
    if (!tail || fetchOffset < tail.bases[tail.head]! || fetchOffset >= tail.nextOffset) {
      this.misses++;
      return null;
    }
    const runIndex = runContaining(tail, fetchOffset);
    const runs = tail.buffers;
    const pieces: Buffer[] = [];
    let budget = maxBytes;
    let total = 0;
    let first = true;
    for (let i = runIndex; i < runs.length && budget > 0; i++) {
      const bytes = runs[i]!;
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
    // Each run is released once, when evicted or dropped: O(1) amortised per append.
    for (let i = tail.head; i < tail.buffers.length; i++) this.release(tail.buffers[i]!);
    this.partitions.delete(key);
  }

  private retain(run: Buffer): void {
    const backing = run.buffer;
    if (run.length === backing.byteLength) {
      this.totalBytes += run.length; // the whole buffer: no other run can share it
      return;
    }
    const views = this.backings.get(backing);
    if (views === undefined) {
      this.backings.set(backing, 1);
      this.totalBytes += backing.byteLength;
    } else this.backings.set(backing, views + 1);
  }

  private release(run: Buffer): void {
    const backing = run.buffer;
    if (run.length === backing.byteLength) {
      this.totalBytes -= run.length;
      return;
    }
    const views = this.backings.get(backing)!;
    if (views > 1) this.backings.set(backing, views - 1);
    else {
      this.backings.delete(backing);
      this.totalBytes -= backing.byteLength;
    }
  }

  private evictOldestRun(key: PartitionId, tail: PartitionTail): void {
    const run = tail.buffers[tail.head]!;
    tail.buffers[tail.head] = undefined;
    tail.head++;
    tail.bytes -= run.length;
    this.release(run);
    if (tail.head === tail.buffers.length) {
      this.partitions.delete(key);
      return;
    }
    if (tail.head >= COMPACT_MIN && tail.head * 2 >= tail.buffers.length) {
      tail.bases.splice(0, tail.head);
      tail.buffers.splice(0, tail.head);
      tail.head = 0;
    }
  }
}

/** Index of the newest run whose base offset is at or below offset (binary search; offset is cached). */
function runContaining(tail: PartitionTail, offset: number): number {
  let low = tail.head;
  let high = tail.bases.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (tail.bases[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}
