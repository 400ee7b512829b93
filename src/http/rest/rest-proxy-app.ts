// Thread: main. The REST proxy (Confluent REST Proxy compatible) as an application on the
// broker's http.listeners: v2 produce and consumers, v3 clusters/topics/configs/groups/records,
// and bulk NDJSON/CSV produce. Every operation reaches the broker through the KafkaBridge, so
// REST clients take the same produce, fetch and group paths as Kafka clients. Errors use the
// proxy's JSON shape (rest-errors.ts): v2 `{error_code: 40401, ...}`, v3 `{error_code: 404, ...}`.
import type http from 'node:http';
import type { Logger } from 'pino';
import type { BrokerContext } from '../../broker-context.js';
import type { KafkaBridge } from '../kafka-bridge.js';
import { principalOf, type HttpApp } from '../server.js';
import { queryOf, sendError, sendJson, V2_CONTENT_TYPE, V3_CONTENT_TYPE } from './http-io.js';
import { restLimits, type RestLimits } from './rest-limits.js';
import { RestError, RestErrors, v2ErrorBody, v3ErrorBody } from './rest-errors.js';
import { RestProducer } from './rest-producer.js';
import { SchemaSerde } from './schema-formats.js';
import type { Route, RestApi } from './routes.js';
import { v2ProduceRoutes } from './v2-produce.js';
import { v2ConsumerRoutes } from './v2-consumers.js';
import { ConsumerRegistry } from './consumer-registry.js';
import { bulkRoutes } from './bulk-produce.js';
import { v3ClusterRoutes } from './v3-cluster.js';
import { v3GroupRoutes } from './v3-groups.js';
import { v3RecordRoutes } from './v3-records.js';
import { v3TopicRoutes } from './v3-topics.js';

/** Paths the proxy owns; anything else is left to the other applications. */
const OWNED = /^\/(topics|consumers|v3)(\/|$)/;

export class RestProxyApp implements HttpApp {
  readonly name = 'rest-proxy';
  private readonly routes: Route[];
  readonly limits: RestLimits;
  readonly producer: RestProducer;
  readonly consumers: ConsumerRegistry;
  private serde: SchemaSerde | undefined;

  constructor(
    private readonly broker: BrokerContext,
    private readonly bridge: KafkaBridge,
    private readonly logger: Logger,
  ) {
    this.limits = restLimits(broker.config);
    this.producer = new RestProducer(broker, bridge);
    this.consumers = new ConsumerRegistry(this.limits.maxInstances, this.limits.instanceTimeoutMs, logger);
    this.routes = [
      ...v2ProduceRoutes(this.producer, this.limits, () => this.schemas()),
      ...bulkRoutes(this.producer, this.limits),
      ...v2ConsumerRoutes(broker, bridge, this.consumers, this.limits, logger),
      ...v3ClusterRoutes(broker, bridge),
      ...v3TopicRoutes(broker, bridge, this.limits),
      ...v3GroupRoutes(broker, bridge),
      ...v3RecordRoutes(broker, this.producer, this.limits),
    ];
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    if (!OWNED.test(path)) return false;
    const api: RestApi = path.startsWith('/v3') ? 'v3' : 'v2';
    try {
      let pathMatched = false;
      for (const r of this.routes) {
        const m = r.path.exec(path);
        if (m === null) continue;
        pathMatched = true;
        if (r.method !== req.method) continue;
        const params = m.slice(1).map((s) => decodeURIComponent(s));
        const answer = await r.run({ req, res, params, query: queryOf(req), caller: { clientId: 'strata-rest-proxy', remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`, principal: principalOf(req), ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}) } });
        if (answer !== undefined) sendJson(res, answer.status, answer.body, r.api === 'v3' ? V3_CONTENT_TYPE : V2_CONTENT_TYPE);
        return true;
      }
      throw pathMatched ? RestErrors.methodNotAllowed(req.method ?? '?') : RestErrors.routeNotFound(path);
    } catch (err) {
      const restError = err instanceof RestError ? err : RestErrors.kafka(`Internal error: ${(err as Error).message}`);
      if (!(err instanceof RestError)) this.logger.warn({ err, path }, 'REST request failed');
      // A body left unread (an error before its end) is not drained: the connection closes.
      if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
      sendError(res, restError, api === 'v3' ? v3ErrorBody(restError) : v2ErrorBody(restError), api === 'v3' ? V3_CONTENT_TYPE : V2_CONTENT_TYPE);
      return true;
    }
  }

  /** The schema formats' serialiser over the broker's schema registry; undefined when it is off. */
  private schemas(): SchemaSerde | undefined {
    const registry = this.broker.schemaRegistry;
    if (registry === undefined) return undefined;
    return (this.serde ??= new SchemaSerde(registry));
  }

  /** Stops timers (consumer instance expiry) and leaves groups; called when the broker stops. */
  async close(): Promise<void> {
    await this.consumers.closeAll();
  }
}
