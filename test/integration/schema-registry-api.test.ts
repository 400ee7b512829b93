// Integration: the Confluent Schema Registry API of a real broker (embedded: local-file store),
// driven with plain fetch — subjects, versions, ids, lookups, deletes, config, compatibility
// checks, mode, and bad input answered with Confluent's error shape and codes. A restart keeps
// everything (schema-registry.json in the log dir).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import { httpPortOf } from '../helpers/metrics.js';

const CT = 'application/vnd.schemaregistry.v1+json';
let broker: BrokerHandle;
let base: string;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { 'content-type': CT }): Promise<{ status: number; json: any; contentType: string | null }> {
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json, contentType: res.headers.get('content-type') };
}

const record = (fields: unknown[], name = 'Rec') => JSON.stringify({ type: 'record', name, namespace: 'it', fields });
const A = record([{ name: 'a', type: 'string' }]);
const AB = record([{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }]);
const ABx = record([{ name: 'a', type: 'string' }, { name: 'b', type: 'int' }]);
/** a changed from string to int: incompatible in every direction. */
const BAD = record([{ name: 'a', type: 'int' }]);
/** c added without a default: FORWARD-compatible with AB, not BACKWARD. */
const ABCx = record([{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }, { name: 'c', type: 'int' }]);

beforeAll(async () => {
  broker = await startBroker({ args: [...LOCAL_STORE_FLAGS] });
  base = `http://127.0.0.1:${httpPortOf(broker)}`;
});

afterAll(async () => {
  await broker?.stop();
});

describe('schema registry API (embedded store)', () => {
  it('registers, lists and reads subjects, versions and ids', async () => {
    expect(await call('GET', '/subjects')).toMatchObject({ status: 200, json: [], contentType: CT });
    expect(await call('POST', '/subjects/orders-value/versions', { schema: A })).toMatchObject({ status: 200, json: { id: 1 } });
    expect((await call('POST', '/subjects/orders-value/versions', { schema: A })).json).toEqual({ id: 1 });
    expect((await call('POST', '/subjects/orders-value/versions', { schema: AB })).json).toEqual({ id: 2 });
    expect((await call('POST', '/subjects/copy-value/versions', { schema: AB })).json).toEqual({ id: 2 });
    expect((await call('GET', '/subjects')).json).toEqual(['copy-value', 'orders-value']);
    expect((await call('GET', '/subjects?subjectPrefix=ord')).json).toEqual(['orders-value']);
    expect((await call('GET', '/subjects/orders-value/versions')).json).toEqual([1, 2]);
    expect((await call('GET', '/subjects/orders-value/versions/latest')).json).toEqual({ subject: 'orders-value', version: 2, id: 2, schema: AB });
    expect((await call('GET', '/subjects/orders-value/versions/1/schema')).json).toEqual(JSON.parse(A));
    expect((await call('GET', '/schemas/ids/2')).json).toEqual({ schema: AB });
    expect((await call('GET', '/schemas/ids/2/schema')).json).toEqual(JSON.parse(AB));
    expect((await call('GET', '/schemas/ids/2/subjects')).json).toEqual(['copy-value', 'orders-value']);
    expect((await call('GET', '/schemas/ids/2/versions')).json).toEqual([
      { subject: 'copy-value', version: 1 },
      { subject: 'orders-value', version: 2 },
    ]);
    expect((await call('POST', '/subjects/orders-value', { schema: A })).json).toEqual({ subject: 'orders-value', version: 1, id: 1, schema: A });
    expect((await call('GET', '/schemas/types')).json).toEqual(['AVRO', 'JSON', 'PROTOBUF']);
  });

  it('answers errors with Confluent codes and statuses', async () => {
    const cases: Array<[string, string, unknown, number, number]> = [
      ['GET', '/subjects/missing/versions', undefined, 404, 40401],
      ['GET', '/subjects/orders-value/versions/9', undefined, 404, 40402],
      ['GET', '/subjects/orders-value/versions/zero', undefined, 422, 42202],
      ['GET', '/schemas/ids/4242', undefined, 404, 40403],
      ['POST', '/subjects/orders-value', { schema: ABx }, 404, 40403],
      ['POST', '/subjects/orders-value/versions', { schema: '{"type":"record"' }, 422, 42201],
      ['POST', '/subjects/orders-value/versions', { schema: A, schemaType: 'XML' }, 422, 42201],
      ['POST', '/subjects/orders-value/versions', { nothing: true }, 422, 42201],
      ['POST', '/subjects/orders-value/versions', '{not json', 400, 400],
      ['POST', '/subjects/orders-value/versions', { schema: BAD }, 409, 409],
      ['PUT', '/config', { compatibility: 'SIDEWAYS' }, 422, 42203],
      ['GET', '/config/orders-value', undefined, 404, 40408],
      ['PUT', '/mode', { mode: 'IMPORT' }, 422, 42204],
      ['GET', '/subjects/a/b/c/d/e', undefined, 404, 404],
      ['PATCH', '/subjects', undefined, 405, 405],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call(method, path, body);
      expect({ method, path, status: res.status, code: res.json?.error_code }).toEqual({ method, path, status, code });
      expect(typeof res.json.message).toBe('string');
    }
    const wrongType = await call('POST', '/subjects/x/versions', 'schema=1', { 'content-type': 'text/plain' });
    expect(wrongType).toMatchObject({ status: 415, json: { error_code: 415 } });
    const huge = await call('POST', '/subjects/x/versions', JSON.stringify({ schema: 'x'.repeat(5 * 1024 * 1024) }));
    expect(huge).toMatchObject({ status: 413, json: { error_code: 413 } });
    // The broker is still fine.
    expect((await call('GET', '/subjects/orders-value/versions')).status).toBe(200);
  });

  it('keeps global and subject compatibility, and checks compatibility on request', async () => {
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('GET', '/config/orders-value?defaultToGlobal=true')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('POST', '/compatibility/subjects/orders-value/versions/latest', { schema: ABCx })).json).toEqual({ is_compatible: false });
    const verbose = await call('POST', '/compatibility/subjects/orders-value/versions/latest?verbose=true', { schema: ABCx });
    expect(verbose.json.is_compatible).toBe(false);
    expect(verbose.json.messages.join()).toMatch(/c/);
    expect((await call('PUT', '/config/orders-value', { compatibility: 'forward' })).json).toEqual({ compatibility: 'FORWARD' });
    expect((await call('GET', '/config/orders-value')).json).toEqual({ compatibilityLevel: 'FORWARD' });
    expect((await call('POST', '/compatibility/subjects/orders-value/versions/latest', { schema: ABCx })).json).toEqual({ is_compatible: true });
    expect((await call('POST', '/subjects/orders-value/versions', { schema: ABCx })).json).toEqual({ id: 3 });
    expect((await call('DELETE', '/config/orders-value')).json).toEqual({ compatibilityLevel: 'FORWARD' });
    expect((await call('PUT', '/config', { compatibility: 'NONE' })).json).toEqual({ compatibility: 'NONE' });
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('DELETE', '/config')).json).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('GET', '/mode')).json).toEqual({ mode: 'READWRITE' });
  });

  it('stores JSON Schema and Protobuf schemas, with references', async () => {
    const json = JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false });
    const j = await call('POST', '/subjects/json-value/versions', { schemaType: 'JSON', schema: json });
    expect(j.status).toBe(200);
    expect((await call('GET', `/schemas/ids/${j.json.id}`)).json).toEqual({ schemaType: 'JSON', schema: json });
    const money = 'syntax = "proto3";\npackage shop;\nmessage Money { int64 cents = 1; }';
    expect((await call('POST', '/subjects/money/versions', { schemaType: 'PROTOBUF', schema: money })).status).toBe(200);
    const order = 'syntax = "proto3";\npackage shop;\nimport "money.proto";\nmessage Order { Money total = 1; }';
    const refs = [{ name: 'money.proto', subject: 'money', version: 1 }];
    const o = await call('POST', '/subjects/order-value/versions', { schemaType: 'PROTOBUF', schema: order, references: refs });
    expect(o.status).toBe(200);
    expect((await call('GET', `/schemas/ids/${o.json.id}`)).json).toEqual({ schemaType: 'PROTOBUF', schema: order, references: refs });
    expect((await call('GET', '/subjects/money/versions/1/referencedby')).json).toEqual([o.json.id]);
    expect((await call('DELETE', '/subjects/money/versions/1')).json).toMatchObject({ error_code: 42206 });
    expect((await call('POST', '/subjects/order2-value/versions', { schemaType: 'PROTOBUF', schema: order })).json).toMatchObject({ error_code: 42201 });
  });

  it('soft-deletes, permanently deletes, and survives a restart', async () => {
    expect((await call('DELETE', '/subjects/copy-value/versions/1?permanent=true')).json).toMatchObject({ error_code: 40407 });
    expect((await call('DELETE', '/subjects/copy-value')).json).toEqual([1]);
    expect((await call('GET', '/subjects')).json).not.toContain('copy-value');
    expect((await call('GET', '/subjects?deleted=true')).json).toContain('copy-value');
    expect((await call('GET', '/subjects/copy-value/versions/1?deleted=true')).json).toMatchObject({ id: 2 });
    expect((await call('DELETE', '/subjects/copy-value?permanent=true')).json).toEqual([1]);
    expect((await call('GET', '/subjects?deleted=true')).json).not.toContain('copy-value');
    expect((await call('DELETE', '/subjects/orders-value/versions/latest')).json).toBe(3);

    broker = await broker.restart();
    base = `http://127.0.0.1:${httpPortOf(broker)}`;
    expect((await call('GET', '/subjects/orders-value/versions')).json).toEqual([1, 2]);
    expect((await call('GET', '/schemas/ids/3')).json).toEqual({ schema: ABCx });
    // Ids continue after the restart, never reused.
    const next = await call('POST', '/subjects/after-restart/versions', { schema: record([{ name: 'z', type: 'long' }]) });
    expect(next.json.id).toBeGreaterThan(3);
  });
});
