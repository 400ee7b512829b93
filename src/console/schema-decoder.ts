// Thread: main. Decodes schema-registry framed values for the message browser (value-format.ts):
// the schema by id from the broker's own registry (src/schema-registry), its references
// resolved through the registry's public lookups, parsed once by the registry's format
// (avsc, protobufjs) and cached (at most MAX_CACHED schemas). Avro: `type.fromBuffer`; JSON
// Schema: the payload is JSON text; Protobuf: Confluent's message-index path (zigzag varints,
// a single 0 = the first message) picks the message type, decoded by protobufjs to an object
// (longs and enums as strings, bytes base64).
import protobuf from 'protobufjs';
import type avro from 'avsc';
import { formatOf, type ParsedSchema, type ResolvedReference, type SchemaReference } from '../schema-registry/formats/index.js';
import type { SchemaRegistry } from '../schema-registry/index.js';
import type { SchemaDecoder } from './value-format.js';

const MAX_CACHED = 256;
const MAX_REFERENCE_DEPTH = 16;
const MAX_MESSAGE_INDEXES = 64;

/** Zigzag varint at pos (Confluent's message indexes); throws past the end. */
function readZigzag(buf: Buffer, pos: number): { value: number; next: number } {
  let result = 0;
  let shift = 0;
  for (let i = pos; i < buf.length && shift < 35; i++) {
    result |= (buf[i]! & 0x7f) << shift;
    if ((buf[i]! & 0x80) === 0) return { value: (result >>> 1) ^ -(result & 1), next: i + 1 };
    shift += 7;
  }
  throw new RangeError('truncated message index');
}

/** The protobuf message indexes at the start of a payload, and where the message starts. */
export function readMessageIndexes(payload: Buffer): { indexes: number[]; offset: number } {
  const count = readZigzag(payload, 0);
  if (count.value === 0) return { indexes: [0], offset: count.next };
  if (count.value < 0 || count.value > MAX_MESSAGE_INDEXES) throw new RangeError(`bad message index count ${count.value}`);
  const indexes: number[] = [];
  let pos = count.next;
  for (let i = 0; i < count.value; i++) {
    const v = readZigzag(payload, pos);
    indexes.push(v.value);
    pos = v.next;
  }
  return { indexes, offset: pos };
}

function protobufType(parsed: { root: protobuf.Root; pkg: string; ownMessages: string[] }, indexes: number[]): protobuf.Type {
  const own = new Set(parsed.ownMessages);
  const ns = parsed.pkg === '' ? parsed.root : (parsed.root.lookup(parsed.pkg) as protobuf.Namespace | null);
  if (ns === null) throw new Error(`package ${parsed.pkg} not found in the schema`);
  let candidates = ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type && own.has(n.fullName));
  let type: protobuf.Type | undefined;
  for (const i of indexes) {
    type = candidates[i];
    if (type === undefined) throw new Error(`message index ${indexes.join('.')} names no message of the schema`);
    candidates = type.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
  }
  return type!;
}

export function registrySchemaDecoder(registry: SchemaRegistry): SchemaDecoder {
  const cache = new Map<number, Promise<ParsedSchema>>();

  const resolve = async (refs: SchemaReference[], depth: number, seen: Set<string>, out: ResolvedReference[]): Promise<ResolvedReference[]> => {
    if (depth > MAX_REFERENCE_DEPTH) throw new Error(`references nested deeper than ${MAX_REFERENCE_DEPTH}`);
    for (const ref of refs) {
      if (seen.has(ref.name)) continue;
      seen.add(ref.name);
      const v = await registry.getVersion(ref.subject, ref.version, true);
      await resolve(v.references, depth + 1, seen, out);
      out.push({ name: ref.name, schemaType: v.schemaType, schema: v.schema });
    }
    return out;
  };

  const parsedOf = (id: number): Promise<ParsedSchema> => {
    let entry = cache.get(id);
    if (entry === undefined) {
      entry = (async () => {
        const record = await registry.getById(id);
        return formatOf(record.schemaType).parse(record.schema, await resolve(record.references, 0, new Set(), []));
      })();
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(id, entry);
      // A failure (unknown id, store down) is not remembered: asked again next time.
      entry.catch(() => cache.delete(id));
    }
    return entry;
  };

  return {
    async decode(schemaId, payload) {
      let parsed: ParsedSchema;
      try {
        parsed = await parsedOf(schemaId);
      } catch (err) {
        throw new Error(`schema id ${schemaId}: ${(err as Error).message}`);
      }
      switch (parsed.schemaType) {
        case 'AVRO':
          return (parsed.parsed as { type: avro.Type }).type.fromBuffer(payload);
        case 'JSON':
          return JSON.parse(payload.toString('utf8'));
        case 'PROTOBUF': {
          const { indexes, offset } = readMessageIndexes(payload);
          const type = protobufType(parsed.parsed as { root: protobuf.Root; pkg: string; ownMessages: string[] }, indexes);
          return type.toObject(type.decode(payload.subarray(offset)), { longs: String, enums: String, bytes: String, defaults: false });
        }
      }
    },
  };
}
