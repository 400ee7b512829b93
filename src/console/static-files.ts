// Thread: main. Serves the console's built single-page app (Vite's output, dist/console-ui/)
// from the broker: index.html revalidated on every load (no-cache), hashed files under assets/
// cached for a year (immutable), gzip when the browser accepts it. Nothing comes from a CDN.
// Files are read (and gzipped, asynchronously) once and kept in memory: the build is a few
// files of tens of KiB; MAX_CACHED_FILES and MAX_FILE_BYTES bound it anyway.
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);

/** Where `npm run build` puts the UI: dist/console-ui, next to dist/src. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../console-ui/', import.meta.url));

const MAX_CACHED_FILES = 64;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

interface CachedFile {
  body: Buffer;
  gzipped: Buffer | undefined;
  type: string;
}

export class StaticFiles {
  private readonly cache = new Map<string, Promise<CachedFile | undefined>>();

  constructor(private readonly dir: string = DEFAULT_UI_DIR) {}

  /** Answers a GET/HEAD under /console/ (sub = the path after /console/). */
  async serve(req: http.IncomingMessage, res: http.ServerResponse, sub: string): Promise<void> {
    // Only plain names: index.html, favicon.svg, assets/<hashed file>. No "..", no other folders.
    const rel = sub === '' ? 'index.html' : sub;
    const safe = /^(assets\/)?[A-Za-z0-9_.-]+$/.test(rel) && !rel.split('/').some((s) => s.startsWith('.'));
    const file = safe ? await this.load(rel) : undefined;
    if (file === undefined) {
      if (rel === 'index.html') return text(res, 503, 'console UI not built: run `npm run build` (it builds dist/console-ui)\n');
      return text(res, 404, `not found: /console/${sub}\n`);
    }
    const immutable = rel.startsWith('assets/');
    const useGzip = file.gzipped !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = useGzip ? file.gzipped! : file.body;
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(useGzip ? { 'content-encoding': 'gzip' } : {}),
      ...(rel === 'index.html' ? { 'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'" } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private load(rel: string): Promise<CachedFile | undefined> {
    let entry = this.cache.get(rel);
    if (entry === undefined) {
      entry = this.read(rel);
      if (this.cache.size >= MAX_CACHED_FILES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(rel, entry);
      // A missing file (UI not built yet) is looked for again next time.
      void entry.then((f) => {
        if (f === undefined) this.cache.delete(rel);
      });
    }
    return entry;
  }

  private async read(rel: string): Promise<CachedFile | undefined> {
    const full = path.join(this.dir, rel);
    try {
      const st = await fs.stat(full);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined;
      const body = await fs.readFile(full);
      const type = TYPES[path.extname(rel)] ?? 'application/octet-stream';
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
      return { body, type, gzipped: compressible ? await gzip(body, { level: 9 }) : undefined };
    } catch {
      return undefined;
    }
  }
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}
