// Integration: process lifecycle. SIGTERM answers in-flight requests (a long-poll fetch is
// completed at once), exits 0, and everything acknowledged is there after a restart. Also:
// bad configuration stops start-up with every problem named, and settings come from
// STRATA_* env vars and flags with flags winning.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { decodeFetchResponse, encodeFetchRequest, fetchApi } from '../../src/protocol/generated/messages/index.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { kcatConsumeJson, kcatMetadata, kcatProduce } from '../helpers/kcat.js';
import { RawKafkaConnection, withConnection } from '../helpers/raw-kafka.js';
import { FETCH_VERSION, apiVersions, produce } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';
import type { Producer } from 'kafkajs';

const producers: Producer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
});

const createTopic = (broker: BrokerHandle, topic: string, numPartitions = 1) => createTopicOn(broker.bootstrap, topic, numPartitions);

describe('SIGTERM', () => {
  it('answers an in-flight long-poll fetch, exits 0, and keeps the data', async () => {
    const broker = await startBroker({ args: ['--num.partitions=1', '--shutdown.timeout.ms=20000'] });
    const topic = uniqueTopic();
    await createTopic(broker, topic);
    await withConnection(broker.host, broker.port, async (c) => {
      expect((await produce(c, topic, 0, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('kept') }] }))).errorCode).toBe(0);
    });

    // A fetch at the end of the log that would wait 25 s for data.
    const poller = await RawKafkaConnection.connect(broker.host, broker.port);
    const { payload, correlationId } = poller.buildRequest(fetchApi.apiKey, FETCH_VERSION, encodeFetchRequest, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 25_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: Buffer.alloc(16),
          partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    poller.writeFrame(payload);
    // Make sure the broker has read the fetch before the signal: its bytes reached the broker
    // before two round trips on a second connection did (loopback delivers in order of sending,
    // and the broker reads every readable socket each turn of its event loop).
    await withConnection(broker.host, broker.port, async (c) => {
      await apiVersions(c);
      await apiVersions(c);
    });

    const started = Date.now();
    const exited = broker.stop('SIGTERM');
    const r = await poller.readResponse(fetchApi.apiKey, FETCH_VERSION, correlationId, 20_000);
    const answeredMs = Date.now() - started;
    const response = decodeFetchResponse(r, FETCH_VERSION);
    expect(response.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(response.responses[0]!.partitions[0]!.highWatermark).toBe(1n);
    expect(answeredMs).toBeLessThan(15_000);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(await poller.waitClosed(5_000)).toBe(true);

    await broker.restart();
    const records = await kcatConsumeJson(broker.bootstrap, topic, { partition: 0 });
    expect(records.map((x) => [x.offset, x.payload])).toEqual([[0, 'kept']]);
  });

  it('exits 0 while acks=all producers run; every acknowledged record is there after restart', async () => {
    const broker = await startBroker({ args: ['--num.partitions=1'] });
    const topic = uniqueTopic();
    await createTopic(broker, topic, 2);
    const kafka = kafkaClient(broker.bootstrap, { retry: { retries: 0 } });
    const acked: string[][] = [[], []];
    const loops = [0, 1].map(async (partition) => {
      const producer = kafka.producer({ retry: { retries: 0 }, maxInFlightRequests: 1 });
      producers.push(producer);
      await producer.connect();
      for (let n = 0; ; n++) {
        const values = Array.from({ length: 10 }, (_, i) => `p${partition}-${n}-${i}`);
        try {
          await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition, value })) });
          acked[partition]!.push(...values);
        } catch {
          return;
        }
      }
    });
    await waitFor(() => acked.every((a) => a.length >= 200), { timeoutMs: 30_000, what: '20 acknowledged batches per partition' });

    expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await Promise.all(loops);
    expect(broker.logs()).toMatch(/"msg":"stopped"/);

    await broker.restart();
    for (const partition of [0, 1]) {
      const records = await kcatConsumeJson(broker.bootstrap, topic, { partition });
      expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
      const values = records.map((r) => r.payload);
      // Graceful: what was acknowledged is there in order; at most one unacknowledged batch after it.
      expect(values.slice(0, acked[partition]!.length)).toEqual(acked[partition]);
      expect(values.length - acked[partition]!.length).toBeLessThanOrEqual(10);
    }
  });

  it('SIGINT also stops cleanly', async () => {
    const broker = await startBroker();
    expect(await broker.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe('configuration', () => {
  function runBrokerExpectingFailure(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
    return new Promise((resolve, reject) => {
      const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_')));
      const child = spawn(process.execPath, [inject('brokerEntry'), ...args], { env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`broker with bad config did not exit within 15 s:\n${stdout}${stderr}`));
      }, 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, stdout });
      });
    });
  }

  it('a bad configuration exits non-zero listing every problem by name', async () => {
    const result = await runBrokerExpectingFailure(
      ['--listeners=PLAINTEXT://127.0.0.1:0', '--num.partitions=0', '--message.max.bytes=lots', '--no.such.setting=1'],
      { STRATA_LOG_DIRS: '/nonexistent-but-not-validated-yet', STRATA_NODE_ID: '-4' },
    );
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    for (const name of ['num.partitions', 'message.max.bytes', 'node.id']) expect(result.stderr).toContain(name);
    expect(result.stderr + result.stdout).toContain('no.such.setting');
    expect(result.stdout).not.toMatch(/broker ready/);
  });

  it('STRATA_* env vars configure the broker; flags win over env', async () => {
    const broker = await startBroker({ env: { STRATA_NUM_PARTITIONS: '4', STRATA_AUTO_CREATE_TOPICS_ENABLE: 'true', STRATA_NODE_ID: '7' }, args: ['--node.id=3'] });
    const topic = uniqueTopic();
    await kcatProduce(broker.bootstrap, topic, 'x\n', { partition: 0 });
    const meta = await kcatMetadata(broker.bootstrap, topic);
    expect(meta.topics[0]!.partitions).toHaveLength(4);
    expect(meta.brokers.map((b) => b.id)).toEqual([3]);
    expect(meta.topics[0]!.partitions.every((p) => p.leader === 3)).toBe(true);
    await withConnection(broker.host, broker.port, async (c) => {
      expect((await apiVersions(c)).errorCode).toBe(0);
    });
  });
});
