// Integration (issue 12, bug 8): `strata produce --compression` with every Kafka codec and
// `strata consume` decoding every codec — read back through the CLI, stored by the broker with
// the codec asked for (checked in the segment file), readable by kcat (librdkafka), and
// batches written by kcat `-z snappy|lz4|zstd|gzip` readable by `strata consume`.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { kcatConsumeJson, kcatProduce } from '../helpers/kcat.js';
import { runStrata, strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let bs: string[];

beforeAll(async () => {
  broker = await startBroker({ args: ['--redis.url=', '--worker.threads=1'] });
  bs = ['--bootstrap-server', broker.bootstrap];
});

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_ID: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** Codec ids of every batch in partition 0's first segment, read from the broker's files. */
function storedCodecs(topic: string): number[] {
  const file = path.join(broker.dataDir, `${topic}-0`, '00000000000000000000.log');
  if (!fs.existsSync(file)) return [];
  const log = fs.readFileSync(file);
  const codecs: number[] = [];
  for (let pos = 0; pos + 61 <= log.length; pos += 12 + log.readInt32BE(pos + 8)) codecs.push(log.readInt16BE(pos + 21) & 7);
  return codecs;
}

function lines(n: number, prefix: string): string[] {
  // Repetitive values, so every codec actually compresses.
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}-${'abcdefgh'.repeat(8)}`);
}

describe('strata produce --compression / consume, every codec', () => {
  it.each(CODECS)('%s: produced by strata, stored with that codec, read back by strata and kcat', async (codec) => {
    const topic = uniqueTopic(codec);
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    const values = lines(300, codec);
    const produced = await strataOk(['produce', topic, '--compression', codec, '--batch-size', '100', '--key-separator', '|', ...bs], {
      input: values.map((v, i) => `k${i}|${v}`).join('\n') + '\n',
    });
    expect(produced.stderr).toMatch(/Produced 300 records/);
    await waitFor(() => storedCodecs(topic).length === 3, { what: 'three batches on disk' });
    expect(storedCodecs(topic)).toEqual([CODEC_ID[codec], CODEC_ID[codec], CODEC_ID[codec]]);

    const consumed = await strataOk(['consume', topic, '--from-beginning', '--max-messages', '300', '--format', '{offset} {key} {value}', ...bs]);
    expect(consumed.stdout.trim().split('\n')).toEqual(values.map((v, i) => `${i} k${i} ${v}`));

    const viaKcat = await kcatConsumeJson(broker.bootstrap, topic, { count: 300 });
    expect(viaKcat.map((r) => r.payload)).toEqual(values);
  });

  it.each(['snappy', 'lz4', 'zstd', 'gzip'] as const)('%s: batches written by kcat (librdkafka) are read by strata consume', async (codec) => {
    const topic = uniqueTopic(`kcat-${codec}`);
    await strataOk(['topics', 'create', topic, '--partitions', '1', ...bs]);
    const values = lines(200, `kcat-${codec}`);
    await kcatProduce(broker.bootstrap, topic, values.join('\n') + '\n', { compression: codec, config: { 'linger.ms': 50 } });
    await waitFor(() => storedCodecs(topic).length > 0, { what: 'batches on disk' });
    expect(new Set(storedCodecs(topic))).toEqual(new Set([CODEC_ID[codec]]));
    const consumed = await strataOk(['consume', topic, '--from-beginning', '--max-messages', '200', ...bs]);
    expect(consumed.stdout.trim().split('\n')).toEqual(values);
    expect(consumed.stderr).toContain('Consumed 200 records');
  });

  it('rejects an unknown codec with a usage error naming the known ones', async () => {
    const r = await runStrata(['produce', 'whatever', '--compression', 'brotli', ...bs]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--compression: unknown codec "brotli" (none, gzip, snappy, lz4, zstd)');
  });
});
