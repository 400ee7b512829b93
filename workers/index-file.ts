// Thread: worker. Shared mechanics of the sparse .index / .timeindex files: fixed-size big-endian
// entries kept in memory (a growable Buffer laid out exactly as on disk) and appended to the
// file in bulk. Unlike Kafka we do not preallocate or mmap: the file is always exactly
// `entries * entrySize` bytes, so Kafka tools read it as a trimmed index.
import fs from 'node:fs';

export abstract class IndexFile {
  protected buf: Buffer;
  /** Number of valid entries. */
  entries = 0;
  /** Entries already written to the file. */
  private persisted = 0;
  private fd: number | null = null;

  protected constructor(
    readonly path: string,
    readonly baseOffset: number,
    readonly entrySize: number,
    /** segment.index.bytes / entrySize. */
    readonly maxEntries: number,
    initial?: Buffer,
  ) {
    if (initial !== undefined) {
      this.buf = initial;
      this.entries = Math.floor(initial.length / entrySize);
      this.persisted = this.entries;
    } else {
      this.buf = Buffer.allocUnsafe(entrySize * 64);
    }
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  get sizeInBytes(): number {
    return this.entries * this.entrySize;
  }

  /** Entry bytes exactly as stored on disk. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.entries * this.entrySize);
  }

  protected slotFor(): number {
    const needed = (this.entries + 1) * this.entrySize;
    if (needed > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.entries * this.entrySize);
      this.buf = next;
    }
    return this.entries * this.entrySize;
  }

  /** Drops entries from index `count` on (in memory and, at the next persist, on disk). */
  truncateEntries(count: number): void {
    if (count >= this.entries) return;
    this.entries = count;
    if (this.persisted > count) {
      this.persisted = count;
      this.openFd();
      fs.ftruncateSync(this.fd!, count * this.entrySize);
    }
  }

  get dirty(): boolean {
    return this.persisted !== this.entries;
  }

  /** Writes the entries not yet on disk with one write. */
  persist(): void {
    if (this.persisted === this.entries) return;
    this.openFd();
    const from = this.persisted * this.entrySize;
    const to = this.entries * this.entrySize;
    let done = from;
    while (done < to) done += fs.writeSync(this.fd!, this.buf, done, to - done, done);
    this.persisted = this.entries;
  }

  /** Rewrites the whole file from memory (after a rebuild). */
  rewrite(): void {
    this.openFd();
    fs.ftruncateSync(this.fd!, 0);
    this.persisted = 0;
    this.persist();
  }

  /** fd for fdatasync by the group commit (opened on demand). */
  fileDescriptor(): number {
    this.openFd();
    return this.fd!;
  }

  private openFd(): void {
    if (this.fd === null) this.fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  }

  close(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      fs.closeSync(fd);
    }
  }

  /** Binary search: index of the last entry whose key <= target (strict: < target), or -1. */
  protected largestLowerBound(target: number, keyAt: (i: number) => number, strict = false): number {
    let lo = 0;
    let hi = this.entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const key = keyAt(mid);
      if (strict ? key < target : key <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

/** Reads an index file; null when missing. */
export function readIndexFile(path: string): Buffer | null {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
