// Thread: main (CLI process). `strata produce TOPIC`: one record per stdin line, optional
// key (`--key-separator`), headers (`--header k=v`, repeatable), compression none, gzip,
// snappy, lz4 or zstd (src/protocol/compression.ts). An unknown topic is auto-created when the
// broker does that (Metadata with allowAutoTopicCreation, as kcat does). Keyed records go to
// Kafka's default partition (murmur2 of the key), keyless ones round-robin per batch.
// Batches of up to --batch-size records per partition; progress on stderr only when stderr is
// a terminal, then a summary.
import readline from 'node:readline';
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import type { KafkaClient, ProduceRecordInput } from '../client/kafka-client.js';
import { codecsReady, COMPRESSION_NAMES, type CompressionName } from '../../protocol/compression.js';
import { encodeRecordBatch } from '../../protocol/records.js';
import { info, json, out, type OutputFormat } from '../output.js';

/** Kafka's murmur2 (the Java client's default partitioner for keyed records). */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

export async function produceCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const topic = o.positional[0];
  if (!topic) throw new CliError('strata produce: missing TOPIC', 'STRATA_ERR_CLI_USAGE');
  const separator = o.str('key-separator');
  const headers = Object.entries(o.pairs('header')).map(([key, value]) => ({ key, value: Buffer.from(value) }));
  const compression = (o.str('compression') ?? 'none') as CompressionName;
  if (!COMPRESSION_NAMES.includes(compression)) throw new CliError(`--compression: unknown codec "${compression}" (${COMPRESSION_NAMES.join(', ')})`, 'STRATA_ERR_CLI_USAGE');
  const batchSize = o.int('batch-size', 1) ?? 500;
  const fixedPartition = o.int('partition', 0);
  const acksOpt = o.str('acks') ?? '-1';
  const acks = acksOpt === 'all' ? -1 : Number(acksOpt);
  if (acks !== -1 && acks !== 1) throw new CliError('--acks: 1, -1 or all', 'STRATA_ERR_CLI_USAGE');
  // A progress line rewrites itself with \r: only on a terminal, never into a log or a pipe.
  const asked = o.flag('progress');
  const refused = o.flag('no-progress');
  const progress = (asked || !refused) && process.stderr.isTTY === true;
  o.rejectUnknown();
  await codecsReady();

  const t = await client.topicForProduce(topic);
  const partitionCount = t.partitions.length;
  if (fixedPartition !== undefined && fixedPartition >= partitionCount) throw new CliError(`topic ${topic} has no partition ${fixedPartition}`, 'STRATA_ERR_CLI_USAGE');

  const pending = new Map<number, ProduceRecordInput[]>();
  let roundRobin = 0;
  let records = 0;
  let bytes = 0;
  const started = Date.now();
  let lastProgress = started;

  const flush = async (partition: number): Promise<void> => {
    const batch = pending.get(partition);
    if (!batch || batch.length === 0) return;
    pending.delete(partition);
    const encoded = encodeRecordBatch({ compression, records: batch });
    await client.produceBatch(topic, partition, encoded, acks);
    records += batch.length;
    bytes += encoded.length;
    if (progress && Date.now() - lastProgress >= 1000) {
      lastProgress = Date.now();
      info(`\rproduced ${records} records (${formatBytes(bytes)}) …`);
    }
  };

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    let key: Buffer | null = null;
    let value = line;
    if (separator !== undefined) {
      const at = line.indexOf(separator);
      if (at >= 0) {
        key = Buffer.from(line.slice(0, at));
        value = line.slice(at + separator.length);
      }
    }
    const partition = fixedPartition ?? (key ? partitionForKey(key, partitionCount) : roundRobin);
    const list = pending.get(partition) ?? [];
    list.push({ key, value: Buffer.from(value), headers });
    pending.set(partition, list);
    if (list.length >= batchSize) {
      await flush(partition);
      if (!key && fixedPartition === undefined) roundRobin = (roundRobin + 1) % partitionCount;
    }
  }
  for (const p of [...pending.keys()]) await flush(p);
  const seconds = (Date.now() - started) / 1000;
  if (progress) info('\r');
  const summary = { topic, records, bytes, seconds, recordsPerSecond: seconds > 0 ? Math.round(records / seconds) : records };
  if (format === 'json') out(json(summary) + '\n');
  else info(`Produced ${records} record${records === 1 ? '' : 's'} (${formatBytes(bytes)}) to ${topic} in ${seconds.toFixed(2)} s${seconds > 0 ? ` (${summary.recordsPerSecond} records/s)` : ''}.\n`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
