// Thread: main. The console's brokers page: brokers and controller from Metadata (what a Kafka
// client sees), partitions led per broker counted from the same answer, and this broker's
// cluster counters (single broker: itself, as its own controller).
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { BrokerView } from './broker-view.js';
import type { ConsoleKafka } from './console-kafka.js';

export interface ClusterOverview {
  clusterId: string | null;
  mode: 'single' | 'cluster';
  controllerId: number;
  self: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null; controller: boolean; self: boolean; partitionsLed: number }>;
  topics: number;
  partitions: number;
  partitionsWithoutLeader: number;
}

export async function clusterOverview(kafka: ConsoleKafka, view: BrokerView): Promise<ClusterOverview> {
  const md = await kafka.metadata(null);
  const led = new Map<number, number>();
  let partitions = 0;
  let withoutLeader = 0;
  const live = new Set(md.brokers.map((b) => b.nodeId));
  for (const t of md.topics) {
    if (t.errorCode !== ErrorCode.NONE) continue;
    for (const p of t.partitions) {
      partitions++;
      if (p.leaderId < 0 || !live.has(p.leaderId)) withoutLeader++;
      else led.set(p.leaderId, (led.get(p.leaderId) ?? 0) + 1);
    }
  }
  return {
    clusterId: md.clusterId,
    mode: view.clusterStats() === undefined ? 'single' : 'cluster',
    controllerId: md.controllerId,
    self: view.nodeId,
    brokers: md.brokers
      .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack, controller: b.nodeId === md.controllerId, self: b.nodeId === view.nodeId, partitionsLed: led.get(b.nodeId) ?? 0 }))
      .sort((a, b) => a.nodeId - b.nodeId),
    topics: md.topics.length,
    partitions,
    partitionsWithoutLeader: withoutLeader,
  };
}
