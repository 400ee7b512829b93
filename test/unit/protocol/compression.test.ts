// Kafka record-batch codecs: round trips for every codec, cross-checks against KafkaJS's gzip
// codec and kafkajs-snappy (an independent snappy implementation, snappyjs), xerial framing,
// zstd frames without a content size, bounded decompression and clear errors.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compressSync as lz4BlockCompress } from 'lz4-napi';
import { compressSync as snappyRawCompress } from 'snappy';
import {
  COMPRESSION_NAMES,
  CompressionCodec,
  CompressionError,
  codecFromName,
  codecsReady,
  compress,
  compressAsync,
  decompress,
  decompressAsync,
} from '../../../src/protocol/compression.js';

const require = createRequire(import.meta.url);
interface KafkaJsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
const kafkajsGzip = require('kafkajs/src/protocol/message/compression/gzip.js') as KafkaJsCodec;
const kafkajsSnappy = (require('kafkajs-snappy') as () => KafkaJsCodec)();

const MB = 1 << 20;
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/** Java-client style xerial snappy: header, then [int32 BE length][raw snappy] per block. */
function xerialFrame(data: Buffer, blockSize: number): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let pos = 0; pos < data.length; pos += blockSize) {
    const block = snappyRawCompress(data.subarray(pos, pos + blockSize));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function sample(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 7)) % 251 < 200 ? 97 + (i % 7) : (i * 7919) & 0xff;
  return out;
}

beforeAll(async () => {
  await codecsReady();
});

describe('compression', () => {
  it('round-trips every codec, empty and large inputs included', () => {
    for (const name of COMPRESSION_NAMES) {
      const codec = codecFromName(name);
      for (const size of [0, 1, 100, 70_000, 2 * MB]) {
        const data = sample(size);
        const packed = compress(codec, data);
        if (name !== 'none' && size >= 100) expect(packed.length).toBeLessThan(data.length);
        expect(decompress(codec, packed, size).equals(data)).toBe(true);
      }
    }
  });

  it('round-trips arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3, 4), fc.uint8Array({ maxLength: 5000 }), (codec, bytes) => {
        const data = Buffer.from(bytes);
        expect(decompress(codec, compress(codec, data), data.length).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('async variants initialise zstd themselves', async () => {
    const data = sample(10_000);
    const packed = await compressAsync(CompressionCodec.zstd, data);
    expect((await decompressAsync(CompressionCodec.zstd, packed, MB)).equals(data)).toBe(true);
  });

  it('writes the formats Kafka clients expect (gzip, raw snappy, LZ4 frame, zstd frame magics)', () => {
    const data = sample(1000);
    expect([...compress(CompressionCodec.gzip, data).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(compress(CompressionCodec.snappy, data).subarray(0, 8).equals(XERIAL_MAGIC)).toBe(false);
    expect(compress(CompressionCodec.lz4, data).readUInt32LE(0)).toBe(0x184d2204);
    expect(compress(CompressionCodec.zstd, data).readUInt32LE(0)).toBe(0xfd2fb528);
  });

  it('agrees with KafkaJS gzip in both directions', async () => {
    const data = sample(50_000);
    expect((await kafkajsGzip.decompress(compress(CompressionCodec.gzip, data))).equals(data)).toBe(true);
    const theirs = await kafkajsGzip.compress({ buffer: data });
    expect(decompress(CompressionCodec.gzip, theirs, data.length).equals(data)).toBe(true);
  });

  it('agrees with kafkajs-snappy (snappyjs) in both directions, raw and xerial', async () => {
    const data = sample(100_000);
    expect((await kafkajsSnappy.decompress(compress(CompressionCodec.snappy, data))).equals(data)).toBe(true);
    const theirs = await kafkajsSnappy.compress({ buffer: data });
    expect(decompress(CompressionCodec.snappy, theirs, data.length).equals(data)).toBe(true);
    const xerial = xerialFrame(data, 32 * 1024);
    expect((await kafkajsSnappy.decompress(xerial)).equals(data)).toBe(true);
    expect(decompress(CompressionCodec.snappy, xerial, data.length).equals(data)).toBe(true);
  });

  it('decodes xerial framing with one block, many blocks and no blocks', () => {
    const data = sample(10_000);
    expect(decompress(CompressionCodec.snappy, xerialFrame(data, 1 << 20), MB).equals(data)).toBe(true);
    expect(decompress(CompressionCodec.snappy, xerialFrame(data, 777), MB).equals(data)).toBe(true);
    expect(decompress(CompressionCodec.snappy, xerialFrame(Buffer.alloc(0), 10), MB).length).toBe(0);
  });

  it('rejects truncated xerial framing with a message naming snappy', () => {
    const xerial = xerialFrame(sample(10_000), 4096);
    expect(() => decompress(CompressionCodec.snappy, xerial.subarray(0, xerial.length - 10), MB)).toThrow(/snappy \(xerial\) block .* runs past the end/);
    expect(() => decompress(CompressionCodec.snappy, Buffer.concat([xerial, Buffer.from([0, 0])]), MB)).toThrow(/snappy \(xerial\) data is truncated/);
  });

  it('decodes zstd frames that omit the content size (as streaming encoders write them)', () => {
    const data = sample(300_000);
    const frame = compress(CompressionCodec.zstd, data);
    // Rewrite the header: no single-segment flag, no content size, a 1 MiB window descriptor.
    const fhd = frame[4]!;
    const fcsSize = [fhd & 0x20 ? 1 : 0, 2, 4, 8][fhd >> 6]!;
    const headerEnd = 5 + (fhd & 0x20 ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + fcsSize;
    const noSize = Buffer.concat([frame.subarray(0, 4), Buffer.from([fhd & 0x04, 10 << 3]), frame.subarray(headerEnd)]);
    expect(decompress(CompressionCodec.zstd, noSize, MB).equals(data)).toBe(true);
    expect(() => decompress(CompressionCodec.zstd, noSize, 100_000)).toThrow(CompressionError);
  });

  it('decodes LZ4 frames with linked blocks, block checksums and a content size', () => {
    const data = sample(150_000);
    const first = data.subarray(0, 65_536);
    const second = data.subarray(65_536);
    const le32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    };
    // Block format with a 4-byte size prefix; the second block refers back to the first.
    const b1 = lz4BlockCompress(first).subarray(4);
    const b2 = lz4BlockCompress(second, first).subarray(4);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(data.length));
    // FLG: version 01, linked blocks, block checksums, content size; BD: 256 KiB blocks.
    const frame = Buffer.concat([le32(0x184d2204), Buffer.from([0x40 | 0x10 | 0x08, 0x50]), size, Buffer.from([0]),
      le32(b1.length), b1, le32(0), le32(b2.length), b2, le32(0), le32(0)]);
    expect(decompress(CompressionCodec.lz4, frame, data.length).equals(data)).toBe(true);
    expect(() => decompress(CompressionCodec.lz4, frame, data.length - 1)).toThrow(/at least 150000 bytes|more than the limit/);
  });

  it('bounds the decompressed size for every codec before allocating it', () => {
    const data = Buffer.alloc(4 * MB, 0); // compresses to a few KiB
    for (const codec of [1, 2, 3, 4]) {
      const packed = compress(codec, data);
      expect(packed.length).toBeLessThan(300_000);
      expect(() => decompress(codec, packed, MB)).toThrow(/more than the limit of 1048576/);
      expect(decompress(codec, packed, 4 * MB).length).toBe(4 * MB);
    }
    expect(() => decompress(CompressionCodec.none, data, MB)).toThrow(/more than the limit/);
    expect(() => decompress(CompressionCodec.snappy, xerialFrame(data, 64 * 1024), MB)).toThrow(/more than the limit/);
  });

  it('rejects a hostile declared size without trusting it', () => {
    // raw snappy declaring 2^32-1 bytes; zstd declaring 2^40 bytes.
    const snappyLie = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(() => decompress(CompressionCodec.snappy, snappyLie, MB)).toThrow(/4294967295 bytes, more than the limit/);
    const zstdLie = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(() => decompress(CompressionCodec.zstd, zstdLie, MB)).toThrow(/1099511627776 bytes, more than the limit/);
  });

  it('turns corrupt input into a CompressionError naming the codec', () => {
    const garbage = Buffer.from('this is not compressed at all, not in any format');
    const names: Record<number, RegExp> = { 1: /gzip \(1\)/, 2: /snappy/, 3: /lz4/, 4: /zstd/ };
    for (const codec of [1, 2, 3, 4]) {
      let caught: unknown;
      try {
        decompress(codec, garbage, MB);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CompressionError);
      expect((caught as CompressionError).codec).toBe(codec);
      expect((caught as Error).message).toMatch(names[codec]!);
    }
    const lz4 = compress(CompressionCodec.lz4, sample(10_000));
    expect(() => decompress(CompressionCodec.lz4, lz4.subarray(0, lz4.length - 3), MB)).toThrow(/lz4 frame is truncated/);
    const gz = gzipSync(sample(1000));
    expect(() => decompress(CompressionCodec.gzip, gz.subarray(0, 20), MB)).toThrow(CompressionError);
  });

  it('names an unknown codec id, in both directions', () => {
    expect(() => compress(5, Buffer.from('x'))).toThrow(/unknown compression codec 5/);
    expect(() => decompress(7, Buffer.from('x'), 10)).toThrow(/unknown compression codec 7/);
    expect(() => codecFromName('brotli')).toThrow(/unknown compression "brotli" \(none, gzip, snappy, lz4, zstd\)/);
    expect(() => codecFromName('toString')).toThrow(/unknown compression/);
  });
});
