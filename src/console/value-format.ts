// Thread: main. How the message browser shows a key, a header value or a value: null; a
// Confluent-framed value (magic byte 0 + 4-byte schema id + payload) decoded by the schema
// registry when one is wired (SchemaDecoder), else "schema id N" + hex; UTF-8 JSON,
// pretty-printed; other UTF-8 text as is; anything else as hex. Bounded: text past
// MAX_TEXT_BYTES and hex past MAX_HEX_BYTES are cut (truncated: true, size says the whole).

export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_HEX_BYTES = 4 * 1024;

export type FormattedValue =
  | { kind: 'null' }
  | { kind: 'json'; size: number; text: string; truncated: boolean; schemaId?: number }
  | { kind: 'text'; size: number; text: string; truncated: boolean }
  | { kind: 'schema'; size: number; schemaId: number; hex: string; truncated: boolean; error?: string }
  | { kind: 'hex'; size: number; hex: string; truncated: boolean };

/** Decodes a schema-registry framed payload to a JSON-able value (wired to src/schema-registry when present). */
export interface SchemaDecoder {
  decode(schemaId: number, payload: Buffer): Promise<unknown>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexOf(buf: Buffer): { hex: string; truncated: boolean } {
  const shown = buf.subarray(0, MAX_HEX_BYTES);
  return { hex: shown.toString('hex'), truncated: shown.length < buf.length };
}

/** Text when buf is valid UTF-8 without control characters other than tab and newlines. */
function asText(buf: Buffer): string | undefined {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

function looksLikeJson(text: string): boolean {
  const c = text.trimStart()[0];
  return c === '{' || c === '[' || c === '"';
}

export async function formatValue(buf: Buffer | null, schemas?: SchemaDecoder): Promise<FormattedValue> {
  if (buf === null) return { kind: 'null' };
  const size = buf.length;
  if (size >= 5 && buf[0] === 0) {
    const schemaId = buf.readInt32BE(1);
    if (schemas !== undefined) {
      try {
        const decoded = await schemas.decode(schemaId, buf.subarray(5));
        // bigint (Avro longs past 2^53) as decimal text; bytes (Buffer, before its toJSON) as hex.
        const text =
          JSON.stringify(
            decoded,
            function (this: Record<string, unknown>, k: string, v: unknown) {
              const raw = this[k];
              return typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(raw) ? raw.toString('hex') : v;
            },
            2,
          ) ?? 'null';
        return { kind: 'json', size, text, truncated: false, schemaId };
      } catch (err) {
        return { kind: 'schema', size, schemaId, ...hexOf(buf), error: (err as Error).message };
      }
    }
    return { kind: 'schema', size, schemaId, ...hexOf(buf) };
  }
  if (size <= MAX_TEXT_BYTES) {
    const text = asText(buf);
    if (text !== undefined) {
      if (looksLikeJson(text)) {
        try {
          return { kind: 'json', size, text: JSON.stringify(JSON.parse(text), null, 2), truncated: false };
        } catch {
          // not JSON after all: plain text
        }
      }
      return { kind: 'text', size, text, truncated: false };
    }
  } else {
    // Too long to show whole: the first MAX_TEXT_BYTES as text when they decode (a cut may split a character).
    const head = asText(buf.subarray(0, MAX_TEXT_BYTES - 3)) ?? asText(buf.subarray(0, MAX_TEXT_BYTES - 2)) ?? asText(buf.subarray(0, MAX_TEXT_BYTES - 1)) ?? asText(buf.subarray(0, MAX_TEXT_BYTES));
    if (head !== undefined) return { kind: 'text', size, text: head, truncated: true };
  }
  return { kind: 'hex', size, ...hexOf(buf) };
}
