// Unit: the local-file schema registry store against the RegistryStore contract, plus its
// file: atomic replacement (no temp file left), and a corrupt file refused at start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRegistryStore, registryFilePath } from '../../../src/schema-registry/local-registry-store.js';
import type { RegistryStore } from '../../../src/schema-registry/registry-store.js';
import { registryStoreContract } from '../../helpers/registry-store-contract.js';

const dirs: string[] = [];
const dirOf = new WeakMap<RegistryStore, string>();
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dir: string): Promise<LocalRegistryStore> {
  const store = new LocalRegistryStore(dir);
  await store.start();
  dirOf.set(store, dir);
  return store;
}

registryStoreContract('local file', {
  async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-store-'));
    dirs.push(dir);
    return open(dir);
  },
  async peer(store) {
    return store;
  },
  async reopen(store) {
    await store.close();
    return open(dirOf.get(store)!);
  },
});

describe('LocalRegistryStore file', () => {
  it('replaces the file atomically and refuses a corrupt one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-store-'));
    dirs.push(dir);
    const store = await open(dir);
    await store.schemaId('fp', { schemaType: 'JSON', schema: '{}', references: [] });
    await store.close();
    expect(fs.readdirSync(dir)).toEqual(['schema-registry.json']);
    expect(JSON.parse(fs.readFileSync(registryFilePath(dir), 'utf8')).lastId).toBe(1);
    fs.writeFileSync(registryFilePath(dir), '{"version":1,"lastId":"x"}');
    await expect(open(dir)).rejects.toThrow(/schema registry file .* is invalid/);
  });
});
