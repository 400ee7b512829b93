// Thread: main. The operator HTTP listener(s) (`http.listeners`): /healthz (process up),
// /readyz (logs recovered and, when configured, Redis reachable) and /metrics (Prometheus
// text format from the broker's own registry). Nothing here is on the Kafka request path.
import http from 'node:http';
import type net from 'node:net';
import type { Logger } from 'pino';
import { registry } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  ok(): boolean;
}

export interface HttpEndpoint {
  host: string;
  port: number;
}

/** `127.0.0.1:8080,http://[::]:9000` → endpoints; empty string → none (HTTP disabled). */
export function parseHttpListeners(value: string): HttpEndpoint[] {
  if (value.trim() === '') return [];
  return value.split(',').map((entry) => {
    const m = /^\s*(?:https?:\/\/)?(\[[^\]]*\]|[^\s,:]*):(\d+)\s*$/.exec(entry);
    if (!m) throw new Error(`bad HTTP listener "${entry}"`);
    const host = m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0';
    return { host, port: Number(m[2]) };
  });
}

export class HttpServer {
  private readonly servers: http.Server[] = [];

  constructor(
    private readonly endpoints: HttpEndpoint[],
    private readonly readiness: ReadinessCheck[],
    private readonly logger: Logger,
  ) {}

  /** Binds every endpoint; resolves with the bound ports (port 0 → the one the OS chose). */
  async listen(): Promise<Array<HttpEndpoint & { boundPort: number }>> {
    const bound: Array<HttpEndpoint & { boundPort: number }> = [];
    for (const ep of this.endpoints) {
      const server = http.createServer((req, res) => void this.handle(req, res));
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: ep.host, port: ep.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.logger.error({ err }, 'http listener error'));
      this.servers.push(server);
      bound.push({ ...ep, boundPort: (server.address() as net.AddressInfo).port });
    }
    return bound;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    try {
      switch (path) {
        case '/healthz':
          return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }) + '\n');
        case '/readyz': {
          const checks = Object.fromEntries(this.readiness.map((c) => [c.name, safe(c.ok)]));
          const ready = Object.values(checks).every(Boolean);
          return send(res, ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'unready', checks }) + '\n');
        }
        case '/metrics':
          return send(res, 200, registry.contentType, await registry.metrics());
        default:
          return send(res, 404, 'text/plain', 'not found: try /healthz, /readyz or /metrics\n');
      }
    } catch (err) {
      this.logger.warn({ err, path }, 'http request failed');
      return send(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }
}

function safe(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}
