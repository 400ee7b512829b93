// Thread: main (CLI process). `strata cluster [show]`: the brokers of the cluster as Metadata
// reports them (any Kafka-compatible cluster), the controller, and how many partitions each
// broker leads; with --topic T, the leader of every partition of T and whether it can move
// between brokers (its topic has remote.storage.enable=true: the data moves through the bucket;
// a partition of a topic without remote storage stays on its broker, and is offline while that
// broker is gone). `strata cluster move TOPIC P --broker N` asks the controller to move a
// partition (AlterPartitionReassignments, as Kafka's kafka-reassign-partitions does).
import type { Options } from '../args.js';
import type { KafkaClient } from '../client/kafka-client.js';
import { CliError } from '../client/connection.js';
import { json, out, table, type OutputFormat } from '../output.js';

export async function clusterCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const [action = 'show', topic, partitionArg] = o.positional;
  if (action === 'move') return moveCommand(client, o, format, topic, partitionArg);
  if (action !== 'show') throw new CliError(`strata cluster: unknown action "${action}" (show or move)`, 'STRATA_ERR_CLI_USAGE');
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
  let movable = false;
  if (topicFilter !== undefined && md.topics.some((t) => t.errorCode === 0)) {
    const configs = await client.describeTopicConfigs(topicFilter).catch(() => []);
    movable = configs.find((c) => c.name === 'remote.storage.enable')?.value === 'true';
  }
  const partitions = topicFilter === undefined ? [] : md.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, leader: p.leader, movable, errorCode: p.errorCode })));
  if (format === 'json') {
    out(json({ clusterId: md.clusterId, controllerId: md.controllerId, brokers, offlinePartitions: offline, ...(topicFilter !== undefined ? { partitions } : {}) }) + '\n');
    return;
  }
  out(`cluster ${md.clusterId ?? '-'}, controller ${md.controllerId}, ${brokers.length} broker(s), ${offline} offline partition(s)\n`);
  out(table(['NODE', 'ADDRESS', 'CONTROLLER', 'PARTITIONS-LED'], brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`, b.controller ? 'yes' : '', b.partitionsLed])));
  if (topicFilter !== undefined) {
    out(table(['TOPIC', 'PARTITION', 'LEADER', 'MOVES'], partitions.map((p) => [p.topic, p.partition, p.leader < 0 ? 'offline' : p.leader, p.movable ? 'through the bucket' : 'no: stays on its broker (no remote storage)'])));
  }
}

async function moveCommand(client: KafkaClient, o: Options, format: OutputFormat, topic: string | undefined, partitionArg: string | undefined): Promise<void> {
  const broker = o.int('broker', 0);
  o.rejectUnknown('cluster move');
  const partition = Number(partitionArg);
  if (topic === undefined || partitionArg === undefined || !Number.isInteger(partition) || partition < 0) throw new CliError('usage: strata cluster move TOPIC PARTITION --broker N', 'STRATA_ERR_CLI_USAGE');
  if (broker === undefined) throw new CliError('strata cluster move: --broker N is required', 'STRATA_ERR_CLI_USAGE');
  await client.reassignPartition(topic, partition, [broker]);
  if (format === 'json') return out(json({ topic, partition, broker, requested: true }) + '\n');
  out(`asked the controller to move ${topic}-${partition} to broker ${broker}; \`strata cluster --topic ${topic}\` shows when it is there\n`);
}
