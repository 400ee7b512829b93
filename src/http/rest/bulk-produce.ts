// Thread: main. Bulk produce for scripts: `POST /topics/{t}/ndjson` (one JSON record per line)
// and `POST /topics/{t}/csv` (one record per CSV row). The body is parsed as it arrives, into
// records never larger in total than the bounded body (rest.max.request.bytes); a parse error
// answers 422 with its line and writes nothing. Then the records go out in order, 1000 per
// Produce call (one batch per partition each), and the answer counts them with each
// partition's offset range.
import type http from 'node:http';
import { parse as parseCsv, CsvError } from 'csv-parse';
import type { RecordHeader } from '../../protocol/records.js';
import type { RestLimits } from './rest-limits.js';
import { RestError, RestErrors } from './rest-errors.js';
import { isRetriable, type ProduceRecord, type RestProducer } from './rest-producer.js';
import { route, SEG, type Route, type RouteContext } from './routes.js';

const RECORDS_PER_CALL = 1000;
const MAX_ERRORS_SHOWN = 100;
const RECORD_FIELDS = new Set(['key', 'value', 'partition', 'headers']);

/** A string as its UTF-8 text, anything else (but null) as its JSON text. */
export function textBytes(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');
}

/**
 * One NDJSON line → a record: `{"key"?, "value", "partition"?, "headers"?}` (an object with a
 * "value" field and no others than these four), else the whole line is the value.
 */
export function ndjsonRecord(line: string, lineNo: number, partitions: number, topic: string): ProduceRecord {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw RestErrors.badBody(`line ${lineNo}: malformed JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !('value' in v) || !Object.keys(v).every((k) => RECORD_FIELDS.has(k))) {
    return { key: null, value: textBytes(v) };
  }
  const r = v as { key?: unknown; value: unknown; partition?: unknown; headers?: unknown };
  const record: ProduceRecord = { key: textBytes(r.key), value: textBytes(r.value) };
  if (r.partition !== undefined && r.partition !== null) {
    if (!Number.isInteger(r.partition) || (r.partition as number) < 0) throw RestErrors.badBody(`line ${lineNo}: partition must be a non-negative integer`);
    if ((r.partition as number) >= partitions) throw RestErrors.partitionNotFound(topic, r.partition as number);
    record.partition = r.partition as number;
  }
  if (r.headers !== undefined && r.headers !== null) record.headers = headersOf(r.headers, lineNo);
  return record;
}

function headersOf(h: unknown, lineNo: number): RecordHeader[] {
  if (Array.isArray(h)) {
    return h.map((x: unknown) => {
      const e = x as { name?: unknown; key?: unknown; value?: unknown };
      const name = e?.name ?? e?.key;
      if (typeof name !== 'string') throw RestErrors.badBody(`line ${lineNo}: a header needs a name`);
      return { key: name, value: textBytes(e.value) };
    });
  }
  if (typeof h === 'object' && h !== null) return Object.entries(h).map(([key, value]) => ({ key, value: textBytes(value) }));
  throw RestErrors.badBody(`line ${lineNo}: headers must be an object or an array of {name, value}`);
}

/** Bytes read so far, failing with 413 past the bound. */
async function* boundedChunks(req: http.IncomingMessage, maxBytes: number): AsyncGenerator<Buffer> {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > maxBytes) throw RestErrors.tooLarge(maxBytes);
  let size = 0;
  // destroyOnReturn false: an error stops the reading, not the socket, so the answer still goes out.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw RestErrors.tooLarge(maxBytes);
    yield chunk;
  }
}

async function readNdjson(req: http.IncomingMessage, limits: RestLimits, partitions: number, topic: string): Promise<ProduceRecord[]> {
  const records: ProduceRecord[] = [];
  let rest = Buffer.alloc(0);
  let lineNo = 0;
  const take = (bytes: Buffer) => {
    lineNo++;
    const line = bytes.toString('utf8').replace(/\r$/, '');
    if (line.trim() === '') return;
    if (records.length >= limits.maxRecordsPerRequest) throw RestErrors.tooManyRecords(records.length + 1, limits.maxRecordsPerRequest);
    records.push(ndjsonRecord(line, lineNo, partitions, topic));
  };
  for await (const chunk of boundedChunks(req, limits.maxRequestBytes)) {
    let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let nl: number;
    while ((nl = data.indexOf(0x0a)) >= 0) {
      take(data.subarray(0, nl));
      data = data.subarray(nl + 1);
    }
    rest = Buffer.from(data);
  }
  if (rest.length > 0) take(rest);
  return records;
}

async function readCsv(req: http.IncomingMessage, limits: RestLimits, query: URLSearchParams): Promise<ProduceRecord[]> {
  const header = query.get('header') === 'true';
  const keyColumn = query.get('key_column');
  const delimiter = query.get('delimiter') ?? ',';
  if (delimiter.length !== 1) throw RestErrors.badBody('delimiter must be one character');
  const parser = parseCsv({ delimiter, bom: true, relax_column_count: false, skip_empty_lines: true, info: true });
  let columns: string[] | undefined;
  let keyIndex = -1;
  const records: ProduceRecord[] = [];
  const feeding = (async () => {
    try {
      for await (const chunk of boundedChunks(req, limits.maxRequestBytes)) {
        if (parser.destroyed) return;
        if (!parser.write(chunk)) {
          await new Promise<void>((r) => {
            parser.once('drain', r);
            parser.once('close', r);
          });
        }
      }
      if (!parser.destroyed) parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  })();
  try {
    for await (const row of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const cells = row.record;
      if (header && columns === undefined) {
        columns = cells;
        if (keyColumn !== null) {
          keyIndex = /^\d+$/.test(keyColumn) ? Number(keyColumn) : columns.indexOf(keyColumn);
          if (keyIndex < 0 || keyIndex >= columns.length) throw RestErrors.badBody(`key_column ${keyColumn} is not a column of the header (${columns.join(', ')})`);
        }
        continue;
      }
      if (keyColumn !== null && keyIndex < 0) {
        if (!/^\d+$/.test(keyColumn)) throw RestErrors.badBody('key_column by name needs header=true');
        keyIndex = Number(keyColumn);
      }
      if (keyIndex >= cells.length) throw RestErrors.badBody(`line ${row.info.lines}: no column ${keyIndex} for the key`);
      if (records.length >= limits.maxRecordsPerRequest) throw RestErrors.tooManyRecords(records.length + 1, limits.maxRecordsPerRequest);
      const value = columns !== undefined ? Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? null])) : cells;
      records.push({ key: keyIndex >= 0 ? Buffer.from(cells[keyIndex]!, 'utf8') : null, value: Buffer.from(JSON.stringify(value), 'utf8') });
    }
  } catch (err) {
    if (err instanceof RestError) throw err;
    if (err instanceof CsvError) throw RestErrors.badBody(`CSV: ${err.message}`);
    throw err;
  } finally {
    if (!parser.destroyed) parser.destroy();
    await feeding;
  }
  return records;
}

interface PartitionRange {
  partition: number;
  first_offset: number;
  last_offset: number;
  count: number;
}

async function produceAll(ctx: RouteContext, producer: RestProducer, topic: string, records: ProduceRecord[]) {
  const ranges = new Map<number, PartitionRange>();
  const errors: Array<{ record: number; partition: number; error_code: number; error: string | null }> = [];
  let failed = 0;
  let retriable = true;
  for (let start = 0; start < records.length; start += RECORDS_PER_CALL) {
    const slice = records.slice(start, start + RECORDS_PER_CALL);
    const results = await producer.produce(topic, slice, ctx.caller);
    results.forEach((r, i) => {
      if (r.errorCode !== 0) {
        failed++;
        retriable &&= isRetriable(r.errorCode);
        if (errors.length < MAX_ERRORS_SHOWN) errors.push({ record: start + i, partition: r.partition, error_code: r.errorCode, error: r.error });
        return;
      }
      const range = ranges.get(r.partition);
      if (range === undefined) ranges.set(r.partition, { partition: r.partition, first_offset: r.offset, last_offset: r.offset, count: 1 });
      else {
        range.last_offset = r.offset;
        range.count++;
      }
    });
  }
  const body = {
    topic,
    records: records.length,
    written: records.length - failed,
    failed,
    partitions: [...ranges.values()].sort((a, b) => a.partition - b.partition),
    ...(errors.length > 0 ? { errors } : {}),
  };
  if (failed === 0) return { status: 200, body };
  const err = retriable ? RestErrors.kafkaRetriable(`${failed} of ${records.length} records were not written`) : RestErrors.kafka(`${failed} of ${records.length} records were not written`);
  return { status: err.status, body: { error_code: err.errorCode, message: err.message, ...body } };
}

export function bulkRoutes(producer: RestProducer, limits: RestLimits): Route[] {
  return [
    route('POST', `/topics/${SEG}/ndjson`, 'v2', async (ctx) => {
      const topic = ctx.params[0]!;
      const partitions = producer.partitions(topic);
      const records = await readNdjson(ctx.req, limits, partitions, topic);
      return produceAll(ctx, producer, topic, records);
    }),
    route('POST', `/topics/${SEG}/csv`, 'v2', async (ctx) => {
      const topic = ctx.params[0]!;
      producer.partitions(topic);
      const records = await readCsv(ctx.req, limits, ctx.query);
      return produceAll(ctx, producer, topic, records);
    }),
  ];
}
