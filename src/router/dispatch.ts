// Thread: main. Turns one request frame into one response frame: reads the request
// header, picks the handler for (apiKey, version), decodes with the generated codec,
// runs the handler and encodes the response with the right response-header version.
// Unknown APIs, unsupported versions and undecodable requests close the connection, as
// Kafka does — except ApiVersions, which answers UNSUPPORTED_VERSION with the ranges.
// A handler that throws (or a response that cannot be encoded) closes the connection too, and
// is logged once at error level with the API, version, client id and stack (failure-log.ts).
// On SASL listeners a connection that has not authenticated (or whose session expired,
// KIP-368) may call only ApiVersions, SaslHandshake and SaslAuthenticate; anything else closes
// it, as Kafka does. After SaslHandshake v0 (KIP-43) the SASL tokens come as bare frames and
// are answered as bare frames.
// A client some quota applies to is metered (src/quotas/request-meter.ts): throttle_time_ms in
// its answers and a muted connection while it is over its quota.
import type { BrokerContext } from '../broker-context.js';
import { decodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../protocol/generated/headers.js';
import { frameOwnsBuffer } from '../protocol/framing.js';
import { Reader } from '../protocol/reader.js';
import { countRequestFailure, observeRequest } from '../http/metrics.js';
import { Writer } from '../protocol/writer.js';
import type { ConnectionAuth } from '../security/connection-auth.js';
import type { ConnectionInfo, FrameHandler, FrameOutcome } from './connection.js';
import { logRequestFailure } from './failure-log.js';
import { apiVersionsHandler, unsupportedApiVersionsResponse } from './handlers/18-api-versions.js';
import { handlers } from './handlers/index.js';
import { NO_RESPONSE, type AnyApiHandler, type RequestContext } from './handlers/types.js';
import { RequestMeter } from '../quotas/request-meter.js';

const API_VERSIONS_KEY = 18;
/** What a SASL connection may call before it has authenticated: ApiVersions, SaslHandshake, SaslAuthenticate. */
const SASL_STAGE_APIS = new Set([API_VERSIONS_KEY, 17, 36]);

/** KIP-43 v0: a bare SASL token in, a bare token out; a failure closes the connection without an answer. */
async function rawSaslToken(frame: Buffer, auth: ConnectionAuth): Promise<FrameOutcome> {
  const result = await auth.authenticate(Buffer.from(frame));
  if (result.errorCode !== 0 || !('reply' in result)) return { kind: 'close', reason: 'SASL authentication failed (KIP-43 framing)', logged: true };
  const out = Buffer.alloc(4 + result.reply.length);
  out.writeInt32BE(result.reply.length, 0);
  result.reply.copy(out, 4);
  return { kind: 'respond', chunks: [out] };
}

export class Dispatcher implements FrameHandler {
  private readonly byKey: Map<number, AnyApiHandler>;

  constructor(private readonly broker: BrokerContext) {
    this.byKey = new Map(handlers.map((h) => [h.apiKey, h]));
  }

  handleFrame(frame: Buffer, conn: ConnectionInfo): Promise<FrameOutcome> | FrameOutcome {
    const auth = conn.auth;
    if (auth !== undefined && auth.rawTokens && auth.exchanging) return rawSaslToken(frame, auth);
    if (frame.length < 8) return { kind: 'close', reason: `request of ${frame.length} bytes is shorter than a request header` };
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    if (auth !== undefined && !SASL_STAGE_APIS.has(apiKey)) {
      if (!auth.authenticated) return { kind: 'close', reason: `API key ${apiKey} before SASL authentication (only ApiVersions, SaslHandshake and SaslAuthenticate are served)` };
      if (auth.expired(Date.now())) return { kind: 'close', reason: 'SASL session expired without re-authentication (connections.max.reauth.ms)' };
    }
    const handler = this.byKey.get(apiKey);
    if (!handler) return { kind: 'close', reason: `unknown or unsupported API key ${apiKey}` };
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) {
        // KIP-511: answer with v0 framing so any client can read the supported ranges.
        return respond(correlationId, 0, (w) => apiVersionsHandler.encodeResponse(w, 0, unsupportedApiVersionsResponse()));
      }
      return { kind: 'close', reason: `unsupported version ${apiVersion} of API ${handler.name} (supported ${handler.minVersion}-${handler.maxVersion})` };
    }
    let request: unknown;
    let clientId: string | null;
    try {
      const reader = new Reader(frame);
      const header = decodeRequestHeader(reader, requestHeaderVersion(apiKey, apiVersion));
      clientId = header.clientId;
      request = handler.decodeRequest(reader, apiVersion);
    } catch (err) {
      return { kind: 'close', reason: `malformed ${handler.name} v${apiVersion} request: ${(err as Error).message}` };
    }
    const startNs = process.hrtime.bigint();
    const quota = this.broker.quotas?.forClient(conn.principal, clientId);
    const meter = quota === undefined ? undefined : new RequestMeter(this.broker.quotas!, quota, apiKey, apiVersion, frame.length);
    meter?.limitRequest(request);
    const ctx: RequestContext = {
      broker: this.broker,
      conn,
      apiKey,
      apiName: handler.name,
      apiVersion,
      correlationId,
      clientId,
      ownedFrameBuffer: frameOwnsBuffer(frame) ? (frame.buffer as ArrayBuffer) : undefined,
    };
    const headerVersion = responseHeaderVersion(apiKey, apiVersion);
    const finish = (response: unknown): FrameOutcome => {
      observeRequest(apiKey, handler.name, apiVersion, startNs);
      meter?.beforeEncode(response);
      let outcome: FrameOutcome;
      if (response === NO_RESPONSE) outcome = { kind: 'silent' };
      else {
        try {
          outcome = respond(correlationId, headerVersion, (w) => handler.encodeResponse(w, apiVersion, response));
          if (ctx.closeAfterResponse !== undefined && outcome.kind === 'respond') outcome.closeAfter = ctx.closeAfterResponse;
        } catch (err) {
          return internalError(ctx, err);
        }
      }
      meter?.afterEncode(outcome, headerVersion, conn);
      return outcome;
    };
    let result: unknown;
    try {
      result = handler.handle(ctx, request);
    } catch (err) {
      return internalError(ctx, err);
    }
    meter?.handled();
    if (result instanceof Promise) return result.then(finish, (err: unknown) => internalError(ctx, err));
    return finish(result);
  }
}

/** A handler failed (or its response could not be encoded): log it once, close the connection. */
function internalError(ctx: RequestContext, err: unknown): FrameOutcome {
  countRequestFailure(ctx.apiName, ctx.apiVersion);
  logRequestFailure(ctx, err, 'connection closed');
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'close', reason: `internal error in ${ctx.apiName} v${ctx.apiVersion}: ${message}`, logged: true };
}

function respond(correlationId: number, headerVersion: number, body: (w: Writer) => void): FrameOutcome {
  const w = new Writer();
  w.int32(0);
  w.int32(correlationId);
  if (headerVersion >= 1) w.uvarint(0);
  body(w);
  w.patchInt32(0, w.length - 4);
  return { kind: 'respond', chunks: w.chunks() };
}


