// Thread: main. The HTTP front's way into the broker: it calls the same API handlers the Kafka
// listeners use (Produce, Fetch, ListOffsets, JoinGroup, ...) with typed request objects, in
// process, so REST produce, REST consume and the console have no second write or read path:
// validation, durable acknowledgements, quotas and ACLs (the caller's principal) apply to them exactly as to a
// Kafka client. No bytes are encoded or decoded on the way.
import type { BrokerContext } from '../broker-context.js';
import type { ConnectionInfo } from '../router/connection.js';
import { handlers } from '../router/handlers/index.js';
import { ANONYMOUS_PRINCIPAL } from '../security/principal.js';
import { NO_RESPONSE, type AnyApiHandler, type RequestContext } from '../router/handlers/types.js';

/** Who an HTTP caller is, as the Kafka handlers see it. */
export interface BridgeCaller {
  /** Shown as the Kafka client id (logs, group member ids). */
  clientId: string;
  /** Shown as the connection's remote address (group member client host). */
  remote: string;
  /** Who the HTTP request authenticated as (src/http/server.ts); `User:ANONYMOUS` when unset. */
  principal?: string;
  /** The request's Authorization header, for a call forwarded to another broker's HTTP front (authenticated there as here). */
  authorization?: string;
}

let nextBridgeConnectionId = -1;

export class KafkaBridge {
  private readonly byKey = new Map<number, AnyApiHandler>(handlers.map((h) => [h.apiKey, h]));

  constructor(private readonly broker: BrokerContext) {}

  /** The newest version this broker serves of an API (requests are built for it). */
  maxVersion(apiKey: number): number {
    return this.handler(apiKey).maxVersion;
  }

  /**
   * Runs one request through the API's handler and returns its response object. `version`
   * defaults to the newest served; an acks=0 produce resolves undefined (no response).
   */
  async call<Res>(apiKey: number, request: unknown, caller: BridgeCaller, version?: number, signal?: { closed: boolean }): Promise<Res | undefined> {
    const handler = this.handler(apiKey);
    const apiVersion = version ?? handler.maxVersion;
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      throw new Error(`${handler.name} v${apiVersion} is not served (${handler.minVersion}-${handler.maxVersion})`);
    }
    const conn: ConnectionInfo = {
      id: nextBridgeConnectionId--,
      remote: caller.remote,
      listenerName: 'HTTP',
      securityProtocol: 'PLAINTEXT',
      principal: caller.principal ?? ANONYMOUS_PRINCIPAL,
      get closed() {
        return signal?.closed ?? false;
      },
    };
    const ctx: RequestContext = {
      broker: this.broker,
      conn,
      apiKey,
      apiName: handler.name,
      apiVersion,
      correlationId: 0,
      clientId: caller.clientId,
      ownedFrameBuffer: undefined,
    };
    const result = await handler.handle(ctx, request);
    return result === NO_RESPONSE ? undefined : (result as Res);
  }

  private handler(apiKey: number): AnyApiHandler {
    const h = this.byKey.get(apiKey);
    if (h === undefined) throw new Error(`API key ${apiKey} is not served by this broker`);
    return h;
  }
}
