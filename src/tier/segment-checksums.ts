// Thread: either. Pure. The CRC-32C checksums of an uploaded segment (manifest v2): the whole
// .log object, each fixed-size chunk of it (the unit of a ranged GET through the chunk cache, so
// every chunk fetched can be verified on its own), and the two index objects. Computed by the
// tier checksum worker (checksum-worker.ts), verified on the read path (chunk-cache.ts).
import { crc32c } from '../protocol/crc32c.js';

/** What the checksum worker returns for one sealed segment. */
export interface SegmentChecksums {
  log: { sizeBytes: number; crc32c: number; chunkBytes: number; chunkCrc32c: number[] };
  offsetIndex: { sizeBytes: number; crc32c: number };
  timeIndex: { sizeBytes: number; crc32c: number };
}

/** Per-chunk CRCs of one object, ready for verification (decoded once per segment). */
export interface ChunkChecksums {
  chunkBytes: number;
  crcs: Uint32Array;
}

/** Chunk CRCs as stored in a manifest: big-endian uint32s, base64 (compact for 1 GiB segments). */
export function encodeChunkCrcs(crcs: readonly number[]): string {
  const buf = Buffer.allocUnsafe(crcs.length * 4);
  crcs.forEach((crc, i) => buf.writeUInt32BE(crc >>> 0, i * 4));
  return buf.toString('base64');
}

export function decodeChunkCrcs(encoded: string): Uint32Array {
  const buf = Buffer.from(encoded, 'base64');
  const out = new Uint32Array(Math.floor(buf.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = buf.readUInt32BE(i * 4);
  return out;
}

/** Number of chunks of chunkBytes an object of sizeBytes has (an empty object has none). */
export const chunkCount = (sizeBytes: number, chunkBytes: number): number => Math.ceil(sizeBytes / chunkBytes);

/**
 * Null when `data` is chunk `index` as uploaded, else a readable reason. An index past the
 * recorded chunks is a mismatch too (the object is longer than what was checksummed).
 */
export function checkChunk(data: Uint8Array, index: number, expected: ChunkChecksums): string | null {
  const want = expected.crcs[index];
  if (want === undefined) return `chunk ${index} is beyond the ${expected.crcs.length} checksummed chunks`;
  const got = crc32c(data) >>> 0;
  return got === want ? null : `chunk ${index} (${data.length} bytes at ${index * expected.chunkBytes}) has CRC-32C ${hex(got)}, uploaded as ${hex(want)}`;
}

/** Null when `data` has CRC-32C `expected`, else a readable reason. */
export function checkObject(data: Uint8Array, expected: number): string | null {
  const got = crc32c(data) >>> 0;
  return got === expected >>> 0 ? null : `CRC-32C ${hex(got)}, uploaded as ${hex(expected)}`;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
