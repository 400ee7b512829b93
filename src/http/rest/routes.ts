// Thread: main. What a REST route is: a method, a path pattern, the API generation (v2 or v3,
// which decides the error body) and the code that answers. A route returns the status and
// JSON body, or undefined when it wrote the answer itself (streamed responses).
import type http from 'node:http';
import type { BridgeCaller } from '../kafka-bridge.js';

export type RestApi = 'v2' | 'v3';

export interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** Decoded path parameters, in pattern order. */
  params: string[];
  query: URLSearchParams;
  caller: BridgeCaller;
}

export interface RouteAnswer {
  status: number;
  body?: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Anchored pattern; each group is one path parameter. */
  path: RegExp;
  api: RestApi;
  run(ctx: RouteContext): Promise<RouteAnswer | undefined>;
}

/** Path segment pattern of a parameter (a topic, group, instance, config name, number). */
export const SEG = '([^/]+)';
export const route = (method: Route['method'], pattern: string, api: RestApi, run: Route['run']): Route => ({
  method,
  path: new RegExp(`^${pattern}$`),
  api,
  run,
});
