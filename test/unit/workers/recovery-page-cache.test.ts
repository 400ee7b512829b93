// Recovery when the page cache is intact (same kernel boot as the last writer): CRC-32C only
// near the end of the scanned log, header-only reads of large batches before it; the boot-id
// marker that decides it; and the sparse header walk of FileScanner.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../workers/partition-log.js';
import { FileScanner } from '../../../workers/file-scan.js';
import { CRC_TAIL_BYTES } from '../../../workers/recovery.js';
import { BOOT_MARKER_FILE, currentBootId, pageCacheIntact, readBootMarker, writeBootMarker } from '../../../src/util/boot-marker.js';
import { cleanupDirs, makeBatch, partitionSpec, tempDir } from './log-fixtures.js';

afterEach(() => cleanupDirs());

const BIG = 256 * 1024; // a batch of ~256 KiB
const bigBatch = () => makeBatch(16, { valueSize: BIG / 16 - 16 });

/** A log of `n` big batches, abandoned like a crash (no checkpoint: the segment never rolled). */
function crashedLog(n: number): { dir: string; spec: ReturnType<typeof partitionSpec>; size: number; batch: number } {
  const dir = tempDir();
  const spec = partitionSpec(dir);
  const log = PartitionLog.open(spec);
  for (let i = 0; i < n; i++) log.append(Buffer.from(bigBatch()), 1);
  const size = log.active.size;
  log.abandon();
  return { dir, spec, size, batch: bigBatch().length };
}

function flipByte(file: string, position: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, position);
  b[0] ^= 0xff;
  fs.writeSync(fd, b, 0, 1, position);
  fs.closeSync(fd);
}

describe('recovery with the page cache intact', () => {
  const batches = Math.ceil((CRC_TAIL_BYTES * 1.5) / BIG); // ~12 MiB: more than the CRC tail

  it('recovers the same log end; checks CRC only over the tail; reads only headers before it', () => {
    const { spec, size } = crashedLog(batches);
    const full = PartitionLog.open(spec);
    expect(full.nextOffset).toBe(batches * 16);
    expect(full.recoveryStats.crcValidatedAll).toBe(true);
    expect(full.recoveryStats.scannedBytes).toBe(size);
    full.abandon();
    const trusted = PartitionLog.open({ ...spec, pageCacheIntact: true });
    expect(trusted.nextOffset).toBe(batches * 16);
    expect(trusted.recoveryStats.crcValidatedAll).toBe(false);
    expect(trusted.recoveryStats.truncatedBytes).toBe(0);
    trusted.abandon();
  });

  it('a corrupt batch before the CRC tail is not looked at; in the tail it is truncated, as without the page cache', () => {
    const { spec, size, batch } = crashedLog(batches);
    const logFile = path.join(spec.dir, '00000000000000000000.log');
    flipByte(logFile, batch + 100); // second batch's records: far before the tail
    const trusted = PartitionLog.open({ ...spec, pageCacheIntact: true });
    expect(trusted.nextOffset).toBe(batches * 16);
    trusted.abandon();
    // The last batch corrupt: caught in both modes.
    flipByte(logFile, batch + 100);
    flipByte(logFile, size - 10);
    const again = PartitionLog.open({ ...spec, pageCacheIntact: true });
    expect(again.nextOffset).toBe((batches - 1) * 16);
    expect(again.recoveryStats.failure?.reason).toBe('crc-mismatch');
    again.abandon();
  });

  it('without the page cache a corrupt batch anywhere in the unflushed tail truncates there', () => {
    const { spec, batch } = crashedLog(batches);
    flipByte(path.join(spec.dir, '00000000000000000000.log'), batch + 100);
    const log = PartitionLog.open(spec);
    expect(log.nextOffset).toBe(16);
    expect(log.recoveryStats.failure?.reason).toBe('crc-mismatch');
    log.abandon();
  });

  it('a torn last batch is truncated with the page cache intact (framing)', () => {
    const { spec, size, batch } = crashedLog(4);
    fs.truncateSync(path.join(spec.dir, '00000000000000000000.log'), size - Math.floor(batch / 2));
    const log = PartitionLog.open({ ...spec, pageCacheIntact: true });
    expect(log.nextOffset).toBe(3 * 16);
    expect(log.active.size).toBe(3 * batch);
    log.abandon();
  });
});

describe('recovered but unflushed data', () => {
  it.runIf(process.platform === 'linux')('is fsynced by the first sync pass after recovery, before any checkpoint covers it', async () => {
    const synced: string[] = [];
    const fdatasync = async (fd: number) => {
      synced.push(path.basename(fs.readlinkSync(`/proc/self/fd/${fd}`)));
    };
    let spec = crashedLog(3).spec;
    for (const pageCacheIntact of [false, true]) {
      spec = crashedLog(3).spec;
      synced.length = 0;
      const log = PartitionLog.open({ ...spec, pageCacheIntact }, { fdatasync });
      expect(log.groupCommit.hasUnflushed).toBe(true);
      await log.close(); // the close checkpoint claims everything: its sync pass must cover the log
      expect(synced).toContain('00000000000000000000.log');
    }
    // After that clean close nothing is unflushed any more.
    synced.length = 0;
    const log = PartitionLog.open({ ...spec, pageCacheIntact: true }, { fdatasync });
    expect(log.recoveryStats.scannedBytes).toBe(0);
    expect(log.groupCommit.hasUnflushed).toBe(false);
    await log.close();
    expect(synced).not.toContain('00000000000000000000.log');
  });
});

describe('FileScanner', () => {
  it('walks large batches header by header when no CRC is wanted, and checks CRC from crcFrom on', () => {
    const { spec, size, batch } = crashedLog(8);
    const fd = fs.openSync(path.join(spec.dir, '00000000000000000000.log'), 'r');
    try {
      const positions: number[] = [];
      const headerOnly = new FileScanner(1 << 20);
      const outcome = headerOnly.scan(fd, 0, size, false, (_buf, _at, position) => {
        positions.push(position);
        return true;
      });
      expect(outcome).toEqual({ end: size, failure: null });
      expect(positions).toEqual(Array.from({ length: 8 }, (_, i) => i * batch));
      // The first read is a chunk; then one page per header.
      expect(headerOnly.bytesRead).toBeLessThan((1 << 20) + 8 * 4096);
      const crc = new FileScanner(1 << 20);
      expect(crc.scan(fd, 0, size, true, () => true, size - batch).end).toBe(size);
      expect(crc.bytesRead).toBeLessThan((1 << 20) + 8 * 4096 + batch);
      const all = new FileScanner(1 << 20);
      all.scan(fd, 0, size, true, () => true);
      expect(all.bytesRead).toBeGreaterThanOrEqual(size); // every byte (a batch cut by a chunk end is read again)
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('boot marker', () => {
  it('intact only when the marker holds the running boot id', () => {
    const dir = tempDir();
    expect(pageCacheIntact(dir, 'boot-a-0000000000000000')).toBe(false);
    writeBootMarker(dir, 'boot-a-0000000000000000');
    expect(readBootMarker(dir)).toBe('boot-a-0000000000000000');
    expect(pageCacheIntact(dir, 'boot-a-0000000000000000')).toBe(true);
    expect(pageCacheIntact(dir, 'boot-b-0000000000000000')).toBe(false);
    expect(pageCacheIntact(dir, null)).toBe(false);
    writeBootMarker(dir, null);
    expect(fs.existsSync(path.join(dir, BOOT_MARKER_FILE))).toBe(false);
  });

  it.runIf(process.platform === 'linux')('reads the kernel boot id', () => {
    expect(currentBootId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(currentBootId('/nonexistent')).toBeNull();
  });
});
