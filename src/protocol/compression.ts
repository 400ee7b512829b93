// Thread: either (pure; the CLI, the router and the Piscina workers may all load it).
// Kafka's record-batch compression codecs, with maintained libraries:
//   0 none · 1 gzip (node:zlib) · 2 snappy (`snappy`) · 3 lz4 (`lz4-napi`, LZ4 frame format)
//   4 zstd (`@bokuweb/zstd-wasm`)
// zstd is WebAssembly and needs one asynchronous initialisation per thread: call
// `await codecsReady()` once (it is idempotent and cheap after the first call), then use the
// synchronous `compress` / `decompress`. `compressAsync` / `decompressAsync` do both in one step.
//
// Framing, as Kafka clients write it:
// - snappy: KafkaJS (kafkajs-snappy) and librdkafka write raw snappy; the Java client writes
//   xerial framing (magic 82 53 4E 41 50 50 59 00, int32 version, int32 compatible version,
//   then blocks of [int32 BE length][raw snappy]). `decompress` accepts both; `compress` writes
//   raw, which every client (xerial's reader included) accepts.
// - lz4: the LZ4 frame format (magic 04 22 4D 18), as the Java client and librdkafka write it for
//   magic-2 batches; `compress` writes independent 256 KiB blocks (lz4-napi's default), no
//   content size. `decompress` also reads linked blocks, checksummed blocks and content sizes.
// - zstd: one zstd frame, level 3 (Kafka's default); frames without a content size (the Java
//   client's streaming encoder writes those) are accepted.
//
// Every decompression takes `maxBytes`: a hostile batch cannot make it allocate more than that
// (declared sizes are checked before anything is allocated; gzip is bounded by zlib itself, lz4
// is decoded block by block into bounded buffers, zstd without a declared size grows a bounded
// buffer).
// Errors are `CompressionError` with a `codec` and a message naming the codec.
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressFrameSync, uncompressSync as lz4UncompressSync } from 'lz4-napi';
import { compressSync as snappyCompressSync, uncompressSync as snappyUncompressSync } from 'snappy';

/** Kafka's codec ids (the low three bits of a record batch's attributes). */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionCodec;
export type CompressionCodecId = (typeof CompressionCodec)[CompressionName];

export const COMPRESSION_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export class CompressionError extends Error {
  constructor(
    readonly codec: number,
    message: string,
  ) {
    super(message);
    this.name = 'CompressionError';
  }
}

/** The codec's name for messages: `snappy (2)`, or `unknown codec 7`. */
export function codecLabel(codec: number): string {
  const name = COMPRESSION_NAMES[codec];
  return name === undefined ? `unknown compression codec ${codec}` : `${name} (${codec})`;
}

/** Codec id for a name (`none`, `gzip`, `snappy`, `lz4`, `zstd`); throws on anything else. */
export function codecFromName(name: string): CompressionCodecId {
  const id = (CompressionCodec as Record<string, CompressionCodecId>)[name];
  if (id === undefined || !Object.hasOwn(CompressionCodec, name)) {
    throw new CompressionError(-1, `unknown compression "${name}" (${COMPRESSION_NAMES.join(', ')})`);
  }
  return id;
}

// ---------------------------------------------------------------------------------------------
// zstd (WebAssembly): loaded and initialised once per thread.

interface ZstdModule {
  init(): Promise<void>;
  compress(buf: Uint8Array, level?: number): Uint8Array;
  decompress(buf: Uint8Array, opts?: { defaultHeapSize?: number }): Uint8Array;
}

let zstd: ZstdModule | undefined;
let zstdReady: Promise<void> | undefined;

/** Resolves when every codec is usable on this thread (initialises zstd's WebAssembly once). */
export function codecsReady(): Promise<void> {
  zstdReady ??= (async () => {
    const mod = createRequire(import.meta.url)('@bokuweb/zstd-wasm') as ZstdModule;
    await mod.init();
    zstd = mod;
  })().catch((err: unknown) => {
    zstdReady = undefined; // a later call may retry
    throw new CompressionError(CompressionCodec.zstd, `zstd codec failed to initialise: ${(err as Error).message}`);
  });
  return zstdReady;
}

function zstdModule(): ZstdModule {
  if (zstd === undefined) {
    throw new CompressionError(CompressionCodec.zstd, 'zstd codec is not initialised on this thread: await codecsReady() first');
  }
  return zstd;
}

// ---------------------------------------------------------------------------------------------

/** Compresses `data` with the codec (synchronous; zstd needs `await codecsReady()` first). */
export function compress(codec: number, data: Uint8Array): Buffer {
  const input = asBuffer(data);
  switch (codec) {
    case CompressionCodec.none:
      return input;
    case CompressionCodec.gzip:
      return gzipSync(input);
    case CompressionCodec.snappy:
      return snappyCompressSync(input);
    case CompressionCodec.lz4:
      return compressFrameSync(input);
    case CompressionCodec.zstd:
      return asBuffer(zstdModule().compress(input, ZSTD_LEVEL));
    default:
      throw unknownCodec(codec);
  }
}

/**
 * Decompresses `data`; throws CompressionError when the data is corrupt, the codec unknown, or
 * the output would exceed `maxBytes` (checked before allocating wherever the format says sizes).
 */
export function decompress(codec: number, data: Uint8Array, maxBytes: number): Buffer {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  const input = asBuffer(data);
  let out: Buffer;
  try {
    switch (codec) {
      case CompressionCodec.none:
        out = input;
        break;
      case CompressionCodec.gzip:
        out = gunzipBounded(input, maxBytes);
        break;
      case CompressionCodec.snappy:
        out = snappyDecompress(input, maxBytes);
        break;
      case CompressionCodec.lz4:
        out = lz4Decompress(input, maxBytes);
        break;
      case CompressionCodec.zstd:
        out = zstdDecompress(input, maxBytes);
        break;
      default:
        throw unknownCodec(codec);
    }
  } catch (err) {
    if (err instanceof CompressionError) throw err;
    throw new CompressionError(codec, `${codecLabel(codec)} data is corrupt: ${(err as Error).message}`);
  }
  if (out.length > maxBytes) throw tooLarge(codec, out.length, maxBytes);
  return out;
}

export async function compressAsync(codec: number, data: Uint8Array): Promise<Buffer> {
  if (codec === CompressionCodec.zstd) await codecsReady();
  return compress(codec, data);
}

export async function decompressAsync(codec: number, data: Uint8Array, maxBytes: number): Promise<Buffer> {
  if (codec === CompressionCodec.zstd) await codecsReady();
  return decompress(codec, data, maxBytes);
}

// ---------------------------------------------------------------------------------------------

const ZSTD_LEVEL = 3;

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function unknownCodec(codec: number): CompressionError {
  return new CompressionError(codec, `unknown compression codec ${codec} (Kafka defines 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)`);
}

function tooLarge(codec: number, size: number | string, maxBytes: number): CompressionError {
  return new CompressionError(codec, `${codecLabel(codec)} data decompresses to ${size} bytes, more than the limit of ${maxBytes}`);
}

function gunzipBounded(input: Buffer, maxBytes: number): Buffer {
  try {
    // zlib stops and throws ERR_BUFFER_TOO_LARGE once the output passes maxOutputLength.
    return gunzipSync(input, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(CompressionCodec.gzip, `more than ${maxBytes}`, maxBytes);
    throw err;
  }
}

// --- snappy ---------------------------------------------------------------------------------

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16; // magic, int32 version, int32 compatible version

/** The uncompressed length a raw snappy block declares (its leading varint). */
function snappyDeclaredLength(buf: Buffer, start: number, end: number): number {
  let result = 0;
  let multiplier = 1;
  for (let i = start; i < end && i < start + 5; i++) {
    const b = buf[i]!;
    result += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) return result;
    multiplier *= 0x80;
  }
  throw new CompressionError(CompressionCodec.snappy, 'snappy data is corrupt: bad uncompressed-length header');
}

function snappyRaw(block: Buffer): Buffer {
  return snappyUncompressSync(block, { asBuffer: true }) as Buffer;
}

function snappyDecompress(input: Buffer, maxBytes: number): Buffer {
  const xerial = input.length >= XERIAL_HEADER_SIZE && input.subarray(0, 8).equals(XERIAL_MAGIC);
  if (!xerial) {
    const declared = snappyDeclaredLength(input, 0, input.length);
    if (declared > maxBytes) throw tooLarge(CompressionCodec.snappy, declared, maxBytes);
    return snappyRaw(input);
  }
  // First pass: check every block's framing and declared size before decompressing anything.
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < input.length) {
    if (pos + 4 > input.length) throw new CompressionError(CompressionCodec.snappy, `snappy (xerial) data is truncated at byte ${pos}`);
    const size = input.readUInt32BE(pos);
    pos += 4;
    if (pos + size > input.length) throw new CompressionError(CompressionCodec.snappy, `snappy (xerial) block of ${size} bytes at byte ${pos - 4} runs past the end`);
    const block = input.subarray(pos, pos + size);
    total += snappyDeclaredLength(block, 0, block.length);
    if (total > maxBytes) throw tooLarge(CompressionCodec.snappy, `at least ${total}`, maxBytes);
    blocks.push(block);
    pos += size;
  }
  return blocks.length === 1 ? snappyRaw(blocks[0]!) : Buffer.concat(blocks.map(snappyRaw), total);
}

// --- lz4 --------------------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

const LZ4_DICT_SIZE = 64 << 10;

function lz4Error(message: string): CompressionError {
  return new CompressionError(CompressionCodec.lz4, message);
}

/**
 * Decodes a sequence of LZ4 frames block by block, each block into a buffer no larger than the
 * frame's block size and the bytes left under maxBytes, so the limit is exact and nothing larger
 * is ever allocated. Linked blocks (block independence off) get the previous 64 KiB as their
 * dictionary. Block and content checksums are not verified: the batch CRC-32C covers the bytes.
 */
function lz4Decompress(buf: Buffer, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > buf.length) throw lz4Error(`lz4 frame is truncated at byte ${pos}`);
  };
  while (pos < buf.length) {
    need(4);
    const magic = buf.readUInt32LE(pos);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // skippable frame
      need(8);
      pos += 8 + buf.readUInt32LE(pos + 4);
      if (pos > buf.length) throw lz4Error('lz4 skippable frame runs past the end');
      continue;
    }
    if (magic !== LZ4_MAGIC) throw lz4Error(`lz4 data is not in the LZ4 frame format (magic 0x${magic.toString(16)} at byte ${pos})`);
    pos += 4;
    need(3);
    const flg = buf[pos]!;
    const bd = buf[pos + 1]!;
    if (flg >> 6 !== 1) throw lz4Error(`lz4 frame version ${flg >> 6} is not supported`);
    const independent = (flg & 0x20) !== 0;
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7]!;
    if (blockMax === 0) throw lz4Error(`lz4 frame has an invalid block size id ${(bd >> 4) & 7}`);
    if (hasDictId) throw lz4Error('lz4 frames with a dictionary id are not supported');
    pos += 2;
    if (hasContentSize) {
      need(8);
      const contentSize = buf.readBigUInt64LE(pos);
      if (contentSize > BigInt(maxBytes - total)) throw tooLarge(CompressionCodec.lz4, `at least ${contentSize}`, maxBytes);
      pos += 8;
    }
    need(1);
    pos += 1; // header checksum
    const frameStart = chunks.length;
    for (;;) {
      need(4);
      const word = buf.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (size > blockMax) throw lz4Error(`lz4 block of ${size} bytes is larger than the frame's block size ${blockMax}`);
      need(size + (blockChecksum ? 4 : 0));
      const block = buf.subarray(pos, pos + size);
      pos += size + (blockChecksum ? 4 : 0);
      let out: Buffer;
      if ((word & 0x80000000) !== 0) {
        out = block; // stored uncompressed
      } else {
        const capacity = Math.min(blockMax, maxBytes - total);
        const framed = Buffer.allocUnsafe(4 + size);
        framed.writeUInt32LE(capacity, 0);
        block.copy(framed, 4);
        const dict = independent || chunks.length === frameStart ? undefined : lz4Dictionary(chunks, frameStart);
        try {
          out = lz4UncompressBlock(framed, dict);
        } catch (err) {
          if (capacity < blockMax && /too small/.test((err as Error).message)) throw tooLarge(CompressionCodec.lz4, `more than ${maxBytes}`, maxBytes);
          throw err;
        }
      }
      total += out.length;
      if (total > maxBytes) throw tooLarge(CompressionCodec.lz4, `more than ${maxBytes}`, maxBytes);
      chunks.push(out);
    }
    if (contentChecksum) {
      need(4);
      pos += 4;
    }
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function lz4UncompressBlock(framed: Buffer, dict: Buffer | undefined): Buffer {
  return dict === undefined ? lz4UncompressSync(framed) : lz4UncompressSync(framed, dict);
}

/** The last 64 KiB decoded so far in this frame: the window a linked block may refer to. */
function lz4Dictionary(chunks: Buffer[], frameStart: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (let i = chunks.length - 1; i >= frameStart && size < LZ4_DICT_SIZE; i--) {
    parts.unshift(chunks[i]!);
    size += chunks[i]!.length;
  }
  const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  return joined.length > LZ4_DICT_SIZE ? joined.subarray(joined.length - LZ4_DICT_SIZE) : joined;
}

// --- zstd -------------------------------------------------------------------------------------

const ZSTD_MAGIC = 0xfd2fb528;

/** A zstd frame's declared content size, or -1 when the header leaves it out. */
function zstdFrameContentSize(buf: Buffer): number {
  if (buf.length < 6 || buf.readUInt32LE(0) !== ZSTD_MAGIC) throw new CompressionError(CompressionCodec.zstd, 'zstd data does not start with a zstd frame (magic 28 B5 2F FD)');
  const fhd = buf[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  const dictIdFlag = fhd & 0x03;
  let pos = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [1, 2, 4, 8][fcsFlag]!;
  if (fcsSize === 0) return -1;
  if (pos + fcsSize > buf.length) throw new CompressionError(CompressionCodec.zstd, 'zstd frame header is truncated');
  switch (fcsSize) {
    case 1:
      return buf[pos]!;
    case 2:
      return buf.readUInt16LE(pos) + 256;
    case 4:
      return buf.readUInt32LE(pos);
    default:
      return Number(buf.readBigUInt64LE(pos));
  }
}

function zstdDecompress(input: Buffer, maxBytes: number): Buffer {
  const mod = zstdModule();
  const declared = zstdFrameContentSize(input);
  if (declared > maxBytes) throw tooLarge(CompressionCodec.zstd, declared, maxBytes);
  if (declared >= 0) return asBuffer(mod.decompress(input, { defaultHeapSize: declared }));
  // No declared size (streaming encoders): grow the output capacity up to maxBytes. ZSTD_decompress
  // fails cleanly ("destination too small") when the capacity is short, so nothing overflows.
  let capacity = Math.min(maxBytes, Math.max(64 << 10, input.length * 8));
  for (;;) {
    try {
      return asBuffer(mod.decompress(input, { defaultHeapSize: Math.max(1, capacity) }));
    } catch (err) {
      if (capacity >= maxBytes) throw new CompressionError(CompressionCodec.zstd, `zstd data is corrupt or decompresses to more than the limit of ${maxBytes} bytes (${(err as Error).message})`);
      capacity = Math.min(maxBytes, capacity * 4);
    }
  }
}
