// Thread: main. The JSON shapes of Confluent's v3 API: every resource has `kind` and
// `metadata: {self, resource_name}`, lists are `{kind: "...List", metadata: {self, next: null},
// data: [...]}`, and links to other resources are `{related: url}`.
import type http from 'node:http';
import type { BrokerContext } from '../../broker-context.js';
import { RestErrors } from './rest-errors.js';

export class V3Urls {
  readonly base: string;
  constructor(
    req: http.IncomingMessage,
    readonly clusterId: string,
  ) {
    this.base = `http://${req.headers.host ?? '127.0.0.1'}/v3/clusters/${encodeURIComponent(clusterId)}`;
  }

  url(...segments: Array<string | number>): string {
    return [this.base, ...segments.map((s) => encodeURIComponent(String(s)))].join('/');
  }

  /** `crn:///kafka=<id>/topic=<t>/...`, Confluent's resource names. */
  crn(...parts: Array<[string, string | number]>): string {
    return [`crn:///kafka=${this.clusterId}`, ...parts.map(([k, v]) => `${k}=${v}`)].join('/');
  }

  resource(kind: string, self: string, crn: string): { kind: string; metadata: { self: string; resource_name: string } } {
    return { kind, metadata: { self, resource_name: crn } };
  }

  related(...segments: Array<string | number>): { related: string } {
    return { related: this.url(...segments) };
  }
}

export function list(kind: string, self: string, data: unknown[]): { kind: string; metadata: { self: string; next: null }; data: unknown[] } {
  return { kind, metadata: { self, next: null }, data };
}

/** The cluster of the path; RestError 404 (v3 body) for another id. */
export function clusterOf(broker: BrokerContext, id: string): string {
  if (id !== broker.clusterId) throw RestErrors.clusterNotFound(id);
  return id;
}

/** Kafka's ConfigSource numbers → the names v3 shows. */
export const CONFIG_SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG'];
