// Thread: vitest test worker. Plain `fetch` calls to a test broker's REST proxy (on its HTTP
// listener): JSON in, status + parsed JSON (or text) out.
import http from 'node:http';
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

/** One REST call (node:http, so a GET may carry a body, as Confluent's GET …/offsets does); a string body is sent as is, anything else as JSON. */
export function rest<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = V2,
  headers: Record<string, string> = {},
): Promise<RestAnswer<T>> {
  const payload = body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? Buffer.from(body as string) : Buffer.from(JSON.stringify(body));
  const url = new URL(`${base}${path}`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { ...(payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {}), ...headers }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, contentType: (res.headers['content-type'] as string | undefined) ?? null, body: parsed as T, text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`REST ${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
