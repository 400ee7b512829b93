// Thread: main (CLI process). `strata groups list | describe | reset-offsets | delete`.
// Lag = log end offset (ListOffsets latest) − committed offset (OffsetFetch), per partition.
// reset-offsets commits as a standalone consumer (generation -1), so, as with Kafka's tool,
// the group must have no active members; without --execute it only prints the plan.
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import { EARLIEST, LATEST, type KafkaClient } from '../client/kafka-client.js';
import { json, out, table, type OutputFormat } from '../output.js';

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: bigint | null;
  logEndOffset: bigint;
  lag: bigint | null;
  memberId: string | null;
  clientId: string | null;
}

export async function groupLag(client: KafkaClient, groupId: string, owners: Map<string, { memberId: string; clientId: string }>): Promise<PartitionLag[]> {
  const committed = await client.fetchCommitted(groupId, null);
  const topics = new Set<string>(committed.keys());
  for (const k of owners.keys()) topics.add(k.slice(0, k.lastIndexOf(':')));
  const rows: PartitionLag[] = [];
  for (const topic of [...topics].sort()) {
    let partitions: number[];
    try {
      partitions = (await client.topic(topic)).partitions.map((p) => p.partition);
    } catch {
      continue; // deleted topic
    }
    const ends = await client.listOffsets(topic, partitions, LATEST);
    for (const p of partitions) {
      const c = committed.get(topic)?.get(p);
      const owner = owners.get(`${topic}:${p}`);
      if ((c === undefined || c < 0n) && !owner) continue;
      const end = ends.get(p) ?? -1n;
      const has = c !== undefined && c >= 0n;
      rows.push({ topic, partition: p, committedOffset: has ? c : null, logEndOffset: end, lag: has ? (end - c > 0n ? end - c : 0n) : null, memberId: owner?.memberId ?? null, clientId: owner?.clientId ?? null });
    }
  }
  return rows;
}

export async function groupsCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const [action, groupId] = o.positional;
  const need = () => {
    if (!groupId) throw new CliError(`strata groups ${action}: missing GROUP`, 'STRATA_ERR_CLI_USAGE');
    return groupId;
  };
  switch (action) {
    case 'list':
    case undefined: {
      o.rejectUnknown();
      const groups = await client.listGroups();
      out(format === 'json' ? json(groups) + '\n' : table(['GROUP', 'STATE', 'PROTOCOL-TYPE'], groups.map((g) => [g.groupId, g.state, g.protocolType])));
      return;
    }
    case 'describe': {
      const id = need();
      o.rejectUnknown();
      const g = await client.describeGroup(id);
      const owners = new Map<string, { memberId: string; clientId: string }>();
      for (const mb of g.members) for (const a of mb.assignment) for (const p of a.partitions) owners.set(`${a.topic}:${p}`, { memberId: mb.memberId, clientId: mb.clientId });
      const partitions = await groupLag(client, id, owners);
      // Kafka answers an unknown group as Dead with no error: say so instead of an empty table.
      if (g.state === 'Dead' && g.members.length === 0 && partitions.length === 0) {
        throw new CliError(`group ${id} does not exist (no members, no committed offsets)`, 'STRATA_ERR_CLI_GROUP_NOT_FOUND');
      }
      const totalLag = partitions.reduce((s, p) => s + (p.lag ?? 0n), 0n);
      if (format === 'json') {
        out(json({ groupId: id, state: g.state, protocolType: g.protocolType, protocol: g.protocol, members: g.members, partitions, totalLag }) + '\n');
        return;
      }
      out(`Group: ${id}  State: ${g.state}  Protocol: ${g.protocolType || '-'}/${g.protocol || '-'}  Members: ${g.members.length}  Total lag: ${totalLag}\n\n`);
      if (g.members.length > 0) {
        out(table(['MEMBER-ID', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'], g.members.map((mb) => [mb.memberId, mb.clientId, mb.clientHost, mb.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-'])));
        out('\n');
      }
      out(table(['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'MEMBER-ID'], partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.logEndOffset, p.lag, p.memberId])));
      return;
    }
    case 'reset-offsets': {
      const id = need();
      const topic = o.str('topic');
      if (!topic) throw new CliError('strata groups reset-offsets: --topic T is required', 'STRATA_ERR_CLI_USAGE');
      const execute = o.flag('execute');
      o.flag('dry-run');
      const only = o.int('partition', 0);
      const modes = [o.flag('to-earliest') && 'earliest', o.flag('to-latest') && 'latest', o.str('to-offset') !== undefined && 'offset', o.str('to-datetime') !== undefined && 'datetime'].filter(Boolean);
      if (modes.length !== 1) throw new CliError('strata groups reset-offsets: give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO', 'STRATA_ERR_CLI_USAGE');
      const toOffset = o.int('to-offset', 0);
      const datetime = o.str('to-datetime');
      o.rejectUnknown();
      const g = await client.describeGroup(id);
      if (execute && g.members.length > 0) {
        throw new CliError(`group ${id} has ${g.members.length} active member(s) (state ${g.state}): stop its consumers before resetting offsets`, 'STRATA_ERR_CLI_GROUP_ACTIVE');
      }
      const t = await client.topic(topic);
      const partitions = t.partitions.map((p) => p.partition).filter((p) => only === undefined || p === only);
      if (partitions.length === 0) throw new CliError(`topic ${topic} has no partition ${only}`, 'STRATA_ERR_CLI_USAGE');
      const [earliest, latest, committed] = await Promise.all([
        client.listOffsets(topic, partitions, EARLIEST),
        client.listOffsets(topic, partitions, LATEST),
        client.fetchCommitted(id, [{ topic, partitions }]),
      ]);
      let target: Map<number, bigint>;
      if (modes[0] === 'earliest') target = earliest;
      else if (modes[0] === 'latest') target = latest;
      else if (modes[0] === 'offset') {
        // Clamp into [log start, log end] as Kafka's tool does.
        target = new Map(partitions.map((p) => {
          const want = BigInt(toOffset!);
          const lo = earliest.get(p) ?? 0n;
          const hi = latest.get(p) ?? 0n;
          return [p, want < lo ? lo : want > hi ? hi : want];
        }));
      } else {
        const ms = Date.parse(datetime!);
        if (Number.isNaN(ms)) throw new CliError(`--to-datetime: not an ISO date "${datetime}"`, 'STRATA_ERR_CLI_USAGE');
        const byTime = await client.listOffsets(topic, partitions, BigInt(ms));
        target = new Map(partitions.map((p) => [p, (byTime.get(p) ?? -1n) >= 0n ? byTime.get(p)! : latest.get(p)!]));
      }
      const plan = partitions.map((p) => ({ topic, partition: p, currentOffset: committed.get(topic)?.get(p) ?? null, newOffset: target.get(p)! }));
      if (execute) await client.commit(id, topic, target);
      if (format === 'json') out(json({ groupId: id, executed: execute, partitions: plan }) + '\n');
      else {
        out(table(['TOPIC', 'PARTITION', 'CURRENT', 'NEW'], plan.map((p) => [p.topic, p.partition, p.currentOffset !== null && p.currentOffset >= 0n ? p.currentOffset : null, p.newOffset])));
        out(execute ? `Offsets of group ${id} reset.\n` : 'Dry run: nothing committed (add --execute to apply).\n');
      }
      return;
    }
    case 'delete': {
      const id = need();
      o.rejectUnknown();
      await client.deleteGroup(id);
      out(format === 'json' ? json({ deleted: id }) + '\n' : `Deleted group ${id}.\n`);
      return;
    }
    default:
      throw new CliError(`strata groups: unknown action "${action}" (list, describe, reset-offsets, delete)`, 'STRATA_ERR_CLI_USAGE');
  }
}
