// Thread: main (CLI process). `strata topics list | describe | create | delete | alter`.
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import { EARLIEST, LATEST, type KafkaClient } from '../client/kafka-client.js';
import { json, out, table, type OutputFormat } from '../output.js';

export async function topicsCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const [action, name] = o.positional;
  const need = () => {
    if (!name) throw new CliError(`strata topics ${action}: missing TOPIC`, 'STRATA_ERR_CLI_USAGE');
    return name;
  };
  switch (action) {
    case 'list':
    case undefined: {
      o.rejectUnknown();
      const md = await client.metadata();
      const topics = md.topics.filter((t) => !t.isInternal).map((t) => ({ name: t.name, partitions: t.partitions.length }));
      out(format === 'json' ? json(topics) + '\n' : table(['TOPIC', 'PARTITIONS'], topics.map((t) => [t.name, t.partitions])));
      return;
    }
    case 'describe': {
      const topic = need();
      o.rejectUnknown();
      const t = await client.topic(topic);
      const ps = t.partitions.map((p) => p.partition);
      const [earliest, latest, configs] = await Promise.all([client.listOffsets(topic, ps, EARLIEST), client.listOffsets(topic, ps, LATEST), client.describeTopicConfigs(topic)]);
      const partitions = t.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        logStartOffset: earliest.get(p.partition) ?? -1n,
        logEndOffset: latest.get(p.partition) ?? -1n,
      }));
      const overrides = configs.filter((c) => !c.isDefault);
      if (format === 'json') {
        out(json({ name: topic, topicId: t.topicId, partitions, configs: Object.fromEntries(configs.map((c) => [c.name, c.value])), overrides: Object.fromEntries(overrides.map((c) => [c.name, c.value])) }) + '\n');
        return;
      }
      out(`Topic: ${topic}  TopicId: ${t.topicId}  Partitions: ${partitions.length}\n`);
      out(`Configs: ${overrides.length ? overrides.map((c) => `${c.name}=${c.value}`).join(', ') : '(defaults)'}\n`);
      out(table(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOG-START', 'LOG-END'], partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.logStartOffset, p.logEndOffset])));
      return;
    }
    case 'create': {
      const topic = need();
      const partitions = o.int('partitions', 1) ?? -1;
      const rf = o.int('replication-factor', 1) ?? -1;
      const configs = o.pairs('config');
      o.rejectUnknown();
      const r = await client.createTopic(topic, partitions, rf, configs);
      out(format === 'json' ? json({ created: topic, partitions: r.partitions }) + '\n' : `Created topic ${topic} (${r.partitions} partition${r.partitions === 1 ? '' : 's'}).\n`);
      return;
    }
    case 'delete': {
      const topic = need();
      o.rejectUnknown();
      await client.deleteTopic(topic);
      out(format === 'json' ? json({ deleted: topic }) + '\n' : `Deleted topic ${topic}.\n`);
      return;
    }
    case 'alter': {
      const topic = need();
      const set: Record<string, string | null> = o.pairs('config');
      for (const k of o.all('delete-config')) for (const key of k.split(',')) set[key.trim()] = null;
      const partitions = o.int('partitions', 1);
      o.rejectUnknown();
      if (Object.keys(set).length === 0 && partitions === undefined) throw new CliError('strata topics alter: give --config k=v, --delete-config k or --partitions N', 'STRATA_ERR_CLI_USAGE');
      if (Object.keys(set).length > 0) await client.alterTopicConfigs(topic, set);
      if (partitions !== undefined) await client.createPartitions(topic, partitions);
      if (format === 'json') out(json({ altered: topic, configs: set, ...(partitions !== undefined ? { partitions } : {}) }) + '\n');
      else out(`Altered topic ${topic}${Object.keys(set).length ? `: ${Object.entries(set).map(([k, v]) => (v === null ? `${k} (default)` : `${k}=${v}`)).join(', ')}` : ''}${partitions !== undefined ? `; partitions → ${partitions}` : ''}.\n`);
      return;
    }
    default:
      throw new CliError(`strata topics: unknown action "${action}" (list, describe, create, delete, alter)`, 'STRATA_ERR_CLI_USAGE');
  }
}
