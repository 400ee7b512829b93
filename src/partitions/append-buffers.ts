// Thread: main. How an append's record batches cross to a worker thread: one transferable
// ArrayBuffer plus a slice table (pooled Buffers cannot be transferred). Either the request
// frame's own buffer, described in place, or one fresh copy holding the items back to back.
import type { AppendItem } from '../ipc/tasks.js';
import type { PartitionId } from '../ipc/partition-id.js';

export interface AppendRequestItem {
  key: PartitionId;
  records: Buffer;
}

export interface AppendSlices {
  buffer: ArrayBuffer;
  sliceTable: AppendItem[];
}

/** True when every item lies in `owned` (a frame buffer nothing else shares), so it can be transferred as is. */
export function canTransferInPlace(items: readonly AppendRequestItem[], owned: ArrayBuffer | undefined): owned is ArrayBuffer {
  return owned !== undefined && owned.byteLength > 0 && items.every((i) => i.records.buffer === owned);
}

/** The items already live in `buffer` (the request frame's own): describe where. */
export function sliceInPlace(items: readonly AppendRequestItem[], buffer: ArrayBuffer): AppendSlices {
  return { buffer, sliceTable: items.map((i) => ({ key: i.key, offset: i.records.byteOffset, length: i.records.length })) };
}

/** One fresh, unpooled, not zero-filled buffer holding the items back to back. */
export function copyIntoFreshBuffer(items: readonly AppendRequestItem[]): AppendSlices {
  let total = 0;
  for (const item of items) total += item.records.length;
  const view = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  const sliceTable = items.map((item) => {
    view.set(item.records, offset);
    const slice = { key: item.key, offset, length: item.records.length };
    offset += item.records.length;
    return slice;
  });
  return { buffer: view.buffer as ArrayBuffer, sliceTable };
}
