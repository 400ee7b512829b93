// bench/alloc.mjs: bytes allocated per isolate from `node --trace-gc` lines.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs bench module without types
import { allocatedPerIsolate } from '../../../bench/alloc.mjs';

describe('bench/alloc.mjs', () => {
  it('sums before(n) - after(n-1) per isolate, keeping isolates apart', () => {
    const lines = [
      '[100:0x1]      10 ms: Scavenge 10.0 (12.0) -> 4.0 (13.0) MB, 0.5 / 0.0 ms  (average mu = 1.000) allocation failure;',
      '[100:0x2]      11 ms: Scavenge 3.0 (4.0) -> 1.0 (5.0) MB, 0.2 / 0.0 ms  allocation failure;',
      'a pino line that is not a GC',
      '[100:0x1]      20 ms: Scavenge 12.5 (14.0) -> 4.5 (14.0) MB, 0.5 / 0.0 ms  allocation failure;',
      '[100:0x1]      30 ms: Mark-Compact 20.5 (22.0) -> 30.0 (31.0) MB, 5.0 / 0.0 ms  (average mu = 0.9) finalize incremental marking;',
      '[100:0x2]      31 ms: Scavenge 2.5 (4.0) -> 1.0 (5.0) MB, 0.2 / 0.0 ms  allocation failure;',
    ];
    expect(allocatedPerIsolate(lines)).toEqual([
      // 0x1: (12.5 - 4.0) + (20.5 - 4.5); its largest heap after a GC is 30.0 MB
      { isolate: '0x1', gcs: 3, allocatedMB: 24.5, maxHeapAfterGcMB: 30 },
      { isolate: '0x2', gcs: 2, allocatedMB: 1.5, maxHeapAfterGcMB: 1 },
    ]);
  });
});
