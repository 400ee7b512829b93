// LocalMetadataStore: the MetadataStore contract over a temp dir, plus what only the file has:
// tombstones dropped from the file once forgotten, files written before the field load, and a
// cluster-id mismatch naming the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalMetadataStore } from '../../../src/metadata/local-metadata-store.js';
import type { MetadataStore } from '../../../src/metadata/metadata-store.js';
import { metadataStoreContract } from '../../helpers/metadata-store-contract.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-meta-'));
  dirs.push(d);
  return d;
}

const dirOf = new WeakMap<MetadataStore, string>();
async function openIn(dir: string, clusterId?: string): Promise<MetadataStore> {
  const s = LocalMetadataStore.open(dir, clusterId);
  await s.start();
  dirOf.set(s, dir);
  return s;
}

metadataStoreContract('local file', {
  create: (opts) => openIn(tempDir(), opts?.clusterId),
  // One broker owns the file: its "other instance" is itself.
  peer: async (s) => s,
  reopen: async (s, opts) => openIn(dirOf.get(s)!, opts?.clusterId),
});

describe('LocalMetadataStore file', () => {
  it('drops a forgotten tombstone from the file; a plain delete writes none', async () => {
    const dir = tempDir();
    let store = LocalMetadataStore.open(dir);
    const { topic: a } = await store.createTopic('a', 1, {});
    const { topic: b } = await store.createTopic('b', 1, {});
    await store.deleteTopic('a', { tombstone: true });
    await store.deleteTopic('b');
    store = LocalMetadataStore.open(dir);
    expect(store.deletedTopicIds()).toEqual([a.topicId]);
    expect(store.deletedTopicIds()).not.toContain(b.topicId);
    await store.forgetDeletedTopic(a.topicId);
    expect(LocalMetadataStore.open(dir).deletedTopicIds()).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'strata-metadata.json'), 'utf8'))).not.toHaveProperty('deletedTopicIds');
  });

  it('loads a metadata file written before tombstones existed', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'strata-metadata.json'),
      JSON.stringify({ version: 1, clusterId: 'c', producerIdBlockEnd: 0, topics: { t: { topicId: 'ab'.repeat(16), partitions: 2, configs: {}, createdAtMs: 1 } } }),
    );
    const store = LocalMetadataStore.open(dir);
    expect(store.topic('t')?.partitions).toBe(2);
    expect(store.deletedTopicIds()).toEqual([]);
  });

  it('a write resolves after the file holds it; a failed replace rejects with the disk error', async () => {
    const dir = tempDir();
    const store = LocalMetadataStore.open(dir);
    const { topic } = await store.createTopic('t', 1, {});
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'strata-metadata.json'), 'utf8')) as { topics: Record<string, unknown> };
    expect(onDisk.topics.t).toEqual(topic);
    // A directory where the temp file goes: the replace fails.
    fs.mkdirSync(path.join(dir, 'strata-metadata.json.tmp'));
    await expect(store.setTopicConfigs('t', { 'retention.ms': '1' })).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('names the file when the configured cluster.id differs from the stored one', () => {
    const dir = tempDir();
    LocalMetadataStore.open(dir, 'one');
    expect(() => LocalMetadataStore.open(dir, 'two')).toThrow(expect.objectContaining({ code: 'STRATA_ERR_CLUSTER_ID_MISMATCH', message: expect.stringContaining(path.join(dir, 'strata-metadata.json')) }));
  });
});
