// Thread: main. The console's message browser: N records of one partition from an offset, from
// the first record at or after a timestamp (ListOffsets by timestamp), or the newest N. Reads
// with Fetch through the KafkaBridge and decodes batches with src/protocol/records.ts.
// Bounded: at most MAX_MESSAGES records, MAX_FETCHES fetches of FETCH_MAX_BYTES each per call
// (decoding 4 MiB on the main thread is an operator's click, not a hot path; Kafka clients never
// come here).
import { codecsReady } from '../protocol/compression.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import { decodeRecordBatches } from '../protocol/records.js';
import { ConsoleError, kafkaError } from './console-error.js';
import { EARLIEST, LATEST, type ConsoleKafka } from './console-kafka.js';
import { formatValue, type FormattedValue, type SchemaDecoder } from './value-format.js';

export const MAX_MESSAGES = 500;
export const FETCH_MAX_BYTES = 1024 * 1024;
export const MAX_FETCHES = 4;
/** Decompressed bytes one batch may expand to in the browser (a hostile batch cannot allocate more). */
const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

export interface BrowseQuery {
  topic: string;
  partition: number;
  /** Start here; absent with no timestamp: the newest `limit` records. */
  offset?: number;
  /** Start at the first record whose timestamp is at or after this (ms). */
  timestamp?: number;
  limit: number;
}

export interface BrowsedMessage {
  offset: number;
  timestamp: number;
  key: FormattedValue;
  headers: Array<{ key: string; value: FormattedValue }>;
  value: FormattedValue;
}

export interface BrowseResult {
  topic: string;
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** The offset reading started at (after resolving a timestamp and clamping to the log). */
  startOffset: number;
  /** Where the next page starts. */
  nextOffset: number;
  messages: BrowsedMessage[];
}

async function offsetAt(kafka: ConsoleKafka, topic: string, partition: number, timestamp: bigint): Promise<number> {
  const answer = (await kafka.listOffsets(topic, [partition], timestamp)).get(partition);
  if (answer === undefined) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topic}-${partition}`, 'list offsets');
  if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, null, `list offsets of ${topic}-${partition}`);
  return Number(answer.offset);
}

export async function browseMessages(kafka: ConsoleKafka, q: BrowseQuery, schemas?: SchemaDecoder): Promise<BrowseResult> {
  const { topic: t } = await kafka.topic(q.topic);
  if (q.partition >= t.partitions.length) throw new ConsoleError(404, 'UNKNOWN_TOPIC_OR_PARTITION', `topic ${q.topic} has ${t.partitions.length} partitions, no partition ${q.partition}`);
  const logStartOffset = await offsetAt(kafka, q.topic, q.partition, EARLIEST);
  const highWatermark = await offsetAt(kafka, q.topic, q.partition, LATEST);
  let start: number;
  if (q.timestamp !== undefined) {
    const found = await offsetAt(kafka, q.topic, q.partition, BigInt(q.timestamp));
    start = found < 0 ? highWatermark : found;
  } else if (q.offset !== undefined) {
    start = q.offset;
  } else {
    start = highWatermark - q.limit;
  }
  start = Math.min(Math.max(start, logStartOffset), highWatermark);
  const messages: BrowsedMessage[] = [];
  let next = start;
  await codecsReady();
  for (let i = 0; i < MAX_FETCHES && messages.length < q.limit && next < highWatermark; i++) {
    const data = await kafka.fetch(q.topic, q.partition, BigInt(next), FETCH_MAX_BYTES);
    if (data.errorCode !== ErrorCode.NONE) throw kafkaError(data.errorCode, null, `fetch ${q.topic}-${q.partition} at ${next}`);
    const batches = data.records === null ? [] : decodeRecordBatches(data.records, MAX_DECOMPRESSED_BYTES);
    if (batches.length === 0) break;
    for (const b of batches) {
      if (!b.isControl) {
        for (const r of b.records) {
          if (r.offset < next || messages.length >= q.limit) continue;
          messages.push({
            offset: r.offset,
            timestamp: r.timestamp,
            key: await formatValue(r.key, schemas),
            headers: await Promise.all(r.headers.map(async (h) => ({ key: h.key, value: await formatValue(h.value) }))),
            value: await formatValue(r.value, schemas),
          });
        }
      }
      const last = messages[messages.length - 1];
      next = messages.length >= q.limit && last !== undefined ? last.offset + 1 : Math.max(next, b.baseOffset + b.lastOffsetDelta + 1);
      if (messages.length >= q.limit) break;
    }
  }
  return { topic: q.topic, partition: q.partition, logStartOffset, highWatermark, startOffset: start, nextOffset: next, messages };
}
