// Thread: main (CLI process). `strata consume TOPIC`: fetches from every partition (or
// --partition P), starting at the log end, --from-beginning, --offset N, or the committed
// offsets of --group G. With --group (and no --partition) it joins G as a member and reads
// only the partitions the group assigns it, rejoining on rebalances; with --partition it
// commits as a standalone consumer. Prints --format templates or JSON lines; stops after
// --max-messages or when nothing arrived for --timeout-ms (default 10 s with --max-messages,
// none without). Decodes every Kafka codec. Ctrl-C stops at once (exit 130): what was printed
// is committed, nothing else. An explicit --offset out of range is an error; a reset after
// OFFSET_OUT_OF_RANGE that ends with 0 records is one too (exit 1).
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import { GroupMember } from '../client/group-member.js';
import { EARLIEST, errorName, LATEST, type KafkaClient } from '../client/kafka-client.js';
import { codecsReady } from '../../protocol/compression.js';
import { decodeRecordBatches } from '../../protocol/records.js';
import { DEFAULT_MAX_MESSAGES_IDLE_MS, FORMAT_PLACEHOLDERS } from '../commands.js';
import { info, json, out, type OutputFormat } from '../output.js';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

/** Throws a usage error naming any `{word}` placeholder that formatRecord does not fill. */
export function checkFormat(template: string): void {
  const unknown = [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!).filter((f) => !(FORMAT_PLACEHOLDERS as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw new CliError(`--format: unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `{${f}}`).join(', ')} (known: {${FORMAT_PLACEHOLDERS.join('} {')}})`, 'STRATA_ERR_CLI_USAGE');
  }
}

/** Raised inside the fetch loop when SIGINT arrives. */
class Interrupted extends Error {}

/** `{key}`, `{value}`, `{headers}`, `{offset}`, `{timestamp}`, `{partition}`, `{topic}`; `\t` and `\n` escapes. */
export function formatRecord(template: string, r: ConsumedRecord): string {
  return template
    .replace(/\\t/g, '\t')
    .replace(/\\n/g, '\n')
    .replace(/\{(key|value|headers|offset|timestamp|partition|topic)\}/g, (_m, f: string) => {
      switch (f) {
        case 'headers':
          return Object.entries(r.headers).map(([k, v]) => `${k}=${v ?? ''}`).join(',');
        case 'key':
          return r.key ?? '';
        case 'value':
          return r.value ?? '';
        default:
          return String(r[f as 'offset' | 'timestamp' | 'partition' | 'topic']);
      }
    });
}

export async function consumeCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const topic = o.positional[0];
  if (!topic) throw new CliError('strata consume: missing TOPIC', 'STRATA_ERR_CLI_USAGE');
  const fromBeginning = o.flag('from-beginning');
  const group = o.str('group');
  const only = o.int('partition', 0);
  const startOffset = o.int('offset', 0);
  const maxMessages = o.int('max-messages', 1);
  const timeoutMs = o.int('timeout-ms', 0) ?? (maxMessages !== undefined ? DEFAULT_MAX_MESSAGES_IDLE_MS : undefined);
  const template = o.str('format') ?? '{value}';
  o.rejectUnknown();
  checkFormat(template);
  if (startOffset !== undefined && only === undefined) throw new CliError('--offset needs --partition', 'STRATA_ERR_CLI_USAGE');

  // Ctrl-C: every await below races this promise, so the command stops at once.
  let interrupt!: () => void;
  const interrupted = new Promise<never>((_resolve, reject) => (interrupt = () => reject(new Interrupted('interrupted'))));
  interrupted.catch(() => undefined);
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, interrupted]);
  const onSignal = () => interrupt();
  process.on('SIGINT', onSignal);
  try {
    await guard(consumeLoop());
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSignal);
  }

  async function consumeLoop(): Promise<void> {
  await codecsReady();

  const t = await client.topic(topic);
  let partitions = t.partitions.map((p) => p.partition).filter((p) => only === undefined || p === only);
  if (partitions.length === 0) throw new CliError(`topic ${topic} has no partition ${only}`, 'STRATA_ERR_CLI_USAGE');
  const startPositions = async (parts: number[]): Promise<Map<number, bigint>> => {
    if (parts.length === 0) return new Map();
    const positions = await client.listOffsets(topic, parts, fromBeginning ? EARLIEST : LATEST);
    if (startOffset !== undefined) positions.set(only!, BigInt(startOffset));
    else if (group) {
      const committed = (await client.fetchCommitted(group, [{ topic, partitions: parts }])).get(topic);
      for (const p of parts) {
        const c = committed?.get(p);
        if (c !== undefined && c >= 0n) positions.set(p, c);
      }
    }
    return positions;
  };
  const member =
    group && only === undefined
      ? new GroupMember(await guard(client.coordinator(group)), group, topic, async (name) => (await client.topic(name)).partitions.length)
      : undefined;
  if (member) {
    partitions = await guard(member.join());
    info(`Joined group ${group} (generation ${member.generationId}): partitions ${partitions.join(',') || 'none'} of ${topic}.\n`);
  }
  let positions = await guard(startPositions(partitions));

  let count = 0;
  let lastData = Date.now();
  let mustRejoin = false;
  let outOfRange: string | undefined;
  try {
    while (maxMessages === undefined || count < maxMessages) {
      if (member && (mustRejoin || (await guard(member.heartbeatIfDue())))) {
        partitions = await guard(member.join());
        positions = await guard(startPositions(partitions));
        mustRejoin = false;
        info(`Rebalanced (generation ${member.generationId}): partitions ${partitions.join(',') || 'none'} of ${topic}.\n`);
      }
      if (positions.size === 0) {
        // Nothing assigned (more members than partitions): stay in the group, keep heartbeating.
        await guard(new Promise((resolve) => setTimeout(resolve, 200)));
        if (timeoutMs !== undefined && Date.now() - lastData >= timeoutMs) break;
        continue;
      }
      const waitMs = timeoutMs !== undefined ? Math.max(0, Math.min(500, timeoutMs - (Date.now() - lastData))) : 500;
      const results = await guard(client.fetch(topic, positions, { maxWaitMs: waitMs, maxBytes: 4 * 1024 * 1024, partitionMaxBytes: 1024 * 1024 }));
      let got = 0;
      const commits = new Map<number, bigint>();
      for (const r of results) {
        if (r.errorCode === 1) {
          const wanted = positions.get(r.partition)!;
          const [start, end] = await guard(Promise.all([client.listOffsets(topic, [r.partition], EARLIEST), client.listOffsets(topic, [r.partition], LATEST)]));
          const range = `offset ${wanted} of ${topic}-${r.partition} is out of range (log ${start.get(r.partition)}..${end.get(r.partition)})`;
          if (startOffset !== undefined && count === 0) throw new CliError(`${range}: nothing to consume there`, 'STRATA_ERR_CLI_OFFSET_OUT_OF_RANGE');
          // Otherwise restart at the log start (or end), as auto.offset.reset would, and say so.
          const reset = fromBeginning ? start : end;
          positions.set(r.partition, reset.get(r.partition)!);
          outOfRange = range;
          info(`${range}: continuing from ${reset.get(r.partition)}.\n`);
          continue;
        }
        if (r.errorCode !== 0) throw new CliError(`fetch ${topic}-${r.partition}: ${errorName(r.errorCode)}`, 'STRATA_ERR_CLI_KAFKA');
        if (!r.records || r.records.length === 0) continue;
        let batches;
        try {
          batches = decodeRecordBatches(r.records);
        } catch (err) {
          throw new CliError(`cannot decode records of ${topic}-${r.partition}: ${(err as Error).message}`, 'STRATA_ERR_CLI_DECODE');
        }
        const position = positions.get(r.partition)!;
        let next = position;
        for (const b of batches) {
          const batchEnd = BigInt(b.baseOffset + b.lastOffsetDelta + 1);
          if (!b.isControl) {
            for (const rec of b.records) {
              if (BigInt(rec.offset) < position) continue;
              if (maxMessages !== undefined && count >= maxMessages) break;
              const record: ConsumedRecord = {
                topic,
                partition: r.partition,
                offset: rec.offset,
                timestamp: rec.timestamp,
                key: rec.key?.toString('utf8') ?? null,
                value: rec.value?.toString('utf8') ?? null,
                headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null])),
              };
              out(format === 'json' ? json(record) + '\n' : formatRecord(template, record) + '\n');
              count++;
              got++;
              next = BigInt(rec.offset) + 1n;
            }
          } else next = batchEnd > next ? batchEnd : next;
          if (maxMessages !== undefined && count >= maxMessages) break;
          if (!b.isControl && next < batchEnd && (maxMessages === undefined || count < maxMessages)) next = batchEnd;
        }
        if (next > position) {
          positions.set(r.partition, next);
          commits.set(r.partition, next);
        }
      }
      // Commits cover exactly the records printed above; an interrupt before this line commits nothing.
      if (member && commits.size > 0) mustRejoin = !(await guard(member.commit(commits)));
      else if (group && commits.size > 0) await guard(client.commit(group, topic, commits));
      if (got > 0) lastData = Date.now();
      else if (timeoutMs !== undefined && Date.now() - lastData >= timeoutMs) break;
    }
  } finally {
    // Leave the group so the others rebalance now, not after a session timeout (bounded wait).
    if (member) await Promise.race([member.leave(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    if (format !== 'json') info(`Consumed ${count} record${count === 1 ? '' : 's'} from ${topic}.\n`);
  }
  if (count === 0 && outOfRange !== undefined) throw new CliError(`consumed 0 records: ${outOfRange}`, 'STRATA_ERR_CLI_OFFSET_OUT_OF_RANGE');
  }
}
