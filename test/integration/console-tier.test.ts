// Integration: the console with tiered storage (the in-memory S3 server of the test helpers):
// a topic's remote bytes appear once its sealed segments are uploaded, local bytes shrink as
// they are deleted locally (local retention 0), and the message browser still reads the first
// records — now served from object storage through the same Fetch path.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { consoleApi } from '../helpers/console.js';
import { kcatProduce } from '../helpers/kcat.js';
import { httpPortOf } from '../helpers/metrics.js';
import { startFakeS3, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { uniqueTopic } from '../helpers/topics.js';

let s3: S3Target;
useS3Target(startFakeS3, (target) => {
  s3 = target;
});
let broker: BrokerHandle;

beforeAll(async () => {
  broker = await startBroker({
    args: [
      ...s3.brokerArgs(`console${Date.now().toString(36)}/`),
      '--redis.url=',
      '--log.remote.storage.enable=true',
      '--log.segment.bytes=16384',
      '--log.local.retention.bytes=0',
      '--remote.log.manager.task.interval.ms=100',
      '--log.retention.check.interval.ms=200',
    ],
    env: s3.brokerEnv(),
  });
});

afterAll(async () => {
  await broker?.stop();
});

describe('console with tiered storage', () => {
  it('shows remote bytes per partition and in the list, and browses records that live only in the bucket', async () => {
    const port = httpPortOf(broker);
    const topic = uniqueTopic();
    expect((await consoleApi(port, '/topics', { method: 'POST', body: { name: topic, partitions: 1 } })).status).toBe(201);
    const values = Array.from({ length: 600 }, (_, i) => `record-${String(i).padStart(4, '0')}-${'x'.repeat(80)}`);
    // Six produce calls of ~11 KiB: batches land in several 16 KiB segments, the older ones sealed.
    for (let i = 0; i < 6; i++) await kcatProduce(broker.bootstrap, topic, values.slice(i * 100, i * 100 + 100).join('\n') + '\n', { partition: 0 });

    let last: unknown;
    const detail = await waitFor(
      async () => {
        const d = (last = (await consoleApi(port, `/topics/${topic}`)).body);
        const p = d.partitions[0];
        // Uploaded, and the uploaded segments deleted locally (only the active one stays).
        return p.remoteBytes > 16_384 && p.localBytes < p.remoteBytes ? d : undefined;
      },
      { timeoutMs: 30_000, what: 'sealed segments uploaded and deleted locally' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last answer: ${JSON.stringify(last)}`);
    });
    const p0 = detail.partitions[0];
    expect(p0.highWatermark).toBe(600);
    expect(p0.remoteBytes + p0.localBytes).toBeGreaterThan(600 * 90);
    const list = await consoleApi(port, `/topics?filter=${topic}`);
    expect(list.body.topics[0].remoteBytes).toBeGreaterThanOrEqual(p0.remoteBytes);

    // Offset 0's segment is gone from the local disk: the browser reads it from the bucket.
    const partDir = path.join(broker.dataDir, `${topic}-0`);
    await waitFor(() => !fs.readdirSync(partDir).includes(`${'0'.repeat(20)}.log`), { timeoutMs: 30_000, what: 'the first segment deleted locally' });
    const first = await consoleApi(port, `/topics/${topic}/messages?partition=0&offset=0&limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.messages.map((m: { value: { text: string } }) => m.value.text)).toEqual(values.slice(0, 3));
  }, 60_000);
});
