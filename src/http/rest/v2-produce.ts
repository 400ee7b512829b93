// Thread: main. v2 produce: `POST /topics/{topic}` and `POST /topics/{topic}/partitions/{p}`
// with the embedded format in Content-Type (embedded-formats.ts). Body:
// `{records: [{key?, value, partition?, headers?}], key_schema?, key_schema_id?, value_schema?,
// value_schema_id?}`; answer `{offsets: [{partition, offset, error_code, error}], key_schema_id,
// value_schema_id}` with error_code 1 (non-retriable) or 2 (retriable) per record, as Confluent.
// Schema formats serialise through the broker's schema registry (schema-formats.ts).
import { z } from 'zod';
import type { RecordHeader } from '../../protocol/records.js';
import { formatOfContentType, schemalessBytes } from './embedded-formats.js';
import { mediaType, readJson } from './http-io.js';
import { FORWARDED_HEADER } from './leader-forward.js';
import type { RestLimits } from './rest-limits.js';
import { RestErrors } from './rest-errors.js';
import { isRetriable, type ProduceRecord, type RestProducer } from './rest-producer.js';
import { route, SEG, type Route } from './routes.js';
import type { SchemaSerde } from './schema-formats.js';

const headerSchema = z.object({ name: z.string().optional(), key: z.string().optional(), value: z.string().nullable().optional() });
const recordSchema = z.object({
  key: z.unknown().optional(),
  value: z.unknown().optional(),
  partition: z.number().int().min(0).optional(),
  headers: z.array(headerSchema).optional(),
});
const bodySchema = z.object({
  records: z.array(z.unknown()),
  key_schema: z.string().optional(),
  key_schema_id: z.number().int().optional(),
  value_schema: z.string().optional(),
  value_schema_id: z.number().int().optional(),
});

export function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Parses with a zod schema; RestError 42201 naming the bad fields. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw RestErrors.badBody(`Invalid request body: ${zodMessage(r.error)}`);
  return r.data;
}

/** v2 headers (an extension: Confluent's v2 has none): `[{name, value}]`, value base64 in binary, text in json. */
function headersOf(format: 'binary' | 'json', headers: z.infer<typeof headerSchema>[] | undefined, i: number): RecordHeader[] | undefined {
  return headers?.map((h, k) => {
    const key = h.name ?? h.key;
    if (key === undefined) throw RestErrors.badBody(`records.${i}.headers.${k}: a header needs a name`);
    const value = h.value ?? null;
    return { key, value: value === null ? null : format === 'binary' ? schemalessBytesOrThrow(value, `records.${i}.headers.${k}.value`) : Buffer.from(value, 'utf8') };
  });
}

function schemalessBytesOrThrow(value: string, field: string): Buffer {
  return schemalessBytes('binary', value, field) ?? Buffer.alloc(0);
}

export function v2ProduceRoutes(producer: RestProducer, limits: RestLimits, schemas: () => SchemaSerde | undefined): Route[] {
  const produce = async (ctx: Parameters<Route['run']>[0], topic: string, partition: number | undefined) => {
    const format = formatOfContentType(mediaType(ctx.req));
    const raw = await readJson(ctx.req, limits.maxRequestBytes);
    const body = parseBody(bodySchema, raw);
    if (body.records.length > limits.maxRecordsPerRequest) throw RestErrors.tooManyRecords(body.records.length, limits.maxRecordsPerRequest);
    const count = producer.partitions(topic);
    if (partition !== undefined && (partition < 0 || partition >= count)) throw RestErrors.partitionNotFound(topic, partition);
    const parsed = body.records.map((r, i) => {
      const rec = parseBody(recordSchema, r);
      if (partition !== undefined && rec.partition !== undefined && rec.partition !== partition) {
        throw RestErrors.badBody(`records.${i}.partition ${rec.partition} differs from the partition ${partition} of the URL`);
      }
      return rec;
    });
    let keySchemaId: number | null = null;
    let valueSchemaId: number | null = null;
    let records: ProduceRecord[];
    const placement = (rec: (typeof parsed)[number]) => (partition !== undefined ? { partition } : rec.partition !== undefined ? { partition: rec.partition } : {});
    if (format === 'binary' || format === 'json') {
      records = parsed.map((rec, i) => {
        const headers = headersOf(format, rec.headers, i);
        return {
          key: schemalessBytes(format, rec.key, `records.${i}.key`),
          value: schemalessBytes(format, rec.value, `records.${i}.value`),
          ...(headers ? { headers } : {}),
          ...placement(rec),
        };
      });
    } else {
      const serde = schemas();
      if (serde === undefined) throw RestErrors.schemaRegistryUnavailable();
      const present = (v: unknown) => v !== undefined && v !== null;
      if (parsed.some((r) => present(r.key))) keySchemaId = await serde.schemaId(topic, 'key', format, body.key_schema, body.key_schema_id);
      if (parsed.some((r) => present(r.value))) valueSchemaId = await serde.schemaId(topic, 'value', format, body.value_schema, body.value_schema_id);
      records = [];
      for (const [i, rec] of parsed.entries()) {
        const headers = headersOf('json', rec.headers, i);
        records.push({
          key: present(rec.key) ? await serde.serialize(keySchemaId!, rec.key) : null,
          value: present(rec.value) ? await serde.serialize(valueSchemaId!, rec.value) : null,
          ...(headers ? { headers } : {}),
          ...placement(rec),
        });
      }
    }
    const results = records.length === 0 ? [] : await producer.produce(topic, records, ctx.caller, ctx.req.headers[FORWARDED_HEADER] === undefined);
    return {
      status: 200,
      body: {
        offsets: results.map((r) => ({
          partition: r.partition,
          offset: r.errorCode === 0 ? r.offset : null,
          error_code: r.errorCode === 0 ? null : isRetriable(r.errorCode) ? 2 : 1,
          error: r.error,
        })),
        key_schema_id: keySchemaId,
        value_schema_id: valueSchemaId,
      },
    };
  };
  return [
    route('POST', `/topics/${SEG}`, 'v2', (ctx) => produce(ctx, ctx.params[0]!, undefined)),
    route('POST', `/topics/${SEG}/partitions/(\\d+)`, 'v2', (ctx) => produce(ctx, ctx.params[0]!, Number(ctx.params[1]))),
  ];
}
