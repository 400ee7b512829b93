// Thread: main. What every schema format (Avro, JSON Schema, Protobuf) provides to the registry:
// parsing a schema text (with its resolved references) into a checked, normalised form, and
// the one question compatibility is built from — can a reader of schema R read data written
// with schema W? The compatibility levels (src/schema-registry/compatibility.ts) combine it.

export const SCHEMA_TYPES = ['AVRO', 'JSON', 'PROTOBUF'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

/** A reference as registered: `name` is how the schema refers to it (Avro full name, protobuf import path, JSON $ref URL). */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A reference with its schema text, dependencies first (transitive references included). */
export interface ResolvedReference {
  name: string;
  schemaType: SchemaType;
  schema: string;
}

export interface ParsedSchema {
  readonly schemaType: SchemaType;
  /** Normalised text: the same schema written differently (whitespace, for JSON formats) has one canonical text. */
  readonly canonical: string;
  /** Format-specific parsed form (avsc Type, JSON document, protobufjs Root). */
  readonly parsed: unknown;
}

export interface SchemaFormat {
  readonly schemaType: SchemaType;
  /** Parses and checks `text`; throws RegistryError 42201 (invalid schema) with the library's message. */
  parse(text: string, references: ResolvedReference[]): ParsedSchema;
  /**
   * Why a reader using `reader` cannot read every record written with `writer`; empty when it can.
   * BACKWARD asks readErrors(new, old); FORWARD readErrors(old, new).
   */
  readErrors(reader: ParsedSchema, writer: ParsedSchema): string[];
}
