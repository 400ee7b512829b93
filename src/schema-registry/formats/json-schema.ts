// Thread: main. JSON Schema with ajv (maintained, the most used JSON Schema validator for
// Node): a schema is valid when ajv compiles it (draft-07 by default; 2019-09 and 2020-12 when
// `$schema` names them; formats from ajv-formats). References are added to the same ajv
// instance under their name, so `"$ref": "<name>"` resolves.
//
// Compatibility: no maintained npm library implements a JSON Schema diff (ajv validates
// documents, it does not compare schemas), so the subset of Confluent's JSON Schema rules
// below is written by hand, in json-schema-compat.ts. "reader can read writer" means every
// document valid against the writer is valid against the reader.
import type { AnySchema } from 'ajv';
import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { invalidSchema } from '../errors.js';
import { jsonSchemaReadErrors } from './json-schema-compat.js';
import type { ParsedSchema, ResolvedReference, SchemaFormat } from './schema-format.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidSchema(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function ajvFor(schema: unknown): Ajv {
  const draft = typeof schema === 'object' && schema !== null ? String((schema as { $schema?: unknown }).$schema ?? '') : '';
  const opts = { strict: false, allErrors: false, validateFormats: true };
  if (draft.includes('2020-12')) return new Ajv2020(opts) as unknown as Ajv;
  if (draft.includes('2019-09')) return new Ajv2019(opts) as unknown as Ajv;
  if (draft.includes('draft-04') || draft.includes('draft-03')) throw invalidSchema(`JSON Schema ${draft} is not supported (draft-06, draft-07, 2019-09 and 2020-12 are)`);
  return new Ajv(opts);
}

export const jsonSchemaFormat: SchemaFormat = {
  schemaType: 'JSON',

  parse(text: string, references: ResolvedReference[]): ParsedSchema {
    const doc = parseJson(text, 'the schema');
    if (typeof doc !== 'object' && typeof doc !== 'boolean') throw invalidSchema('a JSON Schema is an object or a boolean');
    const ajv = ajvFor(doc);
    addFormats(ajv);
    const refs: Record<string, unknown> = {};
    for (const ref of references) {
      if (ref.schemaType !== 'JSON') throw invalidSchema(`reference ${ref.name} is ${ref.schemaType}, a JSON Schema can only reference JSON Schemas`);
      const refDoc = parseJson(ref.schema, `reference ${ref.name}`);
      refs[ref.name] = refDoc;
      try {
        ajv.addSchema(refDoc as AnySchema, ref.name);
      } catch (err) {
        throw invalidSchema(`reference ${ref.name}: ${(err as Error).message}`);
      }
    }
    try {
      ajv.compile(doc as AnySchema);
    } catch (err) {
      throw invalidSchema((err as Error).message);
    }
    return { schemaType: 'JSON', canonical: JSON.stringify(doc), parsed: { doc, refs } };
  },

  readErrors(reader: ParsedSchema, writer: ParsedSchema): string[] {
    const r = reader.parsed as { doc: unknown; refs: Record<string, unknown> };
    const w = writer.parsed as { doc: unknown; refs: Record<string, unknown> };
    return jsonSchemaReadErrors({ root: r.doc, refs: r.refs }, { root: w.doc, refs: w.refs });
  },
};
