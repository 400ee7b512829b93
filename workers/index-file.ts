// Thread: worker. Shared mechanics of the sparse .index / .timeindex files: fixed-size big-endian
// entries kept in memory (a growable Buffer laid out exactly as on disk) and appended to the
// file in bulk. Unlike Kafka we do not preallocate or mmap: the file is always exactly
// `entries * entrySize` bytes, so Kafka tools read it as a trimmed index.
//
// File descriptors: an index holds one only from a write until the next sync() (group commit)
// has flushed it, never while idle, so a partition keeps just its active .log fd open. With
// 10,000 partitions, three fds each would exceed a 20,000 fd limit. Syncs of one worker thread
// run at most MAX_CONCURRENT_INDEX_SYNCS at a time, so closing many partitions at once (each
// checkpointing) cannot open every index file at the same moment.
import fs from 'node:fs';

/** Index fdatasyncs (each holding a transient fd) in flight per worker thread. */
export const MAX_CONCURRENT_INDEX_SYNCS = 64;
let syncsRunning = 0;
const syncsWaiting: Array<() => void> = [];

async function withSyncSlot<T>(fn: () => Promise<T>): Promise<T> {
  while (syncsRunning >= MAX_CONCURRENT_INDEX_SYNCS) await new Promise<void>((resolve) => syncsWaiting.push(resolve));
  syncsRunning++;
  try {
    return await fn();
  } finally {
    syncsRunning--;
    syncsWaiting.shift()?.();
  }
}

export abstract class IndexFile {
  protected buf: Buffer;
  /** Number of valid entries. */
  entries = 0;
  /** Entries already written to the file. */
  private persisted = 0;
  private fd: number | null = null;
  /** Bytes written or truncated since the last sync() started. */
  private unsynced = false;
  /** sync() calls awaiting fdatasync on `fd`. */
  private syncing = 0;

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
      this.unsynced = true;
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
    this.unsynced = true;
  }

  /** Rewrites the whole file from memory (after a rebuild, or creating an empty index). */
  rewrite(): void {
    if (this.entries === 0 && this.fd === null) {
      // Nothing to write: create or empty the file without keeping a descriptor. Only emptying
      // a file that held entries needs a sync (a new empty file is empty or absent after a crash).
      const fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
      try {
        if (fs.fstatSync(fd).size > 0) {
          fs.ftruncateSync(fd, 0);
          this.unsynced = true;
        }
      } finally {
        fs.closeSync(fd);
      }
      this.persisted = 0;
      return;
    }
    this.openFd();
    fs.ftruncateSync(this.fd!, 0);
    this.persisted = 0;
    this.unsynced = true;
    this.persist();
  }

  /** True when bytes were written since the last sync() started. */
  get needsSync(): boolean {
    return this.unsynced;
  }

  /**
   * fdatasync of what persist()/rewrite()/truncation wrote (group commit), through the fd they
   * left open or a transient one; the fd is closed afterwards. No-op when nothing was written.
   */
  async sync(fdatasync: (fd: number) => Promise<void>): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    await withSyncSlot(async () => {
      this.openFd();
      const fd = this.fd!;
      this.syncing++;
      try {
        await fdatasync(fd);
      } catch (err) {
        this.unsynced = true;
        throw err;
      } finally {
        this.syncing--;
        // Writes made meanwhile went through this fd too: the next sync reopens the file.
        if (this.syncing === 0 && this.fd === fd) this.close();
      }
    });
  }

  /** Whether a file descriptor is open right now (tests). */
  get hasOpenFd(): boolean {
    return this.fd !== null;
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
