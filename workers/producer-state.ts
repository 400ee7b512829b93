// Thread: worker. Idempotent-producer state of one partition (Kafka's ProducerStateManager,
// 3.x semantics): per producerId the current epoch and the last 5 batches' sequence ranges.
//   - duplicate of a retained batch (same epoch, same first/last sequence) -> the original offsets
//   - epoch older than the current one                -> INVALID_PRODUCER_EPOCH (47)
//   - newer epoch must start at sequence 0            -> else OUT_OF_ORDER_SEQUENCE_NUMBER (45)
//   - same epoch must continue at lastSeq + 1 (wrapping INT32_MAX -> 0) -> else 45
//   - unknown producer: accepted at ANY sequence. This is Kafka 3.x behaviour after KIP-360:
//     a producer whose state was removed (retention, restart without snapshot) is not rejected
//     with UNKNOWN_PRODUCER_ID / 45; the broker starts tracking it from this batch.
//
// Snapshot file `<20-digit offset>.snapshot` (offset = log end offset the state covers), our
// own big-endian format:
//   magic "STPS" (4) | version int16 = 1 | crc32c uint32 of every byte after this field |
//   producerCount int32 | producerCount x (
//     producerId int64 | producerEpoch int16 | lastTimestamp int64 | batchCount int8 |
//     batchCount x (firstSeq int32 | lastSeq int32 | firstOffset int64 | lastOffset int64) )
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '../src/protocol/crc32c.js';
import {
  NO_SEQUENCE,
  lastSequenceOf,
  readInt64,
  writeInt64,
  type BatchInfo,
} from '../src/protocol/record-batch.js';
import type { StrataErrorCode } from '../src/errors.js';
import { offsetFileName, parseOffsetFileName } from './segment.js';

export const NUM_BATCHES_TO_RETAIN = 5;
export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_MAGIC = 0x53545053; // "STPS"
const SNAPSHOT_VERSION = 1;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  lastTimestamp: number;
  /** Oldest first; at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
}

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number }
  | { kind: 'error'; code: StrataErrorCode; message: string };

const APPEND: SequenceVerdict = { kind: 'append' };

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

function cloneEntry(e: ProducerEntry): ProducerEntry {
  return { producerId: e.producerId, producerEpoch: e.producerEpoch, lastTimestamp: e.lastTimestamp, batches: e.batches.slice() };
}

function recordBatch(entry: ProducerEntry, info: BatchInfo, firstOffset: number): void {
  if (entry.producerEpoch !== info.producerEpoch) {
    entry.producerEpoch = info.producerEpoch;
    entry.batches = [];
  }
  entry.batches.push({
    firstSeq: info.baseSequence,
    lastSeq: lastSequenceOf(info),
    firstOffset,
    lastOffset: firstOffset + info.lastOffsetDelta,
  });
  if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
  if (info.maxTimestamp > entry.lastTimestamp) entry.lastTimestamp = info.maxTimestamp;
}

/** Checks of one request's batches against the state, staged until commit (nothing-or-all). */
export class ProducerAppend {
  private readonly staged = new Map<number, ProducerEntry>();

  constructor(private readonly state: ProducerStateManager) {}

  private current(producerId: number): ProducerEntry | undefined {
    return this.staged.get(producerId) ?? this.state.get(producerId);
  }

  check(info: BatchInfo, partition: string): SequenceVerdict {
    const pid = info.producerId;
    if (pid < 0) return APPEND;
    const entry = this.current(pid);
    if (entry === undefined) return APPEND;
    const epoch = info.producerEpoch;
    const firstSeq = info.baseSequence;
    if (epoch === entry.producerEpoch) {
      const lastSeq = lastSequenceOf(info);
      for (const b of entry.batches) {
        if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) {
          return { kind: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset };
        }
      }
    }
    if (epoch < entry.producerEpoch) {
      return {
        kind: 'error',
        code: 'STRATA_ERR_INVALID_PRODUCER_EPOCH',
        message: `epoch of producer ${pid} in ${partition} is ${epoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`,
      };
    }
    if (epoch !== entry.producerEpoch) {
      if (firstSeq !== 0) {
        return {
          kind: 'error',
          code: 'STRATA_ERR_OUT_OF_ORDER_SEQUENCE',
          message: `invalid sequence number for new epoch of producer ${pid} in ${partition}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${entry.producerEpoch} (current producer epoch)`,
        };
      }
      return APPEND;
    }
    const lastSeq = entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSeq : NO_SEQUENCE;
    if (!inSequence(lastSeq, firstSeq)) {
      return {
        kind: 'error',
        code: 'STRATA_ERR_OUT_OF_ORDER_SEQUENCE',
        message: `out of order sequence number for producer ${pid} in ${partition}: ${firstSeq} (incoming seq. number), ${lastSeq} (current end sequence number)`,
      };
    }
    return APPEND;
  }

  /** Stages an accepted batch written at firstOffset. */
  record(info: BatchInfo, firstOffset: number): void {
    const pid = info.producerId;
    if (pid < 0) return;
    let entry = this.staged.get(pid);
    if (entry === undefined) {
      const existing = this.state.get(pid);
      entry = existing !== undefined ? cloneEntry(existing) : { producerId: pid, producerEpoch: info.producerEpoch, lastTimestamp: -1, batches: [] };
      this.staged.set(pid, entry);
    }
    recordBatch(entry, info, firstOffset);
  }

  commit(): void {
    for (const [pid, entry] of this.staged) this.state.set(pid, entry);
  }
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  get(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  set(producerId: number, entry: ProducerEntry): void {
    this.producers.set(producerId, entry);
  }

  get size(): number {
    return this.producers.size;
  }

  /** Every tracked producer (DescribeProducers); read-only use. */
  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  begin(): ProducerAppend {
    return new ProducerAppend(this);
  }

  /** Recovery: applies a batch already in the log, without validation. */
  replay(info: BatchInfo, firstOffset: number): void {
    const pid = info.producerId;
    if (pid < 0) return;
    let entry = this.producers.get(pid);
    if (entry === undefined) {
      entry = { producerId: pid, producerEpoch: info.producerEpoch, lastTimestamp: -1, batches: [] };
      this.producers.set(pid, entry);
    }
    recordBatch(entry, info, firstOffset);
  }

  /** Forgets producers whose last batch is below the log start (Kafka evictUnretainedProducers). */
  evictBelow(logStartOffset: number): void {
    for (const [pid, entry] of this.producers) {
      const last = entry.batches[entry.batches.length - 1];
      if (last === undefined || last.lastOffset < logStartOffset) this.producers.delete(pid);
    }
  }

  clear(): void {
    this.producers.clear();
  }

  serialize(): Buffer {
    let size = 4 + 2 + 4 + 4;
    for (const e of this.producers.values()) size += 8 + 2 + 8 + 1 + e.batches.length * 24;
    const buf = Buffer.alloc(size);
    buf.writeUInt32BE(SNAPSHOT_MAGIC, 0);
    buf.writeInt16BE(SNAPSHOT_VERSION, 4);
    let pos = 10;
    buf.writeInt32BE(this.producers.size, pos);
    pos += 4;
    for (const e of this.producers.values()) {
      writeInt64(buf, pos, e.producerId);
      buf.writeInt16BE(e.producerEpoch, pos + 8);
      writeInt64(buf, pos + 10, e.lastTimestamp);
      buf.writeInt8(e.batches.length, pos + 18);
      pos += 19;
      for (const b of e.batches) {
        buf.writeInt32BE(b.firstSeq, pos);
        buf.writeInt32BE(b.lastSeq, pos + 4);
        writeInt64(buf, pos + 8, b.firstOffset);
        writeInt64(buf, pos + 16, b.lastOffset);
        pos += 24;
      }
    }
    buf.writeUInt32BE(crc32c(buf.subarray(10)), 6);
    return buf;
  }

  /** Replaces the state with a serialized snapshot; false (state untouched) when invalid. */
  load(buf: Buffer): boolean {
    if (buf.length < 14 || buf.readUInt32BE(0) !== SNAPSHOT_MAGIC || buf.readInt16BE(4) !== SNAPSHOT_VERSION) return false;
    if (crc32c(buf.subarray(10)) !== buf.readUInt32BE(6)) return false;
    const entries: ProducerEntry[] = [];
    try {
      const count = buf.readInt32BE(10);
      let pos = 14;
      for (let i = 0; i < count; i++) {
        const entry: ProducerEntry = {
          producerId: readInt64(buf, pos),
          producerEpoch: buf.readInt16BE(pos + 8),
          lastTimestamp: readInt64(buf, pos + 10),
          batches: [],
        };
        const n = buf.readInt8(pos + 18);
        pos += 19;
        for (let j = 0; j < n; j++) {
          entry.batches.push({
            firstSeq: buf.readInt32BE(pos),
            lastSeq: buf.readInt32BE(pos + 4),
            firstOffset: readInt64(buf, pos + 8),
            lastOffset: readInt64(buf, pos + 16),
          });
          pos += 24;
        }
        entries.push(entry);
      }
    } catch {
      return false;
    }
    this.producers.clear();
    for (const e of entries) this.producers.set(e.producerId, e);
    return true;
  }
}

/** Offsets of the snapshot files in dir, ascending. */
export function listSnapshots(names: string[]): number[] {
  const out: number[] = [];
  for (const name of names) {
    const offset = parseOffsetFileName(name, SNAPSHOT_SUFFIX);
    if (offset !== null) out.push(offset);
  }
  return out.sort((a, b) => a - b);
}

export function snapshotPath(dir: string, offset: number): string {
  return path.join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
}

/** Writes a snapshot durably (temp file, fsync, rename) and deletes all but the newest two. */
export async function writeSnapshotFile(dir: string, offset: number, data: Buffer): Promise<void> {
  const final = snapshotPath(dir, offset);
  const tmp = `${final}.tmp`;
  const handle = await fs.promises.open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, final);
  const offsets = listSnapshots(await fs.promises.readdir(dir));
  for (const old of offsets.slice(0, Math.max(0, offsets.length - 2))) {
    await fs.promises.rm(snapshotPath(dir, old), { force: true });
  }
}
