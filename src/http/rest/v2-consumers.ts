// Thread: main. v2 consumer routes (Confluent REST Proxy's): create an instance in a group,
// subscribe / assign, positions, records, commit and committed offsets, delete. The instance
// (consumer-instance.ts) is a real group member through the KafkaBridge. The schema formats
// decode framed records with the broker's schema registry (the console's decoder).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BrokerContext } from '../../broker-context.js';
import type { KafkaBridge } from '../kafka-bridge.js';
import type { ConsumerRegistry } from './consumer-registry.js';
import { ConsumerInstance, type ConsumerConfig } from './consumer-instance.js';
import { renderBytes } from './embedded-formats.js';
import { readJson } from './http-io.js';
import type { RestLimits } from './rest-limits.js';
import { RestError, RestErrors } from './rest-errors.js';
import { registrySchemaDecoder } from '../../console/schema-decoder.js';
import type { SchemaDecoder } from '../../console/value-format.js';
import { readWireSchemaId, WIRE_HEADER_BYTES } from '../../schema-registry/index.js';
import { route, SEG, type Route, type RouteContext } from './routes.js';
import { parseBody, zodMessage } from './v2-produce.js';

const NAME = /^[A-Za-z0-9._-]{1,249}$/;
const intLike = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const boolLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

const createSchema = z.object({
  name: z.string().regex(NAME, 'letters, digits, ".", "_" and "-", at most 249').optional(),
  format: z.enum(['binary', 'json', 'avro', 'jsonschema', 'protobuf']).default('binary'),
  'auto.offset.reset': z.enum(['earliest', 'latest', 'none', 'smallest', 'largest']).default('latest'),
  'auto.commit.enable': boolLike.default(true),
  'fetch.min.bytes': intLike.pipe(z.number().int().min(0).max(64 * 1024 * 1024)).default(1),
  'consumer.request.timeout.ms': intLike.pipe(z.number().int().min(0).max(300_000)).default(1000),
});
const subscribeSchema = z
  .object({ topics: z.array(z.string().min(1)).min(1).optional(), topic_pattern: z.string().min(1).optional() })
  .refine((b) => (b.topics === undefined) !== (b.topic_pattern === undefined), 'give exactly one of topics and topic_pattern');
const partitionSchema = z.object({ topic: z.string().min(1), partition: z.number().int().min(0) });
const partitionsSchema = z.object({ partitions: z.array(partitionSchema).max(100_000) });
const offsetsSchema = z.object({ offsets: z.array(partitionSchema.extend({ offset: z.number().int().min(0), metadata: z.string().optional() })).max(100_000) });
const optionalOffsetsSchema = z.object({ offsets: offsetsSchema.shape.offsets.optional() }).optional();

const FORMAT_ACCEPT = /application\/vnd\.kafka\.([a-z]+)\.v2\+json/;

export function v2ConsumerRoutes(broker: BrokerContext, bridge: KafkaBridge, registry: ConsumerRegistry, limits: RestLimits, logger: Logger): Route[] {
  const instance = (ctx: RouteContext) => registry.get(ctx.params[0]!, ctx.params[1]!);
  const body = async <T>(ctx: RouteContext, schema: z.ZodType<T>) => parseBody(schema, await readJson(ctx.req, limits.maxRequestBytes));
  const base = `/consumers/${SEG}/instances/${SEG}`;
  const partitionCount = (topic: string) => broker.topics.get(topic)?.partitions ?? 0;
  let decoder: SchemaDecoder | undefined;
  const schemaDecoder = (): SchemaDecoder => {
    if (broker.schemaRegistry === undefined) throw RestErrors.schemaRegistryUnavailable();
    return (decoder ??= registrySchemaDecoder(broker.schemaRegistry));
  };

  return [
    route('POST', `/consumers/${SEG}`, 'v2', async (ctx) => {
      const group = ctx.params[0]!;
      const parsed = createSchema.safeParse((await readJson(ctx.req, limits.maxRequestBytes)) ?? {});
      if (!parsed.success) throw RestErrors.invalidConsumerConfig(`Invalid consumer config: ${zodMessage(parsed.error)}`);
      const c = parsed.data;
      if (c.format !== 'binary' && c.format !== 'json' && broker.schemaRegistry === undefined) throw RestErrors.schemaRegistryUnavailable();
      const name = c.name ?? `rest-consumer-${randomBytes(8).toString('hex')}`;
      if (registry.has(group, name)) throw RestErrors.instanceExists(group, name);
      const reset = c['auto.offset.reset'];
      const config: ConsumerConfig = {
        format: c.format,
        autoOffsetReset: reset === 'smallest' ? 'earliest' : reset === 'largest' ? 'latest' : reset,
        autoCommit: c['auto.commit.enable'],
        fetchMinBytes: c['fetch.min.bytes'],
        requestTimeoutMs: c['consumer.request.timeout.ms'],
      };
      const created = new ConsumerInstance(group, name, config, bridge, { ...ctx.caller, clientId: `rest-${name}` }, partitionCount, () => broker.topics.names(), logger);
      try {
        registry.add(created);
      } catch (err) {
        await created.close();
        throw err;
      }
      const host = ctx.req.headers.host ?? '127.0.0.1';
      return { status: 200, body: { instance_id: name, base_uri: `http://${host}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(name)}` } };
    }),
    route('DELETE', base, 'v2', async (ctx) => {
      await registry.delete(ctx.params[0]!, ctx.params[1]!);
      return { status: 204 };
    }),
    route('POST', `${base}/subscription`, 'v2', async (ctx) => {
      const i = instance(ctx);
      const b = await body(ctx, subscribeSchema);
      await i.run(async () => i.subscribe(b.topics ?? null, b.topic_pattern ?? null));
      return { status: 204 };
    }),
    route('GET', `${base}/subscription`, 'v2', async (ctx) => {
      const i = instance(ctx);
      return { status: 200, body: { topics: await i.run(async () => i.subscription()) } };
    }),
    route('DELETE', `${base}/subscription`, 'v2', async (ctx) => {
      const i = instance(ctx);
      await i.run(() => i.unsubscribe());
      return { status: 204 };
    }),
    route('POST', `${base}/assignments`, 'v2', async (ctx) => {
      const i = instance(ctx);
      const b = await body(ctx, partitionsSchema);
      await i.run(async () => i.assign(b.partitions));
      return { status: 204 };
    }),
    route('GET', `${base}/assignments`, 'v2', async (ctx) => {
      const i = instance(ctx);
      return { status: 200, body: { partitions: await i.run(async () => i.assignment().map((p) => ({ topic: p.topic, partition: p.partition }))) } };
    }),
    route('POST', `${base}/positions`, 'v2', async (ctx) => {
      const i = instance(ctx);
      const b = await body(ctx, offsetsSchema);
      await i.run(async () => i.seek(b.offsets));
      return { status: 204 };
    }),
    route('POST', `${base}/positions/(beginning|end)`, 'v2', async (ctx) => {
      const i = instance(ctx);
      const b = await body(ctx, partitionsSchema);
      await i.run(() => i.seekTo(b.partitions, ctx.params[2] as 'beginning' | 'end'));
      return { status: 204 };
    }),
    route('GET', `${base}/records`, 'v2', async (ctx) => {
      const i = instance(ctx);
      const wanted = FORMAT_ACCEPT.exec(String(ctx.req.headers.accept ?? ''))?.[1];
      if (wanted !== undefined && wanted !== i.config.format) throw RestErrors.formatMismatch(i.config.format, wanted);
      const timeoutMs = boundedInt(ctx.query.get('timeout'), i.config.requestTimeoutMs, 0, 300_000, 'timeout');
      const maxBytes = boundedInt(ctx.query.get('max_bytes'), limits.maxRequestBytes, 1, limits.maxRequestBytes, 'max_bytes');
      const format = i.config.format;
      const decoder = format === 'binary' || format === 'json' ? undefined : schemaDecoder();
      const render = async (bytes: Buffer | null, where: string): Promise<unknown> => {
        if (decoder === undefined) return renderBytes(format as 'binary' | 'json', bytes, where);
        return decodeFramed(decoder, bytes, where);
      };
      const records = await i.run(() =>
        i.records(timeoutMs, maxBytes, async (r) => ({
          topic: r.topic,
          key: await render(r.key, `the key of ${r.topic}-${r.partition}@${r.offset}`),
          value: await render(r.value, `the value of ${r.topic}-${r.partition}@${r.offset}`),
          partition: r.partition,
          offset: r.offset,
        })),
      );
      return { status: 200, body: records };
    }),
    route('POST', `${base}/offsets`, 'v2', async (ctx) => {
      const i = instance(ctx);
      const b = await body(ctx, optionalOffsetsSchema);
      await i.run(() => i.commit(b?.offsets));
      return { status: 200 };
    }),
    route('GET', `${base}/offsets`, 'v2', async (ctx) => {
      const i = instance(ctx);
      const b = await body(ctx, partitionsSchema);
      const committed = await i.run(() => i.committed(b.partitions));
      return { status: 200, body: { offsets: committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset, metadata: c.metadata })) } };
    }),
  ];
}

/** A schema-registry framed key or value (magic 0 + schema id) decoded with its schema; 50002 otherwise. */
async function decodeFramed(decoder: SchemaDecoder, bytes: Buffer | null, where: string): Promise<unknown> {
  if (bytes === null) return null;
  const id = readWireSchemaId(bytes);
  if (id === undefined) throw new RestError(500, 50002, `${where} is not in the schema registry wire format (magic byte 0 + schema id): read it in the binary format`);
  try {
    return await decoder.decode(id, bytes.subarray(WIRE_HEADER_BYTES));
  } catch (err) {
    throw new RestError(500, 50002, `${where} cannot be decoded with schema ${id}: ${(err as Error).message}`);
  }
}

function boundedInt(value: string | null, fallback: number, min: number, max: number, name: string): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw RestErrors.badBody(`${name} must be an integer ≥ ${min}`);
  return Math.min(n, max);
}
