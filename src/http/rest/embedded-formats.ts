// Thread: main. The v2 embedded formats without schemas: `binary` carries keys and values as
// base64 strings, `json` as any JSON value (stored as its UTF-8 JSON text, as Confluent's JSON
// serializer does). The schema formats (avro, jsonschema, protobuf) go through the schema
// registry (schema-formats.ts). Content types: application/vnd.kafka.<format>.v2+json.
import { RestError, RestErrors } from './rest-errors.js';

export const EMBEDDED_FORMATS = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'] as const;
export type EmbeddedFormat = (typeof EMBEDDED_FORMATS)[number];

const V2_EMBEDDED = /^application\/vnd\.kafka\.([a-z]+)\.v2\+json$/;

/**
 * The embedded format a v2 produce request declares in Content-Type; RestError 415 for any
 * other media type. `application/json` and `application/vnd.kafka.v2+json` mean json.
 */
export function formatOfContentType(mediaType: string): EmbeddedFormat {
  if (mediaType === 'application/json' || mediaType === 'application/vnd.kafka.v2+json') return 'json';
  const m = V2_EMBEDDED.exec(mediaType);
  const format = m?.[1];
  if (format !== undefined && (EMBEDDED_FORMATS as readonly string[]).includes(format)) return format as EmbeddedFormat;
  throw RestErrors.unsupportedMediaType(mediaType);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A base64 string → bytes; RestError 42201 when it is not base64. */
export function decodeBase64(value: unknown, field: string): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || !BASE64.test(value)) throw RestErrors.badBody(`${field} is not a base64 string`);
  return Buffer.from(value, 'base64');
}

/** A JSON value → its UTF-8 JSON text; null/absent → null (no bytes). */
export function encodeJsonValue(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Stored bytes → the JSON value they hold, for consumers in the json format. */
export function decodeJsonBytes(bytes: Buffer | null, where: string): unknown {
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RestError(500, 50002, `${where} is not JSON: it cannot be returned in the json embedded format (use binary)`);
  }
}

/** Key or value bytes of a produced record in a schemaless format. */
export function schemalessBytes(format: 'binary' | 'json', value: unknown, field: string): Buffer | null {
  return format === 'binary' ? decodeBase64(value, field) : encodeJsonValue(value);
}

/** Stored bytes as the consumer's format shows them. */
export function renderBytes(format: 'binary' | 'json', bytes: Buffer | null, where: string): unknown {
  if (format === 'binary') return bytes === null ? null : bytes.toString('base64');
  return decodeJsonBytes(bytes, where);
}
