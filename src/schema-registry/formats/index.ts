// Thread: main. The schema formats by their Confluent `schemaType` name.
import { avroFormat } from './avro.js';
import { jsonSchemaFormat } from './json-schema.js';
import { protobufFormat } from './protobuf.js';
import type { SchemaFormat, SchemaType } from './schema-format.js';

export * from './schema-format.js';

const formats: Record<SchemaType, SchemaFormat> = { AVRO: avroFormat, JSON: jsonSchemaFormat, PROTOBUF: protobufFormat };

export function formatOf(schemaType: SchemaType): SchemaFormat {
  return formats[schemaType];
}
