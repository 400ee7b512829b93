// Thread: either. The one identity of a partition log across the router, the worker slots and
// tiered storage: `${topicId}:${partition}`. Branded so that an arbitrary string (a topic name,
// a path) cannot be passed where a partition is meant; build one only with partitionId().

export type PartitionId = string & { readonly __brand: 'PartitionId' };

/** topicId: 32 lowercase hex characters; partition: 0-based index. */
export function partitionId(topicId: string, partition: number): PartitionId {
  return `${topicId}:${partition}` as PartitionId;
}

/** The topic id and partition index a PartitionId was built from. */
export function parsePartitionId(id: PartitionId): { topicId: string; partition: number } {
  const colon = id.lastIndexOf(':');
  return { topicId: id.slice(0, colon), partition: Number(id.slice(colon + 1)) };
}
