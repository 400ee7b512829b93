// Thread: vitest test worker. Plain `fetch` calls to a test broker's REST proxy (on its HTTP
// listener): JSON in, status + parsed JSON (or text) out.
import type { BrokerHandle } from './broker.js';
import { httpPortOf } from './metrics.js';

export const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';
export const JSON_V2 = 'application/vnd.kafka.json.v2+json';
export const V2 = 'application/vnd.kafka.v2+json';

export interface RestAnswer<T = any> {
  status: number;
  contentType: string | null;
  body: T;
  text: string;
}

export function restBase(broker: BrokerHandle): string {
  return `http://127.0.0.1:${httpPortOf(broker)}`;
}

/** One REST call; a string body is sent as is, anything else as JSON. */
export async function rest<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = V2,
  headers: Record<string, string> = {},
): Promise<RestAnswer<T>> {
  const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(30_000) };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = contentType;
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body: parsed as T, text };
}

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
