// Thread: vitest test worker. Tiered storage when object storage misbehaves, against the
// in-memory fault-injecting S3 server (test/helpers/s3/fake-s3.ts): down, throttling (503
// SlowDown) and hanging; produce and local fetch keep working, uploads resume, nothing is
// lost; the local-disk bound turns produce into a retriable KAFKA_STORAGE_ERROR; a store
// without conditional writes is refused at start-up.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor } from '../helpers/broker.js';
import { kcatConsumeFormat, kcatProduce } from '../helpers/kcat.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { uniqueTopic } from '../helpers/topics.js';
import { startFakeS3, type S3Target } from '../helpers/s3/s3-target.js';

let s3: S3Target;
beforeAll(async () => {
  s3 = await startFakeS3();
});
afterAll(async () => {
  await s3?.stop();
});

const prefix = 'outage/';
const tierArgs = (extra: string[] = []) => [
  ...s3.brokerArgs(prefix),
  '--log.remote.storage.enable=true',
  '--log.segment.bytes=8192',
  '--log.local.retention.bytes=0',
  '--remote.log.manager.task.interval.ms=100',
  '--log.retention.check.interval.ms=200',
  ...extra,
];
const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `rec-${String(from + i).padStart(6, '0')}-${'y'.repeat(50 + ((from + i) % 29))}`);
const produceConfig = { 'batch.num.messages': 20, 'linger.ms': 1, 'max.in.flight': 1 };
const segmentObjects = () => s3.fake!.objectKeys(s3.bucket, prefix).filter((k) => k.endsWith('.log')).length;

describe('tiered storage with object-storage trouble (fault-injecting server)', () => {
  it('keeps produce and local fetch working while S3 is down, throttling or hanging; uploads resume; nothing lost', async () => {
    const fake = s3.fake!;
    fake.setMode('ok');
    const broker = await startBroker({ args: tierArgs(), env: s3.brokerEnv() });
    const topic = uniqueTopic('outage');
    const first = lines(400);
    await kcatProduce(broker.bootstrap, topic, first.join('\n') + '\n', { partition: 0, config: produceConfig });
    await waitFor(() => segmentObjects() >= 3, { timeoutMs: 20_000, what: 'first uploads' });
    const partDir = path.join(broker.dataDir, `${topic}-0`);

    const before = segmentObjects();
    const outages: Array<'down' | 'slowdown' | 'hang'> = ['down', 'slowdown', 'hang'];
    let all = first;
    for (const mode of outages) {
      fake.setMode(mode);
      const more = lines(300, all.length);
      // Produce is unaffected.
      await kcatProduce(broker.bootstrap, topic, more.join('\n') + '\n', { partition: 0, config: produceConfig });
      // Local fetch of the new records is unaffected (they cannot have left the disk).
      const local = await kcatConsumeFormat(broker.bootstrap, topic, '%o %s\\n', { partition: 0, offset: all.length, timeoutMs: 30_000 });
      expect(local.stdout).toBe(more.map((l, i) => `${all.length + i} ${l}`).join('\n') + '\n');
      all = [...all, ...more];
    }
    // Nothing was uploaded meanwhile, and every not-uploaded segment is still on local disk.
    expect(segmentObjects()).toBe(before);
    const localLogs = fs.readdirSync(partDir).filter((f) => f.endsWith('.log')).length;
    expect(localLogs).toBeGreaterThan(5);

    fake.setMode('ok');
    // Uploads resume (backoff is capped) and local retention then trims the disk.
    await waitFor(() => fs.readdirSync(partDir).filter((f) => f.endsWith('.log')).length <= 2, { timeoutMs: 60_000, what: 'uploads to resume and local retention to run' });
    const consumed = await kcatConsumeFormat(broker.bootstrap, topic, '%o %s\\n', { partition: 0, offset: 0, timeoutMs: 60_000 });
    expect(consumed.stdout).toBe(all.map((l, i) => `${i} ${l}`).join('\n') + '\n');
    await broker.stop();
  }, 150_000);

  it('bounds local disk: past remote.storage.local.pending.max.bytes produce fails with retriable KAFKA_STORAGE_ERROR until uploads catch up', async () => {
    const fake = s3.fake!;
    fake.setMode('ok');
    const broker = await startBroker({ args: tierArgs(['--remote.storage.local.pending.max.bytes=32768']), env: s3.brokerEnv() });
    const topic = uniqueTopic('bound');
    const kafka = kafkaClient(broker.bootstrap, { retry: { retries: 0 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 0 } });
    await producer.connect();
    try {
      await kcatProduce(broker.bootstrap, topic, 'warm-up\n', { partition: 0 });
      fake.setMode('down');
      let error: unknown;
      for (let i = 0; i < 200 && error === undefined; i++) {
        try {
          await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ value: `bound-${i}-${j}-${'z'.repeat(200)}` })) });
        } catch (err) {
          error = err;
        }
      }
      expect(error).toBeDefined();
      // KafkaJS wraps the protocol error once its (zero) retries are exhausted.
      const cause = ((error as { cause?: unknown }).cause ?? error) as { type?: string; retriable?: boolean; message?: string };
      expect(cause.type, String((error as Error).message)).toBe('KAFKA_STORAGE_ERROR');
      expect(cause.retriable).toBe(true);
      // Operators see it: /readyz names object storage as the failing check once an upload
      // attempt has failed (the next tier pass, every 100 ms here; the backlog bound can trip
      // before that), and the upload-lag gauge shows the sealed bytes waiting.
      const httpPort = broker.logLines().find((l) => l.msg === 'broker ready')?.httpPort as number;
      let unready: { status: number; checks: Record<string, boolean> } = { status: 0, checks: {} };
      await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
          unready = { status: res.status, checks: ((await res.json()) as { checks: Record<string, boolean> }).checks };
          return unready.status === 503;
        },
        { timeoutMs: 10_000, intervalMs: 50, what: '/readyz to report object storage down' },
      );
      expect(unready.checks['object-storage']).toBe(false);
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(Number(/^strata_remote_storage_upload_lag_bytes (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      fake.setMode('ok');
      await waitFor(
        async () => {
          try {
            await producer.send({ topic, acks: -1, messages: [{ value: 'after-recovery' }] });
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'produce to succeed once uploads caught up' },
      );
      const ready = await fetch(`http://127.0.0.1:${broker.logLines().find((l) => l.msg === 'broker ready')?.httpPort as number}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      fake.setMode('ok');
      await producer.disconnect();
      await broker.stop();
    }
  }, 120_000);

  it('restarts while S3 is down (degraded: produce works, uploads resume later); refuses an empty data dir while down', async () => {
    const fake = s3.fake!;
    fake.setMode('ok');
    const broker = await startBroker({ args: tierArgs(), env: s3.brokerEnv() });
    const topic = uniqueTopic('down-restart');
    const first = lines(200);
    await kcatProduce(broker.bootstrap, topic, first.join('\n') + '\n', { partition: 0, config: produceConfig });
    await waitFor(() => segmentObjects() > 0, { timeoutMs: 20_000, what: 'first uploads' });
    fake.setMode('down');
    try {
      await broker.restart();
      const more = lines(200, first.length);
      await kcatProduce(broker.bootstrap, topic, more.join('\n') + '\n', { partition: 0, config: produceConfig });
      const partDir = path.join(broker.dataDir, `${topic}-0`);
      const localBefore = fs.readdirSync(partDir).filter((f) => f.endsWith('.log')).length;
      expect(localBefore).toBeGreaterThan(3);
      fake.setMode('ok');
      await waitFor(() => fs.readdirSync(partDir).filter((f) => f.endsWith('.log')).length <= 2, { timeoutMs: 60_000, what: 'uploads to resume after a degraded start' });
      const all = [...first, ...more];
      const consumed = await kcatConsumeFormat(broker.bootstrap, topic, '%o %s\\n', { partition: 0, offset: 0, timeoutMs: 60_000 });
      expect(consumed.stdout).toBe(all.map((l, i) => `${i} ${l}`).join('\n') + '\n');
      // A broker with an empty data dir cannot tell where remote logs end: it must not start.
      fake.setMode('down');
      await expect(startBroker({ args: tierArgs(), env: s3.brokerEnv(), readyTimeoutMs: 20_000 })).rejects.toThrow(/STRATA_ERR_TIER_UNAVAILABLE/);
    } finally {
      fake.setMode('ok');
      await broker.stop();
    }
  }, 150_000);

  it('refuses to start against a store that ignores conditional writes', async () => {
    const fake = s3.fake!;
    fake.conditionalWrites = false;
    try {
      await expect(startBroker({ args: tierArgs(), env: s3.brokerEnv(), readyTimeoutMs: 15_000 })).rejects.toThrow(/STRATA_ERR_TIER_NO_CONDITIONAL_WRITES/);
    } finally {
      fake.conditionalWrites = true;
    }
  });
});
