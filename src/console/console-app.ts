// Thread: main. The web console on the HTTP listeners (`console.enable`): the single-page app
// at /console/ (static-files.ts) and its JSON API at /console/api/ (console-routes.ts). Every
// API request passes one gate, `authorize(req, route)`, with the route's `mutating` flag — the
// hook read-only access control (issue 18) plugs into; today it allows everything. Mutating
// requests must send `content-type: application/json` (a cross-site form cannot, so a page on
// another origin cannot create or delete topics through a browser that can reach the console).
// Errors answer {"error": message, "code": code} (console-error.ts).
import type http from 'node:http';
import type { Logger } from 'pino';
import type { KafkaBridge } from '../http/kafka-bridge.js';
import type { HttpApp } from '../http/server.js';
import type { TopicCounters } from '../http/metrics.js';
import type { BrokerView } from './broker-view.js';
import { ConsoleError } from './console-error.js';
import { ConsoleKafka } from './console-kafka.js';
import { consoleRoutes, type ConsoleRoute } from './console-routes.js';
import { leaderEndOffsets } from './cluster-merge.js';
import { groupLag, lagPoint } from './consumer-groups.js';
import { LagHistory } from './lag-history.js';
import { FORWARDED_HEADER } from './peer-console.js';
import { StaticFiles } from './static-files.js';
import { ThroughputHistory } from './throughput-history.js';
import type { SchemaDecoder } from './value-format.js';

/** Largest JSON body the console API reads. */
export const MAX_CONSOLE_BODY_BYTES = 64 * 1024;

/** Decides whether a request may run a route (issue 18 plugs read-only access in here). */
export type ConsoleAuthorizer = (req: http.IncomingMessage, route: Pick<ConsoleRoute, 'name' | 'mutating'>) => boolean | Promise<boolean>;

export interface ConsoleAppOptions {
  bridge: KafkaBridge;
  view: BrokerView;
  /** The broker's traffic totals (metrics.ts trafficTotals). */
  trafficTotals: () => TopicCounters;
  logger: Logger;
  authorize?: ConsoleAuthorizer;
  /**
   * Who the HTTP request authenticated as (issue 18): passed to the Kafka handlers as the
   * caller's principal, so ACLs apply to the console as to any client; absent: User:ANONYMOUS.
   */
  principalOf?: (req: http.IncomingMessage) => string | undefined;
  /** Decodes schema-registry framed values; absent: shown as "schema id N" + hex. */
  schemas?: SchemaDecoder;
  /** The built UI (default dist/console-ui). */
  uiDir?: string;
}

export class ConsoleApp implements HttpApp {
  readonly name = 'console';
  private readonly files: StaticFiles;
  private readonly throughput: ThroughputHistory;
  private readonly lag: LagHistory;
  private readonly sampler: ConsoleKafka;

  constructor(private readonly opts: ConsoleAppOptions) {
    this.files = new StaticFiles(opts.uiDir);
    this.throughput = new ThroughputHistory(opts.trafficTotals);
    this.sampler = new ConsoleKafka(opts.bridge, { clientId: 'strata-console', remote: 'console-sampler' });
    const peerOf = (nodeId: number) => (nodeId === opts.view.nodeId ? undefined : opts.view.peers().find((p) => p.nodeId === nodeId));
    this.lag = new LagHistory(async (group) => lagPoint(await groupLag(this.sampler, group, leaderEndOffsets(this.sampler, peerOf)), Date.now()));
    this.throughput.start();
    this.lag.start();
  }

  close(): void {
    this.throughput.stop();
    this.lag.stop();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    if (path === '/console/api' || path.startsWith('/console/api/')) {
      await this.api(req, res, path.slice('/console/api'.length));
      return true;
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, { error: 'the console pages answer GET', code: 'METHOD_NOT_ALLOWED' }, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/console') {
      res.writeHead(301, { location: '/console/', 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    await this.files.serve(req, res, path.slice('/console/'.length));
    return true;
  }

  private async api(req: http.IncomingMessage, res: http.ServerResponse, sub: string): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      const matching = consoleRoutes.map((route) => ({ route, m: route.pattern.exec(sub) })).filter((x) => x.m !== null);
      if (matching.length === 0) throw new ConsoleError(404, 'NOT_FOUND', `no console API at /console/api${sub}`);
      const hit = matching.find((x) => x.route.method === method || (method === 'HEAD' && x.route.method === 'GET'));
      if (hit === undefined) {
        const allowed = matching.map((x) => x.route.method).join(', ');
        throw new ConsoleError(405, 'METHOD_NOT_ALLOWED', `use ${allowed} on /console/api${sub}`);
      }
      const { route, m } = hit;
      if (!(await (this.opts.authorize?.(req, route) ?? true))) throw new ConsoleError(403, 'FORBIDDEN', `not allowed: ${route.name}${route.mutating ? ' (changes the cluster)' : ''}`);
      if (route.mutating && route.method === 'POST' && !/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) {
        throw new ConsoleError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as content-type: application/json');
      }
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m!.groups ?? {})) {
        try {
          params[k] = decodeURIComponent(v);
        } catch {
          throw new ConsoleError(400, 'BAD_REQUEST', `bad percent-encoding in ${JSON.stringify(v)}`);
        }
      }
      const url = new URL(req.url ?? '/', 'http://console');
      const query = url.searchParams;
      const forwarded = req.headers[FORWARDED_HEADER] !== undefined;
      const peers = forwarded ? [] : this.opts.view.peers();
      const principal = this.opts.principalOf?.(req);
      const kafka = new ConsoleKafka(this.opts.bridge, { clientId: 'strata-console', remote: req.socket.remoteAddress ?? 'unknown', ...(principal !== undefined ? { principal } : {}) });
      const result = await route.handle({
        kafka,
        view: this.opts.view,
        throughput: this.throughput,
        lag: this.lag,
        schemas: this.opts.schemas,
        params,
        query,
        pathAndQuery: sub + url.search,
        peer: (nodeId) => (nodeId === this.opts.view.nodeId ? undefined : peers.find((p) => p.nodeId === nodeId)),
        peers: () => peers,
        leafPeer: (nodeId) => (nodeId === this.opts.view.nodeId ? undefined : this.opts.view.peers().find((p) => p.nodeId === nodeId)),
        body: () => readJson(req),
      });
      send(res, route.status ?? 200, result);
    } catch (err) {
      if (err instanceof ConsoleError) {
        send(res, err.status, { error: err.message, code: err.code });
        if (err.status === 413) req.destroy();
        return;
      }
      this.opts.logger.warn({ err, path: sub, method }, 'console API request failed');
      send(res, 500, { error: `internal error: ${(err as Error).message}`, code: 'INTERNAL' });
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const json = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(json + '\n');
}

/** The request body as JSON; 413 past MAX_CONSOLE_BODY_BYTES, 400 when not JSON. */
function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_CONSOLE_BODY_BYTES) return reject(new ConsoleError(413, 'PAYLOAD_TOO_LARGE', `request body over ${MAX_CONSOLE_BODY_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_CONSOLE_BODY_BYTES) {
        failed = true;
        reject(new ConsoleError(413, 'PAYLOAD_TOO_LARGE', `request body over ${MAX_CONSOLE_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ConsoleError(400, 'BAD_REQUEST', 'the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
