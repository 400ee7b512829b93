// Thread: either. Type declaration for the untyped CJS package fast-crc32c.
declare module 'fast-crc32c' {
  interface Crc32c {
    /** CRC-32C (Castagnoli) of buf, continuing from `initial` (a previous result) when given. */
    calculate(buf: Uint8Array | string, initial?: number): number;
  }
  const crc: Crc32c;
  export default crc;
}
