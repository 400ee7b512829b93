// TopicManager over a metadata store whose writes fail or lose races (as a shared Redis store
// does): every outcome is a Kafka error code, never an exception that would close the
// connection; a creation another broker won answers TOPIC_ALREADY_EXISTS to CreateTopics and
// the winner's topic to auto-creation; a failed delete leaves the topic in place.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerConfigSchema } from '../../../src/config/broker-config.js';
import { StrataError } from '../../../src/errors.js';
import { LocalMetadataStore } from '../../../src/metadata/local-metadata-store.js';
import type { MetadataStore } from '../../../src/metadata/metadata-store.js';
import { TopicManager } from '../../../src/metadata/topic-manager.js';
import type { PartitionEngine } from '../../../src/partitions/partition-engine.js';
import type { PartitionSpec } from '../../../src/ipc/tasks.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A local store whose writes reject while `down` (Redis unreachable), and a peer to create topics "on another broker". */
function harness() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-topics-'));
  dirs.push(dir);
  const inner = LocalMetadataStore.open(dir);
  const state: { down: boolean; before?: (write: string, name: unknown) => Promise<void> } = { down: false };
  const fail = () => Promise.reject(new StrataError('STRATA_ERR_METADATA_STORE_UNAVAILABLE', 'Redis at redis://127.0.0.1:1 is not connected'));
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      const writes = ['createTopic', 'restoreTopic', 'deleteTopic', 'forgetDeletedTopic', 'setPartitionCount', 'setTopicConfigs', 'allocateProducerId'];
      if (typeof value !== 'function') return value;
      if (!writes.includes(String(prop))) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        if (state.down && writes.includes(String(prop))) return fail();
        // Without a hook, no await: the local store mutates and notifies before its call returns.
        if (state.before) await state.before(String(prop), args[0]);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as MetadataStore;
  const opened: PartitionSpec[] = [];
  const configured: PartitionSpec[] = [];
  const deleted: string[] = [];
  const engine = {
    open: async (specs: PartitionSpec[]) => void opened.push(...specs),
    configure: async (spec: PartitionSpec) => void configured.push(spec),
    delete: async (keys: string[]) => void deleted.push(...keys),
  } as unknown as PartitionEngine;
  const topics = new TopicManager(store, engine, undefined, brokerConfigSchema.parse({ 'log.dirs': dir }), dir, pino({ level: 'silent' }));
  return { topics, store, inner, state, opened, configured, deleted };
}

const createOpts = (name: string, numPartitions = 1) => ({ name, numPartitions, replicationFactor: -1, configs: [], hasAssignments: false, validateOnly: false });

describe('TopicManager over a failing or shared metadata store', () => {
  it('answers Kafka codes when the store is unreachable, and changes nothing', async () => {
    const { topics, state, opened, deleted } = harness();
    await topics.create(createOpts('kept', 2));
    state.down = true;
    expect(await topics.create(createOpts('new'))).toMatchObject({ ok: false, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: expect.stringContaining('STRATA_ERR_METADATA_STORE_UNAVAILABLE') });
    // Auto-creation through Metadata: "not there yet, ask again".
    expect(await topics.ensure('auto')).toMatchObject({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE });
    expect(await topics.delete('kept')).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT });
    expect(topics.get('kept')?.partitions).toBe(2);
    expect(await topics.createPartitions('kept', 4, false, false)).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT });
    expect(await topics.setConfigs('kept', { 'retention.ms': '1' })).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT });
    expect(topics.get('kept')).toMatchObject({ partitions: 2, configs: {} });
    expect(opened).toHaveLength(2);
    state.down = false;
    expect(await topics.createPartitions('kept', 4, false, false)).toBeNull();
    expect(opened.map((s) => s.partition)).toEqual([0, 1, 2, 3]);
    expect(await topics.delete('kept')).toBeNull();
    // Removed once: the store's notification of this broker's own deletion starts no second removal.
    expect(deleted).toHaveLength(4);
    expect(new Set(deleted).size).toBe(4);
    // A creation of the name waits for the deletion and then succeeds.
    expect(await topics.create(createOpts('kept'))).toMatchObject({ ok: true });
  });

  it('a creation another broker won: TOPIC_ALREADY_EXISTS to CreateTopics, the winner\'s topic to auto-creation, nothing opened here', async () => {
    const { topics, state, inner, opened } = harness();
    // The other broker's creation lands between this broker's check and its write.
    let winner;
    state.before = async (write, name) => {
      if (write === 'createTopic') winner = (await inner.createTopic(name as string, 3, {})).topic;
    };
    expect(await topics.create(createOpts('raced'))).toMatchObject({ ok: false, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS });
    expect(await topics.ensure('raced-auto')).toEqual(topics.get('raced-auto'));
    expect(topics.get('raced-auto')).toEqual(winner);
    expect(opened).toEqual([]);
  });

  it('a partition count raised meanwhile by another broker: INVALID_PARTITIONS naming the current count', async () => {
    const { topics, state, inner, opened } = harness();
    await topics.create(createOpts('grow', 1));
    state.before = async (write, name) => {
      if (write === 'setPartitionCount') await inner.setPartitionCount(name as string, 5);
    };
    expect(await topics.createPartitions('grow', 3, false, false)).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: expect.stringContaining('Topic currently has 5 partitions') });
    // Partitions another broker added are not opened here (placement decides).
    expect(opened.map((s) => s.partition)).toEqual([0]);
  });

  it('follows changes made through another broker: configs pushed to open partitions, a deleted topic\'s partitions removed', async () => {
    const { topics, inner, configured, deleted } = harness();
    const created = await topics.create(createOpts('shared', 2));
    if (!created.ok) throw new Error('not created');
    // Altered through this broker: configured once, by setConfigs itself.
    expect(await topics.setConfigs('shared', { 'retention.ms': '10' })).toBeNull();
    expect(configured.map((s) => [s.partition, s.config.retentionMs])).toEqual([[0, 10], [1, 10]]);
    configured.length = 0;
    // Altered through another broker (the store announces a change this broker did not make).
    await inner.setTopicConfigs('shared', { 'retention.ms': '20' });
    await expect.poll(() => configured.map((s) => [s.partition, s.config.retentionMs])).toEqual([[0, 20], [1, 20]]);
    // Deleted and re-created through another broker: the old partitions go, the new topic is not opened here.
    await inner.deleteTopic('shared');
    await inner.createTopic('shared', 1, {});
    await expect.poll(() => [...deleted]).toEqual([`${created.topic.topicId}:0`, `${created.topic.topicId}:1`]);
    // This broker's own delete of the new topic: no second removal of the old one.
    expect(await topics.delete('shared')).toBeNull();
    expect(deleted).toHaveLength(3);
  });
});
