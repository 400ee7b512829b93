// Thread: worker. Opening a partition directory: segment list, recovery checkpoint, tail scan.
//
// Checkpoint file `recovery-point` (our own format, text): line 1 is JSON
//   {"v":1,"segmentBaseOffset","position","nextOffset","maxTimestampSoFar",
//    "offsetOfMaxTimestampSoFar","bytesSinceLastIndexEntry","rollBaseMs"}
// and line 2 the CRC-32C of line 1 in decimal. It promises: every byte of segment
// `segmentBaseOffset` before `position`, and every segment before it, was fsynced and holds
// valid batches ending at `nextOffset`, and that segment's index entries below `position` are on
// disk. It is written (temp file, fsync, rename) only after such an fsync: at every roll, at
// close, periodically from maintenance and after retention. A missing or corrupt file only
// makes the scan longer.
//
// Recovery scans with CRC-32C validation from the checkpoint position through the end of the
// log (normally just the tail of the active segment); without a usable checkpoint, the whole
// active segment. When the broker knows the kernel has not restarted since the log was last
// written (`pageCacheIntact`: same boot id, see src/util/boot-marker.ts), every completed write
// is still in the page cache and reads back exactly as written: only the end of the log can be
// torn (a write cut short by the kill), which framing detects. Then the scan checks framing
// and offsets of every batch but CRC-32C only of the batches in the last CRC_TAIL_BYTES of
// each segment scanned, reading just the headers of large batches before that: a SIGKILL over
// 10 GiB of unflushed log recovers in milliseconds instead of a full CRC pass. Sealed segments before the checkpoint are never read at startup (their
// indexes load lazily on first use). At the first torn or corrupt batch the segment is
// truncated and any later segment deleted (Kafka does the same). Producer state comes from the
// newest `<offset>.snapshot` at or below the scan start plus replay of the batches after it.
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '../src/protocol/crc32c.js';
import { readBatchInfo, type BatchFailure } from '../src/log-format/batch-header.js';
import type { LogCheckpoint, LogConfig, LogHandoff } from '../src/ipc/tasks.js';
import { FileScanner } from './file-scan.js';
import { OffsetIndex } from './offset-index.js';
import { ProducerStateManager, listSnapshots, snapshotPath } from './producer-state.js';
import { LOG_SUFFIX, Segment, parseOffsetFileName } from './segment.js';
import { TimeIndex } from './time-index.js';

export const CHECKPOINT_FILE = 'recovery-point';
/** With the page cache intact, CRC-32C is still checked over this many bytes at the end of each scanned segment. */
export const CRC_TAIL_BYTES = 8 * 1024 * 1024;

/** The checkpoint file's content: a LogCheckpoint that was fsynced before it was written. */
export type RecoveryCheckpoint = LogCheckpoint;

export function readCheckpoint(dir: string): RecoveryCheckpoint | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8');
  } catch {
    return null;
  }
  const [json, crcLine] = text.split('\n');
  if (json === undefined || crcLine === undefined) return null;
  if (String(crc32c(Buffer.from(json, 'utf8'))) !== crcLine.trim()) return null;
  try {
    const cp = JSON.parse(json) as RecoveryCheckpoint & { v: number };
    if (cp.v !== 1 || !Number.isSafeInteger(cp.segmentBaseOffset) || !Number.isSafeInteger(cp.position) || !Number.isSafeInteger(cp.nextOffset)) {
      return null;
    }
    return cp;
  } catch {
    return null;
  }
}

export function serializeCheckpoint(cp: RecoveryCheckpoint): string {
  const json = JSON.stringify({ v: 1, ...cp });
  return `${json}\n${crc32c(Buffer.from(json, 'utf8'))}\n`;
}

/** Durable replace: temp file, fdatasync, rename. */
export async function writeCheckpointFile(dir: string, cp: RecoveryCheckpoint): Promise<void> {
  const final = path.join(dir, CHECKPOINT_FILE);
  const tmp = `${final}.tmp`;
  const handle = await fs.promises.open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(serializeCheckpoint(cp));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, final);
}

export interface RecoveryStats {
  checkpointUsed: boolean;
  scannedBytes: number;
  truncatedBytes: number;
  deletedSegments: number;
  /** Why the scan stopped early, if it did. */
  failure: BatchFailure | null;
  snapshotOffset: number | null;
  replayedBatches: number;
  /** Whether every scanned batch had its CRC checked (false: page cache intact, only the tail). */
  crcValidatedAll: boolean;
}

export interface RecoveredLog {
  segments: Segment[];
  nextOffset: number;
  stats: RecoveryStats;
  /**
   * Segments holding bytes past the checkpoint that recovery accepted (or truncated): written
   * by an earlier run and perhaps never fsynced. They must be flushed before any checkpoint
   * covering them is written.
   */
  unflushed: Segment[];
}

/** Opens (creating if needed) and recovers the partition directory. */
export function recoverLog(
  dir: string,
  config: LogConfig,
  producers: ProducerStateManager,
  scanner: FileScanner,
  headerScanner: FileScanner = scanner,
  initialOffset = 0,
  pageCacheIntact = false,
  handoff?: LogHandoff,
): RecoveredLog {
  fs.mkdirSync(dir, { recursive: true });
  const names = fs.readdirSync(dir);
  for (const name of names) if (name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });

  const indexConfig = { segmentIndexBytes: config.segmentIndexBytes, indexIntervalBytes: config.indexIntervalBytes };
  const bases = names
    .map((n) => parseOffsetFileName(n, LOG_SUFFIX))
    .filter((b): b is number => b !== null)
    .sort((a, b) => a - b);
  const stats: RecoveryStats = {
    checkpointUsed: false,
    scannedBytes: 0,
    truncatedBytes: 0,
    deletedSegments: 0,
    failure: null,
    snapshotOffset: null,
    replayedBatches: 0,
    crcValidatedAll: !pageCacheIntact,
  };
  if (bases.length === 0) {
    const seg = Segment.create(dir, initialOffset, indexConfig);
    producers.clear();
    return { segments: [seg], nextOffset: initialOffset, stats, unflushed: [] };
  }
  const segments = bases.map((base) => new Segment(dir, base, fs.statSync(path.join(dir, `${String(base).padStart(20, '0')}${LOG_SUFFIX}`)).size, indexConfig));

  // Where the CRC-validated scan starts: a handoff from another slot of this process (the log's
  // exact end, in the page cache), else the durable checkpoint file.
  const diskCp = readCheckpoint(dir);
  const usable = (c: RecoveryCheckpoint | null): number => {
    const idx = c === null ? -1 : segments.findIndex((s) => s.baseOffset === c.segmentBaseOffset);
    return c !== null && idx >= 0 && segments[idx].size >= c.position && c.nextOffset >= c.segmentBaseOffset ? idx : -1;
  };
  const handoffIdx = handoff === undefined ? -1 : usable(handoff.checkpoint);
  const cp = handoffIdx >= 0 ? handoff!.checkpoint : diskCp;
  const cpIdx = handoffIdx >= 0 ? handoffIdx : usable(diskCp);
  let startIdx = segments.length - 1;
  let startPos = 0;
  let nextOffset = segments[startIdx].baseOffset;
  if (cp !== null && cpIdx >= 0) {
    startIdx = cpIdx;
    startPos = cp.position;
    nextOffset = cp.nextOffset;
    stats.checkpointUsed = true;
  }
  if (handoffIdx >= 0) pageCacheIntact = true;

  // Producer state: the handoff's, else the newest snapshot at or below the scan start, then
  // header-only replay up to it.
  const snapshotOffsets = listSnapshots(names);
  let replayFrom = segments[0].baseOffset;
  producers.clear();
  const fromHandoff = handoffIdx >= 0 && producers.load(Buffer.from(handoff!.producerSnapshot.buffer, handoff!.producerSnapshot.byteOffset, handoff!.producerSnapshot.byteLength));
  if (fromHandoff) {
    replayFrom = nextOffset;
    stats.snapshotOffset = nextOffset;
  }
  for (let i = snapshotOffsets.length - 1; i >= 0 && !fromHandoff; i--) {
    const offset = snapshotOffsets[i];
    if (offset > nextOffset) continue;
    let data: Buffer | null = null;
    try {
      data = fs.readFileSync(snapshotPath(dir, offset));
    } catch {
      data = null;
    }
    if (data !== null && producers.load(data)) {
      replayFrom = offset;
      stats.snapshotOffset = offset;
      break;
    }
  }
  if (replayFrom < nextOffset) {
    stats.replayedBatches += replayHeaders(segments, startIdx, startPos, replayFrom, producers, headerScanner);
  }

  // Scan with CRC validation from the start point to the end of the log.
  for (let i = startIdx; i < segments.length; i++) {
    const seg = segments[i];
    let from = i === startIdx ? startPos : 0;
    if (from > 0) {
      const prepared = prepareIndexesForTail(seg, from, nextOffset, config, cp!);
      if (!prepared) {
        // .index / .timeindex missing or unreadable: rebuild this segment from its start.
        from = 0;
        nextOffset = seg.baseOffset;
      }
    }
    if (from === 0) {
      const oi = new OffsetIndex(seg.indexPath, seg.baseOffset, config.segmentIndexBytes);
      const ti = new TimeIndex(seg.timeIndexPath, seg.baseOffset, config.segmentIndexBytes);
      oi.rewrite();
      ti.rewrite();
      seg.setIndexes(oi, ti);
      seg.bytesSinceLastIndexEntry = 0;
      seg.maxTimestampSoFar = -1;
      seg.offsetOfMaxTimestampSoFar = -1;
      seg.rollBaseMs = null;
      if (nextOffset < seg.baseOffset) nextOffset = seg.baseOffset;
    }
    const fd = seg.logFd();
    const crcFrom = pageCacheIntact ? Math.max(from, seg.size - CRC_TAIL_BYTES) : from;
    const outcome = scanner.scan(fd, from, seg.size, true, (buf, at, position, size) => {
      const info = readBatchInfo(buf, at);
      const lastOffset = info.baseOffset + info.lastOffsetDelta;
      if (info.baseOffset < nextOffset || lastOffset - seg.baseOffset > 0x7fffffff || info.lastOffsetDelta < 0) return false;
      if (position === 0) seg.rollBaseMs = info.maxTimestamp >= 0 ? info.maxTimestamp : null;
      seg.onBatchAppended(lastOffset, position, size, info.maxTimestamp);
      if (info.baseOffset >= replayFrom) {
        producers.replay(info, info.baseOffset);
        stats.replayedBatches++;
      }
      nextOffset = lastOffset + 1;
      return true;
    }, crcFrom);
    stats.scannedBytes += outcome.end - from;
    if (outcome.end < seg.size) {
      stats.failure = outcome.failure;
      stats.truncatedBytes += seg.size - outcome.end;
      seg.truncateTo(outcome.end);
      // Later segments were written after data that is now gone: drop them (Kafka does too).
      for (const later of segments.splice(i + 1)) {
        stats.truncatedBytes += later.size;
        stats.deletedSegments++;
        later.deleteFiles();
      }
    }
    if (i < segments.length - 1) seg.seal();
    else seg.persistIndexes();
  }

  const active = segments[segments.length - 1];
  if (active.size === 0) active.rollBaseMs = null;
  else if (stats.checkpointUsed && startIdx === segments.length - 1 && cp!.rollBaseMs !== null) active.rollBaseMs = cp!.rollBaseMs;

  // A snapshot beyond the recovered end describes data that no longer exists.
  for (const offset of snapshotOffsets) if (offset > nextOffset) fs.rmSync(snapshotPath(dir, offset), { force: true });
  let unflushed = stats.scannedBytes > 0 || stats.truncatedBytes > 0 ? segments.slice(startIdx) : [];
  if (handoffIdx >= 0) {
    // Everything after the durable checkpoint may still be only in the page cache: the new
    // owner's next sync pass (before any checkpoint of its own) must cover it.
    const durableIdx = usable(diskCp);
    const sameEnd = durableIdx >= 0 && diskCp!.segmentBaseOffset === cp!.segmentBaseOffset && diskCp!.position === cp!.position;
    if (!sameEnd) unflushed = segments.slice(Math.max(0, durableIdx));
  }
  return { segments, nextOffset, stats, unflushed };
}

/**
 * Loads the indexes of the segment where the scan starts at `from` and drops entries at or
 * beyond it (the scan re-adds them). Restores the append-side counters from the checkpoint.
 * False when an index file is missing or malformed.
 */
function prepareIndexesForTail(seg: Segment, from: number, nextOffset: number, config: LogConfig, cp: RecoveryCheckpoint): boolean {
  const oi = OffsetIndex.load(seg.indexPath, seg.baseOffset, config.segmentIndexBytes);
  const ti = TimeIndex.load(seg.timeIndexPath, seg.baseOffset, config.segmentIndexBytes);
  if (oi === null || ti === null) return false;
  oi.truncateEntries(oi.validPrefix(from, nextOffset));
  ti.truncateEntries(ti.validPrefix(nextOffset));
  seg.setIndexes(oi, ti);
  seg.bytesSinceLastIndexEntry = cp.bytesSinceLastIndexEntry;
  seg.maxTimestampSoFar = cp.maxTimestampSoFar;
  seg.offsetOfMaxTimestampSoFar = cp.offsetOfMaxTimestampSoFar;
  seg.rollBaseMs = cp.rollBaseMs;
  return true;
}

/** Header-only walk applying batches with baseOffset >= fromOffset, up to (stopIdx, stopPos). */
function replayHeaders(
  segments: Segment[],
  stopIdx: number,
  stopPos: number,
  fromOffset: number,
  producers: ProducerStateManager,
  scanner: FileScanner,
): number {
  let replayed = 0;
  for (let i = 0; i <= stopIdx; i++) {
    const seg = segments[i];
    const segEnd = i + 1 < segments.length ? segments[i + 1].baseOffset : Number.MAX_SAFE_INTEGER;
    if (segEnd <= fromOffset) continue;
    const end = i === stopIdx ? stopPos : seg.size;
    scanner.scan(seg.logFd(), 0, end, false, (buf, at) => {
      const info = readBatchInfo(buf, at);
      if (info.baseOffset >= fromOffset) {
        producers.replay(info, info.baseOffset);
        replayed++;
      }
      return true;
    });
    if (i < stopIdx) seg.close();
  }
  return replayed;
}
