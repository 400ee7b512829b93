// snapshotChanges: how a reloaded snapshot becomes onChange notifications (RedisMetadataStore),
// and ChangeListeners: a throwing listener stops neither the others nor the write.
import { describe, expect, it } from 'vitest';
import { ChangeListeners, snapshotChanges, type MetadataChange, type TopicRecord } from '../../../src/metadata/metadata-store.js';

const rec = (id: string, partitions = 1, configs: Record<string, string> = {}): TopicRecord => ({ topicId: id.repeat(32), partitions, configs, createdAtMs: 1 });

describe('snapshotChanges', () => {
  it('names created, deleted and altered topics; an id change is a delete and a create', () => {
    const before = new Map([
      ['same', rec('a')],
      ['gone', rec('b')],
      ['grown', rec('c', 1)],
      ['reconfigured', rec('d', 1, { 'retention.ms': '1' })],
      ['recreated', rec('e')],
    ]);
    const after = new Map([
      ['same', rec('a')],
      ['grown', rec('c', 2)],
      ['reconfigured', rec('d', 1, { 'retention.ms': '2' })],
      ['recreated', rec('f')],
      ['new', rec('0')],
    ]);
    expect(snapshotChanges(before, after)).toEqual([
      { kind: 'deleted', name: 'gone' },
      { kind: 'altered', name: 'grown' },
      { kind: 'altered', name: 'reconfigured' },
      { kind: 'deleted', name: 'recreated' },
      { kind: 'created', name: 'recreated' },
      { kind: 'created', name: 'new' },
    ]);
    expect(snapshotChanges(after, after)).toEqual([]);
    // Same configs in another key order are no change; a removed key is.
    expect(snapshotChanges(new Map([['t', rec('a', 1, { x: '1', y: '2' })]]), new Map([['t', rec('a', 1, { y: '2', x: '1' })]]))).toEqual([]);
    expect(snapshotChanges(new Map([['t', rec('a', 1, { x: '1' })]]), new Map([['t', rec('a', 1, {})]]))).toEqual([{ kind: 'altered', name: 't' }]);
  });
});

describe('ChangeListeners', () => {
  it('calls every listener even when one throws, and stops calling an unsubscribed one', () => {
    const l = new ChangeListeners();
    const seen: MetadataChange[] = [];
    const errors: unknown[] = [];
    l.add(() => {
      throw new Error('boom');
    });
    const off = l.add((c) => seen.push(c));
    l.emit({ kind: 'created', name: 'a' }, (e) => errors.push(e));
    off();
    l.emit({ kind: 'deleted', name: 'a' }, (e) => errors.push(e));
    expect(seen).toEqual([{ kind: 'created', name: 'a' }]);
    expect(errors).toHaveLength(2);
  });
});
