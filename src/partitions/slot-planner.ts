// Thread: main. Splits one request's items by owning slot and puts the slots' answers back in
// request order (as Redpanda's fetch_planner groups a fetch's reads by shard). Pure.
import type { PartitionId } from '../ipc/partition-id.js';

/** Item indexes grouped by owning slot, each group in request order. `slotOf` throws for unplaced items. */
export function planBySlot<I extends { key: PartitionId }>(items: readonly I[], slotOf: (id: PartitionId) => number): Map<number, number[]> {
  const plan = new Map<number, number[]>();
  items.forEach((item, index) => {
    const slot = slotOf(item.key);
    let group = plan.get(slot);
    if (!group) plan.set(slot, (group = []));
    group.push(index);
  });
  return plan;
}

/** Runs each slot's share concurrently and returns the results in item order. */
export async function runPlanned<I extends { key: PartitionId }, R>(
  items: readonly I[],
  slotOf: (id: PartitionId) => number,
  runSlot: (slot: number, slotItems: I[]) => Promise<R[]>,
): Promise<R[]> {
  // One item, or all on one slot (a small request): hand them over as they are.
  const first = items.length > 0 ? slotOf(items[0]!.key) : 0;
  let oneSlot = true;
  for (let i = 1; i < items.length && oneSlot; i++) oneSlot = slotOf(items[i]!.key) === first;
  if (oneSlot) {
    if (items.length === 0) return [];
    const slotResults = await runSlot(first, items as I[]);
    if (slotResults.length !== items.length) throw new Error(`slot ${first} answered ${slotResults.length} results for ${items.length} items`);
    return slotResults;
  }
  const results = new Array<R>(items.length);
  await Promise.all(
    [...planBySlot(items, slotOf)].map(async ([slot, indexes]) => {
      const slotResults = await runSlot(slot, indexes.map((i) => items[i]!));
      if (slotResults.length !== indexes.length) throw new Error(`slot ${slot} answered ${slotResults.length} results for ${indexes.length} items`);
      indexes.forEach((itemIndex, j) => (results[itemIndex] = slotResults[j]!));
    }),
  );
  return results;
}
