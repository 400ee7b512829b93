// Thread: any (pure). The write-ahead object: what a broker PUTs to the bucket to make a group
// of acks=all batches durable before it acknowledges them (wal-writer.ts), and what a broker
// taking a partition over after its leader died reads back (wal-rebuild.ts).
//
//   "STRWAL01"            8 bytes
//   header length         uint32 big-endian
//   header                JSON WalHeader (utf8)
//   payload               the entries' record batches, back to back, exactly as appended
//                         (offsets assigned, producer id/epoch/sequences in their headers)
//
// Batches stay opaque bytes: only the header says which partition, leader epoch and offsets
// each entry holds.
import { z } from 'zod';
import type { PartitionId } from '../ipc/partition-id.js';
import { LOG_OVERHEAD, readBaseOffset, readBatchSize, readLastOffset } from '../log-format/batch-header.js';

const MAGIC = Buffer.from('STRWAL01', 'latin1');

export interface WalEntry {
  /** Partition. */
  p: PartitionId;
  /** Leader epoch of the writer for this partition when it appended. */
  e: number;
  /** First and last offset (inclusive) of the entry's batches. */
  b: number;
  l: number;
  /** Byte offset of the batches in the payload, and their length. */
  o: number;
  n: number;
}

export interface WalHeader {
  v: 1;
  broker: number;
  incarnation: string;
  seq: number;
  createdAtMs: number;
  entries: WalEntry[];
}

const headerSchema = z.object({
  v: z.literal(1),
  broker: z.number().int(),
  incarnation: z.string(),
  seq: z.number().int().min(0),
  createdAtMs: z.number(),
  entries: z.array(z.object({ p: z.string(), e: z.number().int(), b: z.number().int().min(0), l: z.number().int().min(0), o: z.number().int().min(0), n: z.number().int().min(0) })),
});

/** Builds one object from the batches of several partitions. */
export function encodeWalObject(meta: Omit<WalHeader, 'v' | 'entries'>, parts: ReadonlyArray<{ p: PartitionId; e: number; b: number; l: number; records: Buffer }>): Buffer {
  const entries: WalEntry[] = [];
  let at = 0;
  for (const part of parts) {
    entries.push({ p: part.p, e: part.e, b: part.b, l: part.l, o: at, n: part.records.length });
    at += part.records.length;
  }
  const header = Buffer.from(JSON.stringify({ v: 1, ...meta, entries } satisfies WalHeader), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  return Buffer.concat([MAGIC, len, header, ...parts.map((x) => x.records)]);
}

export interface DecodedWalObject {
  header: WalHeader;
  /** The batches of one entry (a view into the object). */
  records(entry: WalEntry): Buffer;
}

/** Reads an object back; throws a readable error when it is not one or is cut short. */
export function decodeWalObject(data: Buffer, key = 'write-ahead object'): DecodedWalObject {
  if (data.length < 12 || !data.subarray(0, 8).equals(MAGIC)) throw new Error(`${key}: not a Strata write-ahead object`);
  const len = data.readUInt32BE(8);
  if (12 + len > data.length) throw new Error(`${key}: header cut short`);
  const parsed = headerSchema.safeParse(JSON.parse(data.subarray(12, 12 + len).toString('utf8')));
  if (!parsed.success) throw new Error(`${key}: bad header: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const header = parsed.data as WalHeader;
  const payload = 12 + len;
  for (const e of header.entries) if (payload + e.o + e.n > data.length) throw new Error(`${key}: entry of ${e.p} at ${e.b} cut short`);
  return { header, records: (e) => data.subarray(payload + e.o, payload + e.o + e.n) };
}

/** Key of a broker's object: sorted by broker, then by time and sequence. */
export function walObjectKey(prefix: string, broker: number, createdAtMs: number, incarnation: string, seq: number): string {
  return `${walBrokerPrefix(prefix, broker)}${String(createdAtMs).padStart(15, '0')}-${incarnation}-${String(seq).padStart(12, '0')}.wal`;
}

export function walBrokerPrefix(prefix: string, broker: number): string {
  return `${prefix}wal/${broker}/`;
}

/** First and last offset of the record batches in `records` (offsets already assigned). */
export function batchOffsets(records: Buffer): { b: number; l: number } {
  let pos = 0;
  let b = -1;
  let l = -1;
  while (pos + LOG_OVERHEAD <= records.length) {
    const size = readBatchSize(records, pos);
    if (size < LOG_OVERHEAD || pos + size > records.length) break;
    if (b < 0) b = readBaseOffset(records, pos);
    l = readLastOffset(records, pos);
    pos += size;
  }
  return { b, l };
}
