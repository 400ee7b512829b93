// Thread: vitest test worker. Tiered storage against a real S3-compatible server (Ceph
// radosgw started here, or AWS_ENDPOINT_URL_S3 — see test/helpers/s3/s3-target.ts): upload
// after roll, local deletion only after upload, byte-exact consumption from offset 0 once
// local segments are gone, disk loss, conditional-write fencing, topic deletion.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { kcatConsumeFormat, kcatProduce, kcatQueryOffset } from '../helpers/kcat.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';
import { useS3Target, startS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { ManifestStore, type Manifest } from '../../src/tier/manifest.js';
import { TierError, TierErrorCode, type ObjectStore } from '../../src/tier/object-store.js';

let s3: S3Target;
let store: ObjectStore;
const prefix = `t${Date.now().toString(36)}/`;

useS3Target(startS3Target, (target, objects) => {
  s3 = target;
  store = objects;
});

function tierArgs(extra: string[] = []): string[] {
  return [
    ...s3.brokerArgs(prefix),
    '--log.remote.storage.enable=true',
    '--log.segment.bytes=16384',
    '--log.local.retention.bytes=0',
    '--remote.log.manager.task.interval.ms=100',
    '--log.retention.check.interval.ms=200',
    ...extra,
  ];
}

async function topicIdOf(topic: string): Promise<string> {
  return waitFor(
    async () => {
      for (const o of await store.list(`${prefix}topics/`)) {
        const meta = JSON.parse((await store.get(o.key)).toString('utf8')) as { name: string; topicId: string };
        if (meta.name === topic) return meta.topicId;
      }
      return undefined;
    },
    { timeoutMs: 20_000, what: `topic metadata object of ${topic}` },
  );
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `record-${String(from + i).padStart(6, '0')}-${'x'.repeat(60 + ((from + i) % 37))}`);

function localBases(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
}

describe(`tiered storage against a real S3 server`, () => {
  let broker: BrokerHandle;
  afterAll(async () => {
    await broker?.stop().catch(() => undefined);
  });

  it('uploads after roll, deletes locally only after upload, serves offset 0 byte-exact, survives a wiped data dir, deletes objects with the topic', async () => {
    broker = await startBroker({ args: tierArgs(), env: s3.brokerEnv() });
    const topic = uniqueTopic('tier');
    const first = lines(1500);
    await kcatProduce(broker.bootstrap, topic, first.join('\n') + '\n', { partition: 0, config: { 'batch.num.messages': 20, 'linger.ms': 1, 'max.in.flight': 1 } });
    const topicId = await topicIdOf(topic);
    const manifests = new ManifestStore(store, prefix);
    const partDir = path.join(broker.dataDir, `${topic}-0`);

    // Upload after roll: segments appear in the manifest.
    let manifest: Manifest = await waitFor(
      async () => {
        const m = await manifests.load(topicId, 0);
        return m.segments.length >= 5 ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'segments uploaded to the manifest' },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nbroker log tail:\n${broker.logs().slice(-4000)}`);
    });
    // Local deletion only after upload: wait until old segments are gone locally, then check
    // every offset below the local start is covered by an uploaded segment.
    await waitFor(() => localBases(partDir)[0]! > 0, { timeoutMs: 30_000, what: 'local retention to delete uploaded segments' });
    manifest = await manifests.load(topicId, 0);
    const localStart = localBases(partDir)[0]!;
    expect(manifest.segments[0]!.baseOffset).toBe(0);
    for (let i = 1; i < manifest.segments.length; i++) expect(manifest.segments[i]!.baseOffset).toBe(manifest.segments[i - 1]!.endOffset);
    expect(manifest.segments[manifest.segments.length - 1]!.endOffset).toBeGreaterThanOrEqual(localStart);
    for (const seg of manifest.segments) {
      const objects = (await store.list(seg.logKey)).map((o) => o);
      expect(objects[0]?.size).toBe(seg.sizeBytes);
    }

    // ListOffsets earliest reports the remote log start.
    expect(await kcatQueryOffset(broker.bootstrap, topic, 0, -2)).toBe(0);

    // Consume from offset 0, byte-exact, across remote and local segments.
    const expected = first.map((l, i) => `${i} ${l}`).join('\n') + '\n';
    const consumed = await kcatConsumeFormat(broker.bootstrap, topic, '%o %s\\n', { partition: 0, offset: 0, timeoutMs: 60_000 });
    expect(consumed.stdout).toBe(expected);

    // Disk loss: wipe the data dir; topics are rebuilt from the bucket, offloaded offsets readable.
    manifest = await manifests.load(topicId, 0);
    const remoteEnd = manifest.segments[manifest.segments.length - 1]!.endOffset;
    await broker.stop();
    for (const entry of fs.readdirSync(broker.dataDir)) fs.rmSync(path.join(broker.dataDir, entry), { recursive: true, force: true });
    broker = await broker.restart();
    const afterWipe = await kcatConsumeFormat(broker.bootstrap, topic, '%o %s\\n', { partition: 0, offset: 0, timeoutMs: 60_000 });
    const offloaded = first.slice(0, remoteEnd).map((l, i) => `${i} ${l}`).join('\n') + '\n';
    expect(afterWipe.stdout).toBe(offloaded);
    // New records continue after the remote log end (no offset is reused).
    await kcatProduce(broker.bootstrap, topic, 'after-wipe\n', { partition: 0 });
    const tail = await kcatConsumeFormat(broker.bootstrap, topic, '%o %s\\n', { partition: 0, offset: remoteEnd, timeoutMs: 30_000 });
    expect(tail.stdout).toBe(`${remoteEnd} after-wipe\n`);

    // Topic deletion removes every object of the topic.
    const kafka = kafkaClient(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic], timeout: 15_000 });
    } finally {
      await admin.disconnect();
    }
    await waitFor(async () => (await store.list(`${prefix}${topicId}/`)).length === 0, { timeoutMs: 20_000, what: 'topic objects removed' });
    expect((await store.list(`${prefix}topics/${topicId}`)).length).toBe(0);
  }, 150_000);

  it('answers ListOffsets by timestamp from segments only object storage holds', async () => {
    const own = await startBroker({ args: tierArgs(), env: s3.brokerEnv() });
    try {
      const topic = uniqueTopic('tier-ts');
      const kafka = kafkaClient(own.bootstrap);
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      const base = Date.now() - 3_600_000;
      try {
        for (let b = 0; b < 30; b++) {
          const messages = Array.from({ length: 20 }, (_, j) => {
            const i = b * 20 + j;
            return { value: `ts-${i}-${'w'.repeat(80)}`, timestamp: String(base + i * 1000), partition: 0 };
          });
          await producer.send({ topic, acks: -1, messages });
        }
      } finally {
        await producer.disconnect();
      }
      const partDir = path.join(own.dataDir, `${topic}-0`);
      await waitFor(() => localBases(partDir)[0]! > 200, { timeoutMs: 30_000, what: 'records 0-200 to exist only in object storage' });
      expect(await kcatQueryOffset(own.bootstrap, topic, 0, base + 50_500)).toBe(51);
      expect(await kcatQueryOffset(own.bootstrap, topic, 0, base)).toBe(0);
      expect(await kcatQueryOffset(own.bootstrap, topic, 0, base + 599_000)).toBe(599);
      expect(await kcatQueryOffset(own.bootstrap, topic, 0, base + 600_000)).toBe(-1);
    } finally {
      await own.stop();
    }
  }, 90_000);

  it('rejects a conditional-write conflict on the manifest (two writers of one version)', async () => {
    const manifests = new ManifestStore(store, `${prefix}conflict/`);
    const base = await manifests.load('0'.repeat(32), 0);
    const seg = { baseOffset: 0, endOffset: 10, sizeBytes: 100, maxTimestamp: 1, logKey: 'a', offsetIndexKey: 'b', timeIndexKey: 'c', uploadedAtMs: 1 };
    const winner = await manifests.write(base, [seg]);
    expect(winner.epoch).toBe(1);
    // A second writer that also read epoch 0 (e.g. a fenced broker) loses.
    const err = await manifests.write(base, [{ ...seg, endOffset: 20 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierError);
    expect((err as TierError).code).toBe(TierErrorCode.CONFLICT);
    expect((await manifests.load('0'.repeat(32), 0)).segments[0]!.endOffset).toBe(10);
    // Racing writers of the same version: exactly one wins.
    const racers = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => manifests.write(winner, [{ ...seg, endOffset: 100 + i }])));
    expect(racers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});
