// Thread: either. CRC-32C (Castagnoli), the checksum of RecordBatch v2 (covers attributes..end).
// Backed by fast-crc32c, which picks the native SSE4.2 binding (sse4_crc32) when it loads and
// falls back to a table-driven JS implementation otherwise.
import { createRequire } from 'node:module';
import crc from 'fast-crc32c';

const calculate = crc.calculate;

/** CRC-32C of `buf`; pass a previous result as `initial` to continue over a second buffer. */
export function crc32c(buf: Uint8Array, initial?: number): number {
  return initial === undefined ? calculate(buf) : calculate(buf, initial);
}

function detectImplementation(): string {
  try {
    const require = createRequire(import.meta.url);
    const native = require('sse4_crc32') as { calculate?: unknown; hardware_support?: boolean };
    if (native.calculate === calculate) {
      return native.hardware_support === false ? 'native table (sse4_crc32, no SSE4.2)' : 'native sse4.2 (sse4_crc32)';
    }
  } catch {
    // native binding not installed or failed to load: fast-crc32c uses its JS fallback
  }
  return 'js fallback (fast-crc32c table)';
}

/** Which backend computes CRC-32C in this process, for logs and benchmarks. */
export const crc32cImplementation: string = detectImplementation();
