// Unit: SchemaRegistry semantics over the local store — ids shared across subjects, versions,
// compatibility per subject and global, soft/permanent deletes, references, validation lookups.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRegistryStore } from '../../../src/schema-registry/local-registry-store.js';
import { SchemaRegistry } from '../../../src/schema-registry/registry.js';
import { RegistryError } from '../../../src/schema-registry/errors.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function registry(): Promise<SchemaRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-'));
  dirs.push(dir);
  const store = new LocalRegistryStore(dir);
  await store.start();
  return new SchemaRegistry(store);
}

const avro = (fields: unknown[]) => ({ schema: JSON.stringify({ type: 'record', name: 'R', fields }) });
const A = avro([{ name: 'a', type: 'string' }]);
const AB = avro([{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }]);
const ABnoDefault = avro([{ name: 'a', type: 'string' }, { name: 'b', type: 'int' }]);

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RegistryError) return err.errorCode;
    throw err;
  }
  return 0;
}

describe('SchemaRegistry', () => {
  it('gives identical schemas one id across subjects and returns it again', async () => {
    const r = await registry();
    expect(await r.register('x-value', A)).toEqual({ id: 1, version: 1 });
    expect(await r.register('x-value', { schema: JSON.stringify(JSON.parse(A.schema), null, 2) })).toEqual({ id: 1, version: 1 });
    expect(await r.register('y-value', A)).toEqual({ id: 1, version: 1 });
    expect(await r.register('x-value', AB)).toEqual({ id: 2, version: 2 });
    expect(await r.versions('x-value')).toEqual([1, 2]);
    expect((await r.getVersion('x-value', 'latest')).id).toBe(2);
    expect((await r.lookup('x-value', A)).version).toBe(1);
    expect(await code(r.lookup('x-value', ABnoDefault))).toBe(40403);
    expect(await code(r.lookup('nope', A))).toBe(40401);
    expect(await r.subjectVersionsOf(1)).toEqual([{ subject: 'x-value', version: 1 }, { subject: 'y-value', version: 1 }]);
  });

  it('enforces the subject level over the global one', async () => {
    const r = await registry();
    await r.register('s', A);
    expect(await code(r.register('s', ABnoDefault))).toBe(409);
    await r.setSubjectCompatibility('s', 'FORWARD');
    expect((await r.register('s', ABnoDefault)).version).toBe(2);
    await r.setGlobalCompatibility('NONE');
    await r.register('t', A);
    expect((await r.register('t', avro([{ name: 'a', type: 'int' }]))).version).toBe(2);
    expect(await r.setSubjectCompatibility('s', undefined)).toBe('FORWARD');
    expect(await r.subjectCompatibility('s')).toBeUndefined();
  });

  it('soft-deletes, then permanently deletes, in that order', async () => {
    const r = await registry();
    await r.register('d', A);
    await r.register('d', AB);
    expect(await code(r.deleteVersion('d', 1, true))).toBe(40407);
    expect(await r.deleteVersion('d', 1, false)).toBe(1);
    expect(await code(r.deleteVersion('d', 1, false))).toBe(40402);
    expect(await r.versions('d')).toEqual([1, 2].slice(1));
    expect(await r.versions('d', true)).toEqual([1, 2]);
    expect(r.isRegistered('d', 1)).toBe(false);
    expect(r.isRegistered('d', 2)).toBe(true);
    expect(await code(r.deleteSubject('d', true))).toBe(40405);
    expect(await r.deleteSubject('d', false)).toEqual([2]);
    expect(await code(r.deleteSubject('d', false))).toBe(40404);
    expect(await r.subjects()).toEqual([]);
    expect(await r.subjects(true)).toEqual(['d']);
    expect(await r.deleteSubject('d', true)).toEqual([1, 2]);
    expect(await r.subjects(true)).toEqual([]);
    // The schema itself stays reachable by id; a new registration starts at version 1 again.
    expect((await r.getById(2)).schemaType).toBe('AVRO');
    expect(await r.register('d', AB)).toEqual({ id: 2, version: 1 });
  });

  it('resolves references and refuses to delete a referenced version', async () => {
    const r = await registry();
    const inner = { schema: JSON.stringify({ type: 'record', name: 'Inner', namespace: 'n', fields: [{ name: 'x', type: 'int' }] }) };
    await r.register('inner', inner);
    const outer = { schema: JSON.stringify({ type: 'record', name: 'Outer', namespace: 'n', fields: [{ name: 'i', type: 'n.Inner' }] }), references: [{ name: 'n.Inner', subject: 'inner', version: 1 }] };
    const { id } = await r.register('outer', outer);
    expect(await r.referencedBy('inner', 1)).toEqual([id]);
    expect(await code(r.deleteVersion('inner', 1, false))).toBe(42206);
    expect(await code(r.register('bad', { ...outer, references: [{ name: 'n.Inner', subject: 'inner', version: 9 }] }))).toBe(42201);
    expect((await r.getById(id)).references).toEqual(outer.references);
  });

  it('checks compatibility against a version or the latest, verbosely', async () => {
    const r = await registry();
    await r.register('c', A);
    expect(await r.testCompatibility('c', 'latest', AB)).toEqual({ compatible: true, messages: [] });
    const bad = await r.testCompatibility('c', 1, ABnoDefault);
    expect(bad.compatible).toBe(false);
    expect(bad.messages[0]).toMatch(/no matching field|default/);
    expect(await code(r.testCompatibility('none', 'latest', A))).toBe(40401);
  });

  it('answers validation lookups from the snapshot, and after a refresh', async () => {
    const r = await registry();
    const { id } = await r.register('v-value', A);
    expect(r.isRegistered('v-value', id)).toBe(true);
    expect(r.isRegistered('other', id)).toBe(false);
    expect(await r.isRegisteredFresh('v-value', id)).toBe(true);
    expect(await r.isRegisteredFresh('v-value', 999)).toBe(false);
  });

  it('rejects bad schemas, versions and subject names with Confluent codes', async () => {
    const r = await registry();
    expect(await code(r.register('s', { schema: '{"type":"nope"}' }))).toBe(42201);
    expect(await code(r.register('s', { schema: 'not json', schemaType: 'JSON' }))).toBe(42201);
    expect(await code(r.register('', A))).toBe(400);
    expect(await code(r.getById(77))).toBe(40403);
    await r.register('s', A);
    expect(await code(r.getVersion('s', 5))).toBe(40402);
  });
});
