// Thread: vitest test worker. The broker's /admin placement API (src/http/admin-api.ts) as the
// tests use it: read which slot holds each partition, move one by hand.
import { httpPortOf } from './metrics.js';
import type { BrokerHandle } from './broker.js';

export interface PlacementView {
  slots: Array<{ slot: number; retiring: boolean; utilization: number; partitions: Array<{ topic: string; partition: number; bytesPerSec: number }> }>;
  moving: number;
  movesTotal: number;
}

export async function getPlacement(broker: BrokerHandle): Promise<PlacementView> {
  const res = await fetch(`http://127.0.0.1:${httpPortOf(broker)}/admin/placement`);
  if (res.status !== 200) throw new Error(`GET /admin/placement: ${res.status} ${await res.text()}`);
  return (await res.json()) as PlacementView;
}

/** The slot holding topic-partition, or undefined. */
export function slotOf(view: PlacementView, topic: string, partition: number): number | undefined {
  return view.slots.find((s) => s.partitions.some((p) => p.topic === topic && p.partition === partition))?.slot;
}

export async function movePartition(broker: BrokerHandle, topic: string, partition: number, slot: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${httpPortOf(broker)}/admin/placement/moves`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, partition, slot }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
