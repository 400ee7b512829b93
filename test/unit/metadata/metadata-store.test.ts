// MetadataStore: ids of deleted topics whose objects in object storage may remain
// (deletedTopicIds) survive a reopen until forgotten; files written before the field load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MetadataStore } from '../../../src/metadata/metadata-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-meta-'));
  dirs.push(d);
  return d;
}

describe('MetadataStore deleted-topic tombstones', () => {
  it('remembers a tombstoned id across a reopen until it is forgotten; a plain delete leaves none', () => {
    const dir = tempDir();
    let store = MetadataStore.open(dir);
    const a = store.createTopic('a', 1, {});
    const b = store.createTopic('b', 1, {});
    store.deleteTopic('a', { tombstone: true });
    store.deleteTopic('b');
    expect(store.topic('a')).toBeUndefined();
    expect(store.topicNameById(a.topicId)).toBeUndefined();
    expect(store.deletedTopicIds()).toEqual([a.topicId]);
    store = MetadataStore.open(dir);
    expect(store.deletedTopicIds()).toEqual([a.topicId]);
    expect(store.deletedTopicIds()).not.toContain(b.topicId);
    store.forgetDeletedTopic(a.topicId);
    expect(MetadataStore.open(dir).deletedTopicIds()).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'strata-metadata.json'), 'utf8'))).not.toHaveProperty('deletedTopicIds');
  });

  it('loads a metadata file written before tombstones existed', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'strata-metadata.json'),
      JSON.stringify({ version: 1, clusterId: 'c', producerIdBlockEnd: 0, topics: { t: { topicId: 'ab'.repeat(16), partitions: 2, configs: {}, createdAtMs: 1 } } }),
    );
    const store = MetadataStore.open(dir);
    expect(store.topic('t')?.partitions).toBe(2);
    expect(store.deletedTopicIds()).toEqual([]);
  });
});
