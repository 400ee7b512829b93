// Thread: main. Which live broker coordinates a consumer group in cluster mode: the group id's
// FNV-1a hash over the live brokers sorted by node id. Every broker computes the same answer
// from the same membership view; when the live brokers change, some groups move to another
// coordinator, which loads their offsets from Redis, and their members rejoin (at most a
// rebalance — group membership itself lives in the coordinator's memory).
export function coordinatorFor(groupId: string, liveNodeIds: readonly number[]): number | undefined {
  if (liveNodeIds.length === 0) return undefined;
  const sorted = [...liveNodeIds].sort((a, b) => a - b);
  return sorted[fnv1a(groupId) % sorted.length];
}

/** 32-bit FNV-1a of the UTF-16 code units (stable across processes and versions). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
