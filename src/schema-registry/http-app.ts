// Thread: main. The Confluent Schema Registry REST API on the broker's http.listeners (an
// HttpApp at the root: /subjects, /schemas, /config, /compatibility, /mode), so
// @kafkajs/confluent-schema-registry, @confluentinc/schemaregistry and curl work unmodified.
// Answers are `application/vnd.schemaregistry.v1+json`; errors `{"error_code", "message"}` with
// Confluent's codes (errors.ts). Request bodies are bounded (maxBodyBytes) and checked with zod.
import type http from 'node:http';
import { z } from 'zod';
import type { HttpApp } from '../http/server.js';
import { compatibilityLevelSchema } from './compatibility.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { SCHEMA_TYPES } from './formats/index.js';
import { schemaReferenceSchema } from './registry-store.js';
import { parseVersion, type SchemaInput, type SchemaRegistry, type SchemaView } from './registry.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPTED_BODY_TYPES = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream'];
const PREFIXES = ['/subjects', '/schemas', '/config', '/compatibility', '/mode'];

const schemaBody = z.looseObject({
  schema: z.string({ error: 'schema must be a string' }),
  schemaType: z.enum(SCHEMA_TYPES).nullish(),
  references: z.array(schemaReferenceSchema).max(1_000).nullish(),
});
const configBody = z.looseObject({ compatibility: z.string().optional(), compatibilityLevel: z.string().optional() });
const modeBody = z.looseObject({ mode: z.string() });

interface Route {
  method: string;
  pattern: RegExp;
  run(m: string[], q: URLSearchParams, body: () => Promise<unknown>): Promise<unknown>;
}

const truthy = (q: URLSearchParams, name: string) => q.get(name) === 'true';

export class SchemaRegistryApp implements HttpApp {
  readonly name = 'schema-registry';
  private readonly routes: Route[];

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly maxBodyBytes: number,
  ) {
    this.routes = this.buildRoutes();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    if (!PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return false;
    const method = req.method ?? 'GET';
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    let segments: string[];
    try {
      segments = path.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return send(res, new RegistryError(RegistryErrorCode.NOT_FOUND, `HTTP 404 Not Found: malformed path encoding`));
    }
    const joined = '/' + segments.map((s) => s.replace(/\//g, '\u0000')).join('/');
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(joined);
      if (m === null) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      try {
        const result = await route.run(m.slice(1).map((s) => s.replace(/\u0000/g, '/')), query, () => this.readJson(req));
        send(res, 200, result);
      } catch (err) {
        send(res, err instanceof RegistryError ? err : new RegistryError(RegistryErrorCode.STORE_ERROR, `Internal error: ${(err as Error).message}`));
      }
      return true;
    }
    send(res, pathMatched ? new RegistryError(RegistryErrorCode.METHOD_NOT_ALLOWED, 'HTTP 405 Method Not Allowed') : new RegistryError(RegistryErrorCode.NOT_FOUND, 'HTTP 404 Not Found'));
    return true;
  }

  private buildRoutes(): Route[] {
    const r = this.registry;
    const S = '([^/]+)';
    const schemaInput = async (body: () => Promise<unknown>): Promise<SchemaInput> => {
      const parsed = schemaBody.safeParse(await body());
      if (!parsed.success) throw new RegistryError(RegistryErrorCode.INVALID_SCHEMA, `Invalid schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      return { schema: parsed.data.schema, schemaType: parsed.data.schemaType ?? 'AVRO', references: parsed.data.references ?? [] };
    };
    const level = (text: string | undefined) => {
      const parsed = compatibilityLevelSchema.safeParse(text?.toUpperCase());
      if (!parsed.success) throw new RegistryError(RegistryErrorCode.INVALID_COMPATIBILITY_LEVEL, `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`);
      return parsed.data;
    };
    const configLevel = async (body: () => Promise<unknown>) => {
      const parsed = configBody.safeParse(await body());
      if (!parsed.success) throw new RegistryError(RegistryErrorCode.BAD_REQUEST, 'expected a JSON object {"compatibility": "..."}');
      return level(parsed.data.compatibility ?? parsed.data.compatibilityLevel);
    };
    const route = (method: string, pattern: string, run: Route['run']): Route => ({ method, pattern: new RegExp(`^${pattern}$`), run });
    return [
      route('GET', '/schemas/types', async () => [...SCHEMA_TYPES].sort()),
      route('GET', `/schemas/ids/${S}`, async ([id]) => schemaById(await r.getById(idOf(id!)))),
      route('GET', `/schemas/ids/${S}/schema`, async ([id]) => rawSchema((await r.getById(idOf(id!))).schema)),
      route('GET', `/schemas/ids/${S}/subjects`, async ([id], q) => [...new Set((await r.subjectVersionsOf(idOf(id!), truthy(q, 'deleted'))).map((s) => s.subject))]),
      route('GET', `/schemas/ids/${S}/versions`, async ([id], q) => r.subjectVersionsOf(idOf(id!), truthy(q, 'deleted'))),
      route('GET', '/subjects', async (_m, q) => r.subjects(truthy(q, 'deleted'), q.get('subjectPrefix') ?? '')),
      route('POST', `/subjects/${S}`, async ([s], q, body) => viewJson(await r.lookup(s!, await schemaInput(body), truthy(q, 'deleted')))),
      route('DELETE', `/subjects/${S}`, async ([s], q) => r.deleteSubject(s!, truthy(q, 'permanent'))),
      route('GET', `/subjects/${S}/versions`, async ([s], q) => r.versions(s!, truthy(q, 'deleted'))),
      route('POST', `/subjects/${S}/versions`, async ([s], _q, body) => ({ id: (await r.register(s!, await schemaInput(body))).id })),
      route('GET', `/subjects/${S}/versions/${S}`, async ([s, v], q) => viewJson(await r.getVersion(s!, parseVersion(v!), truthy(q, 'deleted')))),
      route('GET', `/subjects/${S}/versions/${S}/schema`, async ([s, v], q) => rawSchema((await r.getVersion(s!, parseVersion(v!), truthy(q, 'deleted'))).schema)),
      route('GET', `/subjects/${S}/versions/${S}/referencedby`, async ([s, v]) => r.referencedBy(s!, parseVersion(v!))),
      route('DELETE', `/subjects/${S}/versions/${S}`, async ([s, v], q) => r.deleteVersion(s!, parseVersion(v!), truthy(q, 'permanent'))),
      route('POST', `/compatibility/subjects/${S}/versions/${S}`, async ([s, v], q, body) => compatJson(await r.testCompatibility(s!, parseVersion(v!), await schemaInput(body)), truthy(q, 'verbose'))),
      route('POST', `/compatibility/subjects/${S}/versions`, async ([s], q, body) => compatJson(await r.testCompatibility(s!, 'all', await schemaInput(body)), truthy(q, 'verbose'))),
      route('GET', '/config', async () => ({ compatibilityLevel: await r.globalCompatibility() })),
      route('PUT', '/config', async (_m, _q, body) => {
        const compatibility = await configLevel(body);
        await r.setGlobalCompatibility(compatibility);
        return { compatibility };
      }),
      route('DELETE', '/config', async () => {
        const previous = await r.globalCompatibility();
        await r.setGlobalCompatibility(undefined);
        return { compatibilityLevel: previous };
      }),
      route('GET', `/config/${S}`, async ([s], q) => {
        const own = await r.subjectCompatibility(s!);
        if (own !== undefined) return { compatibilityLevel: own };
        if (truthy(q, 'defaultToGlobal')) return { compatibilityLevel: await r.globalCompatibility() };
        throw new RegistryError(RegistryErrorCode.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED, `Subject '${s}' does not have subject-level compatibility configured`);
      }),
      route('PUT', `/config/${S}`, async ([s], _q, body) => {
        const compatibility = await configLevel(body);
        await r.setSubjectCompatibility(s!, compatibility);
        return { compatibility };
      }),
      route('DELETE', `/config/${S}`, async ([s]) => {
        const previous = await r.setSubjectCompatibility(s!, undefined);
        if (previous === undefined) throw new RegistryError(RegistryErrorCode.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED, `Subject '${s}' does not have subject-level compatibility configured`);
        return { compatibilityLevel: previous };
      }),
      // Mode: this registry is always READWRITE (no IMPORT / READONLY modes).
      route('GET', '/mode', async () => ({ mode: 'READWRITE' })),
      route('GET', `/mode/${S}`, async () => ({ mode: 'READWRITE' })),
      route('PUT', '/mode', async (_m, _q, body) => readWriteOnly(await body())),
      route('PUT', `/mode/${S}`, async (_m, _q, body) => readWriteOnly(await body())),
    ];
  }

  /** The JSON body (bounded); 415 for other content types, 400 for bad JSON, 413 when too large. */
  private async readJson(req: http.IncomingMessage): Promise<unknown> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== '' && !ACCEPTED_BODY_TYPES.includes(type)) {
      req.resume();
      throw new RegistryError(RegistryErrorCode.UNSUPPORTED_MEDIA_TYPE, `HTTP 415 Unsupported Media Type: use ${CONTENT_TYPE} or application/json`);
    }
    const text = await readBody(req, this.maxBodyBytes);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new RegistryError(RegistryErrorCode.BAD_REQUEST, `Unrecognized request body: ${(err as Error).message}`);
    }
  }
}

function idOf(text: string): number {
  if (!/^[0-9]{1,10}$/.test(text)) throw new RegistryError(RegistryErrorCode.NOT_FOUND, `HTTP 404 Not Found: schema id must be a positive integer`);
  return Number(text);
}

function readWriteOnly(body: unknown): { mode: string } {
  const parsed = modeBody.safeParse(body);
  if (!parsed.success || parsed.data.mode.toUpperCase() !== 'READWRITE') throw new RegistryError(RegistryErrorCode.INVALID_MODE, 'Invalid mode: this registry supports READWRITE only');
  return { mode: 'READWRITE' };
}

/** Confluent omits schemaType for Avro and references when there are none. */
function schemaById(s: { schemaType: string; schema: string; references: unknown[] }): Record<string, unknown> {
  return { ...(s.schemaType === 'AVRO' ? {} : { schemaType: s.schemaType }), schema: s.schema, ...(s.references.length > 0 ? { references: s.references } : {}) };
}

function viewJson(v: SchemaView): Record<string, unknown> {
  return { subject: v.subject, version: v.version, id: v.id, ...schemaById(v) };
}

function compatJson(result: { compatible: boolean; messages: string[] }, verbose: boolean): Record<string, unknown> {
  return verbose ? { is_compatible: result.compatible, messages: result.messages } : { is_compatible: result.compatible };
}

/** The bare schema (`/schema` routes): Avro and JSON schemas as JSON, protobuf as a JSON string. */
class RawJson {
  constructor(readonly text: string) {}
}

function rawSchema(text: string): unknown {
  try {
    JSON.parse(text);
    return new RawJson(text);
  } catch {
    return text;
  }
}

function send(res: http.ServerResponse, statusOrError: number | RegistryError, body?: unknown): true {
  const status = typeof statusOrError === 'number' ? statusOrError : statusOrError.status;
  const payload = typeof statusOrError === 'number' ? (body instanceof RawJson ? body.text : JSON.stringify(body)) : JSON.stringify(statusOrError.toJSON());
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' });
  res.end(payload);
  return true;
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      req.resume();
      reject(new RegistryError(RegistryErrorCode.REQUEST_TOO_LARGE, `Request body over ${maxBytes} bytes (schema.registry.max.request.bytes)`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new RegistryError(RegistryErrorCode.REQUEST_TOO_LARGE, `Request body over ${maxBytes} bytes (schema.registry.max.request.bytes)`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
