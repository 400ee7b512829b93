// Thread: main. Avro schemas with avsc (maintained, the reference JavaScript implementation of
// the Avro spec). Parsing is `Type.forSchema`; references (named types defined in other
// subjects) are parsed first into the same avsc registry, so the schema can name them.
// Compatibility is Avro's own schema resolution: `reader.createResolver(writer)` succeeds
// exactly when data written with `writer` can be read with `reader` (field defaults, type
// promotions, union branches, enum symbols, names and aliases) — no hand-written rules.
import avro from 'avsc';
import { invalidSchema } from '../errors.js';
import type { ParsedSchema, ResolvedReference, SchemaFormat } from './schema-format.js';

interface AvroParsed {
  type: avro.Type;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidSchema(`not valid JSON: ${(err as Error).message}`);
  }
}

export const avroFormat: SchemaFormat = {
  schemaType: 'AVRO',

  parse(text: string, references: ResolvedReference[]): ParsedSchema {
    const registry: Record<string, avro.Type> = {};
    for (const ref of references) {
      if (ref.schemaType !== 'AVRO') throw invalidSchema(`reference ${ref.name} is ${ref.schemaType}, an Avro schema can only reference Avro schemas`);
      try {
        avro.Type.forSchema(parseJson(ref.schema) as avro.Schema, { registry });
      } catch (err) {
        throw invalidSchema(`reference ${ref.name}: ${(err as Error).message}`);
      }
    }
    const json = parseJson(text);
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(json as avro.Schema, { registry });
    } catch (err) {
      throw invalidSchema((err as Error).message);
    }
    const parsed: AvroParsed = { type };
    return { schemaType: 'AVRO', canonical: JSON.stringify(json), parsed };
  },

  readErrors(reader: ParsedSchema, writer: ParsedSchema): string[] {
    const r = (reader.parsed as AvroParsed).type;
    const w = (writer.parsed as AvroParsed).type;
    try {
      r.createResolver(w);
      return [];
    } catch (err) {
      return [`Avro schema resolution fails (reader cannot read writer): ${(err as Error).message}`];
    }
  },
};
