// Thread: test process. A small in-memory S3-compatible server (node:http, path-style only)
// with fault injection, for quick local runs and outage tests. It implements what src/tier
// uses: bucket PUT, object PUT (with If-None-Match: * / If-Match), GET with Range, HEAD,
// DELETE, ListObjectsV2 with continuation tokens, and multipart uploads. It is NOT the real
// server CI runs against (see start-radosgw.sh).
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'ok' | 'slowdown' | 'hang' | 'down';

interface StoredObject {
  body: Buffer;
  etag: string;
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
}

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  private readonly uploads = new Map<string, { bucket: string; key: string; parts: Map<number, Buffer> }>();
  mode: FaultMode = 'ok';
  /** false: behave like a store that ignores If-None-Match / If-Match (start-up must refuse it). */
  conditionalWrites = true;
  /** Requests seen, by method (tests). */
  readonly counts: Record<string, number> = {};
  /** Page size of ListObjectsV2 (small, so clients must follow continuation tokens). */
  listPageSize = 7;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<http.ServerResponse>();
  port = 0;

  constructor() {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      if (this.mode === 'down') {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Switches fault mode; 'down' also resets every open connection. */
  setMode(mode: FaultMode): void {
    this.mode = mode;
    if (mode === 'down') for (const s of this.sockets) s.destroy();
    if (mode === 'ok') {
      for (const r of this.hung) r.destroy();
      this.hung.clear();
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  objectKeys(bucket: string, prefix = ''): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    if (this.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (this.mode === 'hang') {
      this.hung.add(res);
      return;
    }
    const send = (status: number, payload: string | Buffer = '', headers: Record<string, string | number> = {}) => {
      res.writeHead(status, { 'content-length': Buffer.byteLength(payload), ...headers });
      res.end(method === 'HEAD' ? undefined : payload);
    };
    if (this.mode === 'slowdown') return send(503, errorXml('SlowDown', 'Please reduce your request rate.'), { 'content-type': 'application/xml' });

    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const q = url.searchParams;
    if (!bucketName) return send(200, '<ListAllMyBucketsResult/>', { 'content-type': 'application/xml' });
    let bucket = this.buckets.get(bucketName);
    if (!key) {
      if (method === 'PUT') {
        if (!bucket) this.buckets.set(bucketName, new Map());
        return send(200);
      }
      if (!bucket) return send(404, errorXml('NoSuchBucket', bucketName), { 'content-type': 'application/xml' });
      if (method === 'HEAD') return send(200);
      if (method === 'GET' && q.get('list-type') === '2') return this.list(bucket, q, send);
      return send(400, errorXml('InvalidRequest', 'unsupported bucket operation'));
    }
    if (!bucket) return send(404, errorXml('NoSuchBucket', bucketName), { 'content-type': 'application/xml' });

    // Multipart
    if (method === 'POST' && q.has('uploads')) {
      const id = crypto.randomUUID();
      this.uploads.set(id, { bucket: bucketName, key, parts: new Map() });
      return send(200, `<InitiateMultipartUploadResult><Bucket>${bucketName}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (method === 'PUT' && q.has('uploadId')) {
      const up = this.uploads.get(q.get('uploadId')!);
      if (!up) return send(404, errorXml('NoSuchUpload', 'no such upload'));
      up.parts.set(Number(q.get('partNumber')), body);
      return send(200, '', { etag: `"${crypto.createHash('md5').update(body).digest('hex')}"` });
    }
    if (method === 'POST' && q.has('uploadId')) {
      const up = this.uploads.get(q.get('uploadId')!);
      if (!up) return send(404, errorXml('NoSuchUpload', 'no such upload'));
      const numbers = [...up.parts.keys()].sort((a, b) => a - b);
      const data = Buffer.concat(numbers.map((n) => up.parts.get(n)!));
      const etag = `"${crypto.createHash('md5').update(data).digest('hex')}-${numbers.length}"`;
      bucket.set(key, { body: data, etag });
      this.uploads.delete(q.get('uploadId')!);
      return send(200, `<CompleteMultipartUploadResult><Key>${xmlEscape(key)}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`);
    }
    if (method === 'DELETE' && q.has('uploadId')) {
      this.uploads.delete(q.get('uploadId')!);
      return send(204);
    }

    const existing = bucket.get(key);
    switch (method) {
      case 'PUT': {
        const ifNoneMatch = this.conditionalWrites ? req.headers['if-none-match'] : undefined;
        const ifMatch = this.conditionalWrites ? req.headers['if-match'] : undefined;
        if (ifNoneMatch === '*' && existing) return send(412, errorXml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'));
        if (ifMatch !== undefined && (!existing || existing.etag !== ifMatch)) return send(412, errorXml('PreconditionFailed', 'If-Match'));
        const etag = `"${crypto.createHash('md5').update(body).digest('hex')}"`;
        bucket.set(key, { body, etag });
        return send(200, '', { etag });
      }
      case 'GET':
      case 'HEAD': {
        if (!existing) return send(404, method === 'HEAD' ? '' : errorXml('NoSuchKey', 'The specified key does not exist.'));
        const range = req.headers.range;
        const size = existing.body.length;
        if (range) {
          const m = /^bytes=(\d*)-(\d*)$/.exec(range);
          if (!m) return send(416, errorXml('InvalidRange', range));
          let start: number;
          let end: number;
          if (m[1] === '') {
            start = Math.max(0, size - Number(m[2]));
            end = size - 1;
          } else {
            start = Number(m[1]);
            end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
          }
          if (start >= size) return send(416, errorXml('InvalidRange', range));
          return send(206, existing.body.subarray(start, end + 1), { etag: existing.etag, 'content-range': `bytes ${start}-${end}/${size}` });
        }
        return send(200, existing.body, { etag: existing.etag });
      }
      case 'DELETE':
        bucket.delete(key);
        return send(204);
      default:
        return send(405, errorXml('MethodNotAllowed', method));
    }
  }

  private list(bucket: Map<string, StoredObject>, q: URLSearchParams, send: (status: number, payload: string) => void): void {
    const prefix = q.get('prefix') ?? '';
    const max = Math.min(Number(q.get('max-keys') ?? 1000), this.listPageSize);
    const after = q.get('continuation-token') ?? q.get('start-after') ?? '';
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => `<Contents><Key>${xmlEscape(k)}</Key><Size>${bucket.get(k)!.body.length}</Size><ETag>${xmlEscape(bucket.get(k)!.etag)}</ETag></Contents>`)
      .join('');
    send(
      200,
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${
        truncated ? `<NextContinuationToken>${xmlEscape(page[page.length - 1]!)}</NextContinuationToken>` : ''
      }${contents}</ListBucketResult>`,
    );
  }
}
