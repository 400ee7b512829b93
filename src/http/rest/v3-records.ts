// Thread: main. v3 produce: `POST /v3/clusters/{id}/topics/{t}/records` with `{partition_id?,
// headers?: [{name, value(base64)}], key?: {type, data}, value?: {type, data}, timestamp?}`,
// types BINARY (base64), JSON (any JSON, stored as its text) and STRING (UTF-8). The body may
// hold several JSON objects (Confluent's streamed mode, e.g. a chunked request): they are
// parsed as they arrive, the records of one chunk go out in one Produce call, and one JSON
// answer per record is streamed back (one per line, in order). A body of one object gets one
// plain answer whose HTTP status is the record's.
import { z } from 'zod';
import type { BrokerContext } from '../../broker-context.js';
import type { RecordHeader } from '../../protocol/records.js';
import { decodeBase64 } from './embedded-formats.js';
import { V3_CONTENT_TYPE } from './http-io.js';
import { JsonObjectSplitter } from './json-object-stream.js';
import type { RestLimits } from './rest-limits.js';
import { RestError, RestErrors } from './rest-errors.js';
import { isRetriable, type ProduceRecord, type RestProducer } from './rest-producer.js';
import { route, SEG, type Route, type RouteContext } from './routes.js';
import { zodMessage } from './v2-produce.js';
import { clusterOf } from './v3-shapes.js';

const dataSchema = z
  .object({
    type: z.enum(['BINARY', 'JSON', 'STRING']).optional(),
    data: z.unknown().optional(),
    schema_id: z.unknown().optional(),
    schema: z.unknown().optional(),
    subject: z.unknown().optional(),
    schema_version: z.unknown().optional(),
  })
  .nullable()
  .optional();
const recordSchema = z.object({
  partition_id: z.number().int().min(0).nullable().optional(),
  headers: z.array(z.object({ name: z.string(), value: z.string().nullable().optional() })).optional(),
  key: dataSchema,
  value: dataSchema,
  timestamp: z.string().datetime({ offset: true }).nullable().optional(),
});

type Data = z.infer<typeof dataSchema>;

function bytesOf(d: Data, field: string): { bytes: Buffer | null; type: string | null } {
  if (d === null || d === undefined || d.data === undefined || d.data === null) return { bytes: null, type: d?.type ?? null };
  if (d.type === undefined && (d.schema_id !== undefined || d.schema !== undefined || d.subject !== undefined || d.schema_version !== undefined)) {
    throw RestErrors.schemaRegistryUnavailable();
  }
  const type = d.type ?? 'JSON';
  if (type === 'BINARY') return { bytes: decodeBase64(d.data, `${field}.data`), type };
  if (type === 'STRING') {
    if (typeof d.data !== 'string') throw RestErrors.badBody(`${field}.data must be a string for type STRING`);
    return { bytes: Buffer.from(d.data, 'utf8'), type };
  }
  return { bytes: Buffer.from(JSON.stringify(d.data), 'utf8'), type };
}

interface Parsed {
  record?: ProduceRecord;
  keyType: string | null;
  valueType: string | null;
  error?: RestError;
}

function parseRecord(text: string, partitions: number, topic: string): Parsed {
  try {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw RestErrors.badBody(`Malformed JSON: ${(err as Error).message}`);
    }
    const r = recordSchema.safeParse(raw);
    if (!r.success) throw RestErrors.badBody(`Invalid record: ${zodMessage(r.error)}`);
    const rec = r.data;
    if (rec.partition_id !== null && rec.partition_id !== undefined && rec.partition_id >= partitions) throw RestErrors.partitionNotFound(topic, rec.partition_id);
    const key = bytesOf(rec.key, 'key');
    const value = bytesOf(rec.value, 'value');
    const headers: RecordHeader[] | undefined = rec.headers?.map((h, i) => ({ key: h.name, value: h.value === null || h.value === undefined ? null : decodeBase64(h.value, `headers.${i}.value`) }));
    const record: ProduceRecord = { key: key.bytes, value: value.bytes };
    if (headers) record.headers = headers;
    if (rec.partition_id !== null && rec.partition_id !== undefined) record.partition = rec.partition_id;
    if (rec.timestamp) record.timestamp = Date.parse(rec.timestamp);
    return { record, keyType: key.type, valueType: value.type };
  } catch (err) {
    if (err instanceof RestError) return { keyType: null, valueType: null, error: err };
    throw err;
  }
}

export function v3RecordRoutes(broker: BrokerContext, producer: RestProducer, limits: RestLimits): Route[] {
  return [
    route('POST', `/v3/clusters/${SEG}/topics/${SEG}/records`, 'v3', async (ctx) => {
      const clusterId = clusterOf(broker, ctx.params[0]!);
      const topic = ctx.params[1]!;
      const partitions = producer.partitions(topic);
      await streamRecords(ctx, clusterId, topic, partitions, producer, limits);
      return undefined;
    }),
  ];
}

async function streamRecords(ctx: RouteContext, clusterId: string, topic: string, partitions: number, producer: RestProducer, limits: RestLimits): Promise<void> {
  const { req, res } = ctx;
  const splitter = new JsonObjectSplitter(limits.maxRequestBytes);
  let pending: Array<{ status: number; body: unknown }> = [];
  let streaming = false;
  let count = 0;
  const emit = (answers: Array<{ status: number; body: unknown }>) => {
    if (!streaming) {
      pending.push(...answers);
      if (pending.length < 2) return;
      streaming = true;
      res.writeHead(200, { 'content-type': V3_CONTENT_TYPE, 'cache-control': 'no-store' });
      answers = pending;
      pending = [];
    }
    for (const a of answers) res.write(JSON.stringify(a.body) + '\n');
  };
  const errorAnswer = (err: RestError) => ({ status: err.status, body: { error_code: err.status, message: err.message } });

  try {
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      const texts = splitter.push(chunk);
      if (texts.length === 0) continue;
      count += texts.length;
      if (count > limits.maxRecordsPerRequest) throw RestErrors.tooManyRecords(count, limits.maxRecordsPerRequest);
      const parsed = texts.map((t) => parseRecord(t, partitions, topic));
      const good = parsed.filter((p) => p.record !== undefined);
      const results = good.length === 0 ? [] : await producer.produce(topic, good.map((p) => p.record!), ctx.caller);
      let k = 0;
      emit(
        parsed.map((p) => {
          if (p.error) return errorAnswer(p.error);
          const r = results[k++]!;
          if (r.errorCode !== 0) {
            const status = isRetriable(r.errorCode) ? 503 : 500;
            return { status, body: { error_code: status, message: r.error } };
          }
          return {
            status: 200,
            body: {
              error_code: 200,
              cluster_id: clusterId,
              topic_name: topic,
              partition_id: r.partition,
              offset: r.offset,
              timestamp: new Date(r.timestamp).toISOString(),
              key: p.record!.key === null ? null : { type: p.keyType, size: p.record!.key.length },
              value: p.record!.value === null ? null : { type: p.valueType, size: p.record!.value.length },
            },
          };
        }),
      );
    }
    splitter.end();
  } catch (err) {
    if (!(err instanceof RestError)) throw err;
    // Nothing answered yet: a plain error answer. Otherwise the error ends the stream.
    if (!streaming && pending.length === 0) throw err;
    emit([errorAnswer(err)]);
    res.end();
    req.destroy();
    return;
  }
  if (streaming) {
    res.end();
    return;
  }
  const only = pending[0];
  if (only === undefined) throw RestErrors.badBody('The body holds no record');
  const text = JSON.stringify(only.body);
  res.writeHead(only.status, { 'content-type': V3_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
