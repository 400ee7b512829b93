// Thread: main. The v2 schema formats on produce (avro, jsonschema, protobuf) with the broker's
// own schema registry (src/schema-registry): the request's `value_schema` / `key_schema` is
// registered under `<topic>-value` / `<topic>-key` (TopicNameStrategy, the registry answers
// the id it already has), or `value_schema_id` / `key_schema_id` names a registered schema;
// each JSON value is checked against the schema and serialised — Avro binary (avsc),
// JSON text checked by ajv, Protobuf (protobufjs, the file's first message, message index 0) —
// behind the standard wire header (magic 0 + 4-byte schema id). Parsed schemas are cached by
// id (bounded).
import protobuf from 'protobufjs';
import type avro from 'avsc';
import type { AnySchema, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { formatOf, type ParsedSchema, type ResolvedReference, type SchemaReference, type SchemaType } from '../../schema-registry/formats/index.js';
import { encodeWireHeader, RegistryError, type SchemaRegistry } from '../../schema-registry/index.js';
import { RestError, RestErrors } from './rest-errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;
const MAX_CACHED = 256;
const MAX_REFERENCE_DEPTH = 16;

export type SchemaFormatName = 'avro' | 'jsonschema' | 'protobuf';
const SCHEMA_TYPE: Record<SchemaFormatName, SchemaType> = { avro: 'AVRO', jsonschema: 'JSON', protobuf: 'PROTOBUF' };

type Serializer = (value: unknown) => Buffer;

/** A registry error as the proxy answers it (the registry's own code and status). */
function restErrorOfRegistry(err: unknown): unknown {
  if (err instanceof RegistryError) return new RestError(err.status, err.errorCode, err.message);
  return err;
}

function firstProtobufMessage(parsed: { root: protobuf.Root; pkg: string; ownMessages: string[] }): protobuf.Type {
  const own = new Set(parsed.ownMessages);
  const ns = parsed.pkg === '' ? parsed.root : (parsed.root.lookup(parsed.pkg) as protobuf.Namespace | null);
  const type = ns?.nestedArray.find((n): n is protobuf.Type => n instanceof protobuf.Type && own.has(n.fullName));
  if (type === undefined) throw RestErrors.badBody('The protobuf schema defines no message');
  return type;
}

function jsonValidator(parsed: { doc: unknown; refs: Record<string, unknown> }): ValidateFunction {
  const draft = typeof parsed.doc === 'object' && parsed.doc !== null ? String((parsed.doc as { $schema?: unknown }).$schema ?? '') : '';
  const opts = { strict: false, allErrors: false, validateFormats: true };
  const ajv = draft.includes('2020-12') ? (new Ajv2020(opts) as unknown as Ajv) : draft.includes('2019-09') ? (new Ajv2019(opts) as unknown as Ajv) : new Ajv(opts);
  addFormats(ajv);
  for (const [name, doc] of Object.entries(parsed.refs)) ajv.addSchema(doc as AnySchema, name);
  return ajv.compile(parsed.doc as AnySchema);
}

function serializerOf(parsed: ParsedSchema): Serializer {
  const invalid = (message: string) => new RestError(422, 42205, `The record does not match its schema: ${message}`);
  switch (parsed.schemaType) {
    case 'AVRO': {
      const type = (parsed.parsed as { type: avro.Type }).type;
      return (value) => {
        const paths: string[] = [];
        if (!type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') })) throw invalid(`Avro ${type.toString().slice(0, 200)}: bad field ${paths.join(', ')}`);
        return type.toBuffer(value);
      };
    }
    case 'JSON': {
      const validate = jsonValidator(parsed.parsed as { doc: unknown; refs: Record<string, unknown> });
      return (value) => {
        if (!validate(value)) throw invalid(`JSON Schema: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`);
        return Buffer.from(JSON.stringify(value), 'utf8');
      };
    }
    case 'PROTOBUF': {
      const type = firstProtobufMessage(parsed.parsed as { root: protobuf.Root; pkg: string; ownMessages: string[] });
      return (value) => {
        if (value === null || typeof value !== 'object') throw invalid(`Protobuf ${type.name}: a message is a JSON object`);
        const problem = type.verify(value as Record<string, unknown>);
        if (problem !== null) throw invalid(`Protobuf ${type.name}: ${problem}`);
        // Message index path [0] (the first message) is written as a single 0 byte.
        return Buffer.concat([Buffer.from([0]), Buffer.from(type.encode(type.fromObject(value as Record<string, unknown>)).finish())]);
      };
    }
  }
}

export class SchemaSerde {
  private readonly cache = new Map<number, Promise<{ schemaType: SchemaType; serialize: Serializer }>>();

  constructor(private readonly registry: SchemaRegistry) {}

  /** The schema id a produce request uses for one role: by id, or the schema registered under `<topic>-<role>`. */
  async schemaId(topic: string, role: 'key' | 'value', format: SchemaFormatName, schema: string | undefined, id: number | undefined): Promise<number> {
    try {
      if (id !== undefined) {
        const record = await this.registry.getById(id);
        if (record.schemaType !== SCHEMA_TYPE[format]) throw RestErrors.badBody(`Schema ${id} is ${record.schemaType}, not ${SCHEMA_TYPE[format]} as the ${format} format needs`);
        return id;
      }
      if (schema !== undefined) return (await this.registry.register(`${topic}-${role}`, { schema, schemaType: SCHEMA_TYPE[format] })).id;
    } catch (err) {
      throw restErrorOfRegistry(err);
    }
    throw RestErrors.schemaMissing(`Request includes ${role}s and uses the ${format} format, but gives neither ${role}_schema nor ${role}_schema_id`);
  }

  /** Wire header + the value serialised with schema `id`; RestError 42205 when it does not match. */
  async serialize(id: number, value: unknown): Promise<Buffer> {
    const { serialize } = await this.entry(id);
    return Buffer.concat([encodeWireHeader(id), serialize(value)]);
  }

  private entry(id: number): Promise<{ schemaType: SchemaType; serialize: Serializer }> {
    let entry = this.cache.get(id);
    if (entry === undefined) {
      entry = (async () => {
        const record = await this.registry.getById(id);
        const parsed = formatOf(record.schemaType).parse(record.schema, await this.resolve(record.references, 0, new Set(), []));
        return { schemaType: record.schemaType, serialize: serializerOf(parsed) };
      })();
      entry.catch(() => this.cache.delete(id));
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(id, entry);
    }
    return entry.catch((err: unknown) => {
      throw restErrorOfRegistry(err);
    });
  }

  private async resolve(refs: SchemaReference[], depth: number, seen: Set<string>, out: ResolvedReference[]): Promise<ResolvedReference[]> {
    if (depth > MAX_REFERENCE_DEPTH) throw RestErrors.badBody('Schema references nest too deep');
    for (const ref of refs) {
      const key = `${ref.subject}\u0000${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const view = await this.registry.getVersion(ref.subject, ref.version);
      await this.resolve(view.references, depth + 1, seen, out);
      out.push({ name: ref.name, schemaType: view.schemaType, schema: view.schema });
    }
    return out;
  }
}
