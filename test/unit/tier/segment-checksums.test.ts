// Thread: test. Chunk CRC encoding and the checks the read path runs (src/tier/segment-checksums.ts).
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/protocol/crc32c.js';
import { checkChunk, checkObject, chunkCount, decodeChunkCrcs, encodeChunkCrcs } from '../../../src/tier/segment-checksums.js';

describe('segment checksums', () => {
  it('round-trips chunk CRCs through the manifest encoding, including values above 2^31', () => {
    const crcs = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xe3069283];
    const encoded = encodeChunkCrcs(crcs);
    expect(Buffer.from(encoded, 'base64').length).toBe(crcs.length * 4);
    expect([...decodeChunkCrcs(encoded)]).toEqual(crcs);
  });

  it('counts chunks', () => {
    expect(chunkCount(0, 4)).toBe(0);
    expect(chunkCount(4, 4)).toBe(1);
    expect(chunkCount(5, 4)).toBe(2);
  });

  it('accepts the chunk as uploaded and names what differs otherwise', () => {
    const a = Buffer.from('chunk zero');
    const b = Buffer.from('chunk one!');
    const expected = { chunkBytes: 10, crcs: Uint32Array.from([crc32c(a) >>> 0, crc32c(b) >>> 0]) };
    expect(checkChunk(a, 0, expected)).toBeNull();
    expect(checkChunk(b, 1, expected)).toBeNull();
    const flipped = Buffer.from(b);
    flipped[3] ^= 0x01;
    expect(checkChunk(flipped, 1, expected)).toMatch(/^chunk 1 \(10 bytes at 10\) has CRC-32C 0x[0-9a-f]{8}, uploaded as 0x[0-9a-f]{8}$/);
    expect(checkChunk(a, 2, expected)).toMatch(/beyond the 2 checksummed chunks/);
  });

  it('checks whole objects', () => {
    const data = Buffer.from('123456789');
    expect(checkObject(data, 0xe3069283)).toBeNull();
    expect(checkObject(data, 0xe3069282)).toMatch(/CRC-32C 0xe3069283, uploaded as 0xe3069282/);
  });
});
