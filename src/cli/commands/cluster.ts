// Thread: main (CLI process). `strata cluster [show]`: the brokers of the cluster as Metadata
// reports them (any Kafka-compatible cluster), the controller, and how many partitions each
// broker leads; with --topic T, the leader of every partition of T. Partitions that have no
// leader (their broker is gone: a partition of a topic without remote storage stays on its
// broker) are counted as offline.
import type { Options } from '../args.js';
import type { KafkaClient } from '../client/kafka-client.js';
import { json, out, table, type OutputFormat } from '../output.js';

export async function clusterCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const topicFilter = o.str('topic');
  o.rejectUnknown('cluster');
  const md = await client.metadata(topicFilter === undefined ? undefined : [topicFilter]);
  const led = new Map<number, number>();
  let offline = 0;
  for (const t of md.topics) {
    for (const p of t.partitions) {
      if (p.leader < 0) offline++;
      else led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
    }
  }
  const brokers = [...md.brokers].sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, controller: b.nodeId === md.controllerId, partitionsLed: led.get(b.nodeId) ?? 0 }));
  const partitions = topicFilter === undefined ? [] : md.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, leader: p.leader, errorCode: p.errorCode })));
  if (format === 'json') {
    out(json({ clusterId: md.clusterId, controllerId: md.controllerId, brokers, offlinePartitions: offline, ...(topicFilter !== undefined ? { partitions } : {}) }) + '\n');
    return;
  }
  out(`cluster ${md.clusterId ?? '-'}, controller ${md.controllerId}, ${brokers.length} broker(s), ${offline} offline partition(s)\n`);
  out(table(['NODE', 'ADDRESS', 'CONTROLLER', 'PARTITIONS-LED'], brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`, b.controller ? 'yes' : '', b.partitionsLed])));
  if (topicFilter !== undefined) out(table(['TOPIC', 'PARTITION', 'LEADER'], partitions.map((p) => [p.topic, p.partition, p.leader < 0 ? 'offline' : p.leader])));
}
