import { describe, expect, it } from 'vitest';
import { segmentsToDelete } from '../../../workers/retention.js';

const seg = (size: number, largestTimestamp: number) => ({ size, largestTimestamp: () => largestTimestamp });

describe('segmentsToDelete', () => {
  it('keeps everything with unlimited retention', () => {
    expect(segmentsToDelete([seg(10, 0), seg(10, 0)], 30, { retentionMs: -1, retentionBytes: -1 }, 1e12)).toBe(0);
  });

  it('deletes the leading run older than retention.ms', () => {
    const sealed = [seg(10, 100), seg(10, 200), seg(10, 900), seg(10, 150)];
    expect(segmentsToDelete(sealed, 50, { retentionMs: 500, retentionBytes: -1 }, 1000)).toBe(2);
    // exactly retention.ms old is kept (Kafka: now - ts > retention.ms)
    expect(segmentsToDelete([seg(10, 500)], 20, { retentionMs: 500, retentionBytes: -1 }, 1000)).toBe(0);
  });

  it('deletes while size - segment.size >= retention.bytes', () => {
    const sealed = [seg(10, 0), seg(10, 0), seg(10, 0)];
    // total 35 (5 in the active segment), retention 20: 35-10=25>=20 delete, 25-10=15<20 stop
    expect(segmentsToDelete(sealed, 35, { retentionMs: -1, retentionBytes: 20 }, 0)).toBe(1);
    expect(segmentsToDelete(sealed, 35, { retentionMs: -1, retentionBytes: 15 }, 0)).toBe(2);
    expect(segmentsToDelete(sealed, 35, { retentionMs: -1, retentionBytes: 0 }, 0)).toBe(3);
  });

  it('applies the size rule after the time rule', () => {
    const sealed = [seg(10, 0), seg(10, 990), seg(10, 995)];
    expect(segmentsToDelete(sealed, 40, { retentionMs: 100, retentionBytes: 20 }, 1000)).toBe(2);
  });

  it('reads timestamps lazily, only as far as the rule reaches', () => {
    let reads = 0;
    const lazy = (ts: number) => ({ size: 1, largestTimestamp: () => (reads++, ts) });
    segmentsToDelete([lazy(0), lazy(999), lazy(0), lazy(0)], 4, { retentionMs: 100, retentionBytes: -1 }, 1000);
    expect(reads).toBe(2);
  });
});
