// Thread: main. What every API handler declares: its key, the versions it serves (the
// ApiVersions answer is built from these), the generated codec functions and the logic.
import type { BrokerContext } from '../../broker-context.js';
import type { Reader } from '../../protocol/reader.js';
import type { Writer } from '../../protocol/writer.js';
import type { ConnectionInfo } from '../connection.js';

/** Returned by a handler when the client expects no response (acks=0 produce). */
export const NO_RESPONSE: unique symbol = Symbol('no response');

export interface RequestContext {
  broker: BrokerContext;
  conn: ConnectionInfo;
  apiKey: number;
  /** The handler's name (Produce, Fetch, ...), for logs. */
  apiName: string;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The request frame's own ArrayBuffer when nothing else shares it (see frameOwnsBuffer). */
  ownedFrameBuffer: ArrayBuffer | undefined;
  /** Set by a handler whose answer ends the connection (failed SASL authentication): the reason. */
  closeAfterResponse?: string;
}

export interface ApiHandler<Req, Res> {
  apiKey: number;
  name: string;
  /** Versions served and advertised; within the generated codec's validVersions. */
  minVersion: number;
  maxVersion: number;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, version: number, response: Res): void;
  handle(ctx: RequestContext, request: Req): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyApiHandler = ApiHandler<any, any>;

export function defineHandler<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return handler;
}
