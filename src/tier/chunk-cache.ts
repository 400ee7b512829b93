// Thread: main. Bounded cache of fixed-size chunks of remote objects, fetched with ranged GETs:
// a small in-memory LRU in front of an on-disk LRU (`remote.fetch.cache.bytes`). Concurrent
// requests for one chunk share one GET. Read-ahead is a chunk request nobody awaits.
// Given the object's per-chunk CRC-32Cs (manifest v2), every chunk loaded (from the store or
// from the disk cache) is verified once, before it is cached or returned: a mismatch throws
// TierError CORRUPT naming the object and is never cached. Memory hits are not re-checked.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TierError, TierErrorCode, type ObjectStore } from './object-store.js';
import { checkChunk, type ChunkChecksums } from './segment-checksums.js';

export const CHUNK_BYTES = 4 * 1024 * 1024;
const MEMORY_CHUNKS = 16;

export class ChunkCache {
  /** On-disk chunks, least recently used first (Map insertion order). */
  private readonly disk = new Map<string, number>();
  private diskBytes = 0;
  private readonly memory = new Map<string, Buffer>();
  private readonly inflight = new Map<string, Promise<Buffer>>();
  /** Remote bytes fetched (figures, tests). */
  fetchedBytes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly dir: string,
    private readonly maxDiskBytes: number,
  ) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Chunk CRC mismatches seen (figures, tests). */
  corruptChunks = 0;

  /** Bytes [start, end) of an object of objectSize bytes, verified against `expected` when given. */
  async read(objectKey: string, objectSize: number, start: number, end: number, expected?: ChunkChecksums): Promise<Buffer> {
    const first = Math.floor(start / CHUNK_BYTES);
    const last = Math.floor((end - 1) / CHUNK_BYTES);
    if (first === last) {
      const chunk = await this.chunk(objectKey, objectSize, first, expected);
      return chunk.subarray(start - first * CHUNK_BYTES, end - first * CHUNK_BYTES);
    }
    const chunks = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.chunk(objectKey, objectSize, first + i, expected)));
    // Copy only the requested bytes (not whole chunks) when the range spans chunks.
    const out = Buffer.allocUnsafe(end - start);
    let at = 0;
    chunks.forEach((chunk, i) => {
      const chunkStart = (first + i) * CHUNK_BYTES;
      const from = Math.max(start, chunkStart) - chunkStart;
      const to = Math.min(end, chunkStart + chunk.length) - chunkStart;
      at += chunk.copy(out, at, from, to);
    });
    return out;
  }

  /** Starts fetching a chunk in the background (read-ahead). */
  prefetch(objectKey: string, objectSize: number, index: number, expected?: ChunkChecksums): void {
    if (index * CHUNK_BYTES >= objectSize) return;
    this.chunk(objectKey, objectSize, index, expected).catch(() => undefined);
  }

  async chunk(objectKey: string, objectSize: number, index: number, expected?: ChunkChecksums): Promise<Buffer> {
    const id = `${crypto.createHash('sha1').update(objectKey).digest('hex')}-${index}`;
    const hot = this.memory.get(id);
    if (hot) {
      this.memory.delete(id);
      this.memory.set(id, hot);
      return hot;
    }
    const pending = this.inflight.get(id);
    if (pending) return pending;
    const load = this.load(id, objectKey, objectSize, index, expected).finally(() => this.inflight.delete(id));
    this.inflight.set(id, load);
    return load;
  }

  private async load(id: string, objectKey: string, objectSize: number, index: number, expected: ChunkChecksums | undefined): Promise<Buffer> {
    const file = path.join(this.dir, id);
    let data: Buffer | null = null;
    if (this.disk.has(id)) {
      data = await fs.promises.readFile(file).catch(() => null);
      if (data && expected && checkChunk(data, index, expected) !== null) {
        // The local copy went bad (disk): drop it and fetch the object's bytes again.
        this.dropDisk(id);
        data = null;
      }
      if (data) {
        const size = this.disk.get(id)!;
        this.disk.delete(id);
        this.disk.set(id, size);
      }
    }
    if (!data) {
      const start = index * CHUNK_BYTES;
      data = await this.store.get(objectKey, { start, endExclusive: Math.min(objectSize, start + CHUNK_BYTES) });
      this.fetchedBytes += data.length;
      const bad = expected ? checkChunk(data, index, expected) : null;
      if (bad !== null) {
        this.corruptChunks++;
        throw new TierError(TierErrorCode.CORRUPT, `object ${objectKey}: ${bad}`, objectKey);
      }
      if (this.maxDiskBytes >= data.length) {
        // Off the read path: the caller gets the bytes now, the disk copy follows.
        const copy = data;
        void fs.promises.writeFile(file, copy).then(
          () => {
            if (!this.disk.has(id)) this.diskBytes += copy.length;
            this.disk.set(id, copy.length);
            this.evict();
          },
          () => undefined,
        );
      }
    }
    this.memory.set(id, data);
    while (this.memory.size > MEMORY_CHUNKS) this.memory.delete(this.memory.keys().next().value!);
    return data;
  }

  private evict(): void {
    while (this.diskBytes > this.maxDiskBytes && this.disk.size > 0) this.dropDisk(this.disk.keys().next().value!);
  }

  private dropDisk(id: string): void {
    const size = this.disk.get(id);
    if (size === undefined) return;
    this.disk.delete(id);
    this.diskBytes -= size;
    fs.rm(path.join(this.dir, id), { force: true }, () => undefined);
  }

  /** Drops every chunk of objects whose keys start with prefix from memory (deleted topics). */
  forget(): void {
    this.memory.clear();
  }
}
