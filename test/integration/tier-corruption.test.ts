// Thread: vitest test worker. Checksums of tiered segments against a real S3 server (Ceph
// radosgw started here, or AWS_ENDPOINT_URL_S3 — see test/helpers/s3/s3-target.ts): uploads
// record manifest v2 with real CRC-32Cs; a segment object overwritten with corrupted bytes on
// the server, once only object storage holds it, makes the fetch answer KAFKA_STORAGE_ERROR with
// no records and the broker log an error line naming the object, while the uncorrupted segments
// and the other partition still read byte-exact.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { kcatConsumeFormat, kcatProduce } from '../helpers/kcat.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { withConnection } from '../helpers/raw-kafka.js';
import { fetch } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';
import { useS3Target, startS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import { ManifestStore, type Manifest } from '../../src/tier/manifest.js';
import type { ObjectStore } from '../../src/tier/object-store.js';

let s3: S3Target;
let store: ObjectStore;
const prefix = `c${Date.now().toString(36)}/`;

useS3Target(startS3Target, (target, objects) => {
  s3 = target;
  store = objects;
});

const lines = (n: number) => Array.from({ length: n }, (_, i) => `record-${String(i).padStart(6, '0')}-${'y'.repeat(60 + (i % 37))}`);

function localStart(dir: string): number {
  const bases = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number(f.slice(0, 20)));
  return Math.min(...bases);
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

describe('tiered segment checksums against a real S3 server', () => {
  let broker: BrokerHandle;
  afterAll(async () => {
    await broker?.stop().catch(() => undefined);
  });

  it('answers KAFKA_STORAGE_ERROR and logs the object for a segment corrupted on the server; intact data still reads', async () => {
    broker = await startBroker({
      args: [
        ...s3.brokerArgs(prefix),
        '--log.remote.storage.enable=true',
        '--log.segment.bytes=16384',
        '--log.local.retention.bytes=0',
        '--remote.log.manager.task.interval.ms=100',
        '--log.retention.check.interval.ms=200',
      ],
      env: s3.brokerEnv(),
    });
    const topic = uniqueTopic('tier-crc');
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const records = lines(800);
    for (const partition of [0, 1]) {
      await kcatProduce(broker.bootstrap, topic, records.join('\n') + '\n', { partition, config: { 'batch.num.messages': 20, 'linger.ms': 1, 'max.in.flight': 1 } });
    }
    const topicId = await topicIdOf(topic);
    const manifests = new ManifestStore(store, prefix);
    // Both partitions: a few segments uploaded, and the first ones gone from local disk.
    const manifest: Manifest[] = [];
    for (const partition of [0, 1]) {
      // Local retention may delete the first segment as soon as it is uploaded: wait for both.
      manifest[partition] = await waitFor(
        async () => {
          if (localStart(path.join(broker.dataDir, `${topic}-${partition}`)) === 0) return null;
          const m = await manifests.load(topicId, partition);
          return m.segments.length >= 2 ? m : null;
        },
        { timeoutMs: 30_000, what: `two uploaded segments and local retention of ${topic}-${partition}` },
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\nbroker log tail:\n${broker.logs().slice(-4000)}`);
      });
      expect(manifest[partition]!.segments.length).toBeGreaterThanOrEqual(2);
    }

    // Manifest v2 on the server, with real CRC-32Cs of what was uploaded.
    const manifestKeys = (await store.list(`${prefix}${topicId}/0/manifest/`)).map((o) => o.key).sort();
    expect(JSON.parse((await store.get(manifestKeys[manifestKeys.length - 1]!)).toString('utf8')).v).toBe(2);
    const victim = manifest[0]!.segments[0]!;
    const original = await store.get(victim.logKey);
    expect(original.length).toBe(victim.sizeBytes);
    expect(victim.checksums?.log).toBe(crc32c(original) >>> 0);

    // Overwrite the first segment of partition 0 on the server: one bit inside the first record.
    const corrupted = Buffer.from(original);
    corrupted[100] ^= 0x04;
    await store.put(victim.logKey, corrupted);

    await withConnection(broker.host, broker.port, async (c) => {
      const bad = await fetch(c, topic, 0, 0);
      expect(bad.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(bad.records === null || bad.records.length === 0).toBe(true);
      // The next (intact) remote segment of the same partition still reads.
      const next = await fetch(c, topic, 0, manifest[0]!.segments[1]!.baseOffset);
      expect(next.errorCode).toBe(ErrorCode.NONE);
      expect(next.batches[0]!.records[0]!.value?.toString()).toBe(records[manifest[0]!.segments[1]!.baseOffset]);
    });
    const line = await waitFor(() => broker.logLines().find((l) => l.level === 50 && l.object === victim.logKey), { timeoutMs: 10_000, what: 'the CRC error line' });
    expect(line.msg).toMatch(/failed its CRC-32C check/);
    expect(String(line.err)).toMatch(/STRATA_ERR_TIER_CORRUPT/);

    // The uncorrupted partition reads byte-exact from offset 0, across remote and local segments.
    const consumed = await kcatConsumeFormat(broker.bootstrap, topic, '%o %s\\n', { partition: 1, offset: 0, timeoutMs: 60_000 });
    expect(consumed.stdout).toBe(records.map((l, i) => `${i} ${l}`).join('\n') + '\n');
  }, 150_000);
});
