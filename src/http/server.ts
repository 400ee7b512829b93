// Thread: main. The operator HTTP listener(s) (`http.listeners`): /healthz (process up),
// /readyz (logs recovered and, when configured, Redis reachable) and /metrics (Prometheus
// text format from the broker's own registry). Nothing here is on the Kafka request path,
// and a busy HTTP port never stops the broker: it is retried in the background.
// `https://host:port` entries serve TLS with the broker's keystore (reloaded with it). With
// http.authentication.enable every request is checked here, in one place before any route or
// application runs: basic auth against the Kafka listeners' SCRAM users (401 otherwise);
// http.metrics.open leaves /metrics, /healthz and /readyz open for scrapers and probes. The
// authenticated principal of a request is principalOf(req) for the applications (ACLs).
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Logger } from 'pino';
import { MAX_ADMIN_BODY_BYTES, handleAdmin, type AdminApi } from './admin-api.js';
import { registry } from './metrics.js';
import type { BasicAuthenticator } from '../security/basic-auth.js';
import { ANONYMOUS_PRINCIPAL } from '../security/principal.js';
import type { TlsContext } from '../security/tls-context.js';

/** Who each authenticated request is (no header: a property of the request object, set before apps run). */
const principals = new WeakMap<http.IncomingMessage, string>();

/** The principal of an HTTP request: `User:<name>` after basic auth, else `User:ANONYMOUS`. */
export function principalOf(req: http.IncomingMessage): string {
  return principals.get(req) ?? ANONYMOUS_PRINCIPAL;
}

/** TLS and authentication of the HTTP listeners. */
export interface HttpSecurity {
  /** The keystore for `https://` endpoints. */
  tls?: TlsContext | undefined;
  /** http.authentication.enable: every request needs basic auth, except the open paths. */
  authenticator?: BasicAuthenticator | undefined;
  /** http.metrics.open: /metrics, /healthz and /readyz need no authentication. */
  metricsOpen: boolean;
}

const OPEN_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

export interface ReadinessCheck {
  name: string;
  ok(): boolean;
}

/**
 * An application served on the HTTP listeners next to /healthz, /readyz and /metrics: the
 * REST proxy, the schema registry, the console. `handle` answers the request and returns true,
 * or returns false (nothing written) when the path is not its own.
 */
export interface HttpApp {
  readonly name: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean>;
}

export interface HttpEndpoint {
  host: string;
  port: number;
  /** `https://` entry: TLS with the broker's keystore. */
  tls?: boolean;
}

/** `127.0.0.1:8080,http://[::]:9000` → endpoints; empty string → none (HTTP disabled). */
export function parseHttpListeners(value: string): HttpEndpoint[] {
  if (value.trim() === '') return [];
  return value.split(',').map((entry) => {
    const m = /^\s*(?:(https?):\/\/)?(\[[^\]]*\]|[^\s,:]*):(\d+)\s*$/.exec(entry);
    if (!m) throw new Error(`bad HTTP listener "${entry}"`);
    const host = m[2]!.replace(/^\[|\]$/g, '') || '0.0.0.0';
    return { host, port: Number(m[3]), ...(m[1]?.toLowerCase() === 'https' ? { tls: true } : {}) };
  });
}

/** Backoff between bind attempts of a busy HTTP port: initialDelayMs, doubling, capped at maxDelayMs. */
export interface BindRetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BIND_RETRY: BindRetryPolicy = { initialDelayMs: 250, maxDelayMs: 5_000 };

/** Bind errors that may go away on their own (port freed, address brought up): retried. */
const RETRYABLE_BIND_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL']);

export type BoundHttpEndpoint = HttpEndpoint & { boundPort: number };

/** An endpoint that bound only after its port had been busy (shown on /readyz). */
interface LateBind {
  listener: string;
  attempts: number;
  boundAfterMs: number;
}

/**
 * The HTTP listeners are an operator convenience next to the Kafka listeners a user asked
 * for, so a busy port never stops the broker: `listen()` warns once per endpoint that cannot
 * bind and keeps retrying the *configured* port in the background (probes and scrapers are
 * configured with that port; a port picked at random would be found by no one).
 */
export class HttpServer {
  private readonly servers: http.Server[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly lateBinds: LateBind[] = [];
  private pendingCount = 0;
  private closed = false;

  constructor(
    private readonly endpoints: HttpEndpoint[],
    private readonly readiness: ReadinessCheck[],
    private readonly logger: Logger,
    private readonly retry: BindRetryPolicy = DEFAULT_BIND_RETRY,
    /** The /admin JSON API (admin-api.ts); absent: no /admin routes. */
    private readonly admin?: AdminApi,
    /** Applications mounted on the listeners (REST proxy, schema registry, console), tried in order. */
    private readonly apps: HttpApp[] = [],
    private readonly security: HttpSecurity = { metricsOpen: true },
  ) {}

  /** Endpoints not bound yet (their port was busy at start-up; retrying). */
  get pending(): number {
    return this.pendingCount;
  }

  /** Bind retries waiting on a timer (none once close() was called). */
  get scheduledRetries(): number {
    return this.retryTimers.size;
  }

  /**
   * Binds every endpoint it can and resolves with those (port 0 → the one the OS chose).
   * An endpoint that cannot bind is logged once as a warning and, when the cause may pass
   * (EADDRINUSE, EADDRNOTAVAIL), retried in the background until it binds or close() is called.
   */
  async listen(): Promise<BoundHttpEndpoint[]> {
    const bound: BoundHttpEndpoint[] = [];
    for (const ep of this.endpoints) {
      try {
        bound.push(await this.bind(ep));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
        const retrying = RETRYABLE_BIND_ERRORS.has(code);
        this.logger.warn(
          { host: ep.host, port: ep.port, code, setting: 'http.listeners' },
          `http.listeners: cannot bind ${endpointName(ep)} (${describeBindError(err)}); the Kafka listeners are served anyway, ` +
            (retrying
              ? `and /healthz, /readyz and /metrics come up on port ${ep.port} as soon as it is free (retrying in the background). `
              : 'but /healthz, /readyz and /metrics stay off on this address. ') +
            `To use another port set http.listeners, e.g. --http.listeners=${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port + 1} ` +
            `or STRATA_HTTP_LISTENERS (empty disables HTTP)`,
        );
        if (retrying) {
          this.pendingCount++;
          this.scheduleRetry(ep, 1, Date.now());
        }
      }
    }
    return bound;
  }

  private async bind(ep: HttpEndpoint): Promise<BoundHttpEndpoint> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    let server: http.Server;
    if (ep.tls === true) {
      const context = this.security.tls;
      if (context === undefined) throw Object.assign(new Error(`${endpointName(ep)} is https but no TLS keystore is set (ssl.keystore.location)`), { code: 'ENOKEYSTORE' });
      const secure = https.createServer(context.httpsOptions(), handler);
      secure.on('tlsClientError', (err, socket) => {
        this.logger.debug({ reason: err.message, remote: socket.remoteAddress }, 'HTTPS handshake failed');
        socket.destroy();
      });
      context.attach(secure);
      server = secure;
    } else server = http.createServer(handler);
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
    return { ...ep, boundPort: (server.address() as net.AddressInfo).port };
  }

  private scheduleRetry(ep: HttpEndpoint, attempt: number, since: number): void {
    if (this.closed) return;
    const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.closed) return;
      this.bind(ep).then(
        (b) => {
          this.pendingCount--;
          if (this.closed) {
            void this.closeServers();
            return;
          }
          const boundAfterMs = Date.now() - since;
          this.lateBinds.push({ listener: endpointName(ep), attempts: attempt + 1, boundAfterMs });
          this.logger.info({ host: b.host, port: b.boundPort, attempts: attempt + 1, boundAfterMs }, 'http listening');
        },
        (err: unknown) => {
          this.logger.debug({ host: ep.host, port: ep.port, code: (err as NodeJS.ErrnoException).code, attempt }, 'http bind retry failed');
          this.scheduleRetry(ep, attempt + 1, since);
        },
      );
    }, delay);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      const authenticator = this.security.authenticator;
      if (authenticator !== undefined && !(this.security.metricsOpen && OPEN_PATHS.has(path))) {
        const principal = await authenticator.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '');
        if (principal === undefined) {
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="strata", charset="UTF-8"', 'cache-control': 'no-store' });
          res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized: basic authentication with a Strata user is required' }) + '\n');
          return;
        }
        principals.set(req, principal);
      }
      if (this.admin !== undefined && path.startsWith('/admin/')) {
        const answer = await handleAdmin(this.admin, req.method ?? 'GET', path, () => readBody(req, MAX_ADMIN_BODY_BYTES));
        if (answer !== undefined) return send(res, answer.status, 'application/json', JSON.stringify(answer.body) + '\n');
      }
      for (const app of this.apps) {
        if (await app.handle(req, res, path)) return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
      switch (path) {
        case '/healthz':
          return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }) + '\n');
        case '/readyz': {
          const checks = Object.fromEntries(this.readiness.map((c) => [c.name, safe(c.ok)]));
          const ready = Object.values(checks).every(Boolean);
          const body = { status: ready ? 'ready' : 'unready', checks, ...(this.lateBinds.length > 0 ? { lateBinds: this.lateBinds } : {}) };
          return send(res, ready ? 200 : 503, 'application/json', JSON.stringify(body) + '\n');
        }
        case '/metrics':
          return send(res, 200, registry.contentType, await registry.metrics());
        default:
          return send(res, 404, 'text/plain', `not found: try /healthz, /readyz, /metrics${this.admin ? ' or /admin/placement' : ''}\n`);
      }
    } catch (err) {
      this.logger.warn({ err, path }, 'http request failed');
      if (res.headersSent) return void res.destroy();
      return send(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
    }
  }

  /** Stops retrying and closes every bound listener. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    await this.closeServers();
  }

  private async closeServers(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }
}

function endpointName(ep: HttpEndpoint): string {
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

function describeBindError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return 'port in use by another process';
    case 'EACCES':
      return 'permission denied: ports below 1024 need privileges';
    case 'EADDRNOTAVAIL':
      return 'no such local address';
    default:
      return code ?? (err as Error).message;
  }
}

function safe(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

/** The request body as text; rejects (→ 400 by the caller) past maxBytes. */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error(`request body over ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}
