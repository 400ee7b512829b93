// Thread: main. Request bodies and JSON answers of the REST proxy: bodies are read up to
// rest.max.request.bytes (past it: 413 and the socket stops being read), JSON is parsed into
// 422 on error, and answers carry the proxy's content types.
import type http from 'node:http';
import { RestError, RestErrors } from './rest-errors.js';

export const V2_CONTENT_TYPE = 'application/vnd.kafka.v2+json';
export const V3_CONTENT_TYPE = 'application/json';

/** The whole body, or RestError 413 once it passes maxBytes (checked against content-length first). */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > maxBytes) return Promise.reject(RestErrors.tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.pause();
        reject(RestErrors.tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/** Parses JSON text; RestError 42201 (v2) when malformed. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw RestErrors.badBody(`Malformed JSON: ${(err as Error).message}`);
  }
}

export async function readJson(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  const body = await readBody(req, maxBytes);
  if (body.length === 0) return undefined;
  return parseJson(body.toString('utf8'));
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, contentType: string): void {
  if (status === 204) {
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Answers an error. A body the request still sends (413) is not read any further: the
 * connection closes after the answer so a client cannot push gigabytes past the bound.
 */
export function sendError(res: http.ServerResponse, err: RestError, body: { error_code: number; message: string }, contentType: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err.status === 413) res.setHeader('connection', 'close');
  sendJson(res, err.status, body, contentType);
}

/** `application/vnd.kafka.binary.v2+json; charset=utf-8` → `application/vnd.kafka.binary.v2+json`. */
export function mediaType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Query parameters of the request URL. */
export function queryOf(req: http.IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : url.slice(at + 1));
}
