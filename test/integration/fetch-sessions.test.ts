// Integration: KIP-227 incremental fetch sessions against a real broker, spoken with raw Fetch
// v12 (topic names) and v13+ (topic ids) requests over TCP: a full fetch with epoch 0 opens a
// session; incremental fetches answer only partitions that changed, with their records in
// order; forgotten partitions stop appearing; wrong epochs and unknown sessions get the
// top-level error codes; a long poll on the session's partitions wakes on produce; a deleted
// topic's partitions are answered once with an error and dropped; sessions outlive their
// connection; a full cache answers without a session. @platformatic/kafka 1.35 sends every
// fetch as "full, open a session" (sessionId 0, epoch 0) and ignores the id it gets back: its
// consumer must read every record in order, on a broker whose cache it fills.
import { Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import {
  decodeFetchResponse,
  encodeFetchRequest,
  fetchApi,
  type FetchRequest,
  type FetchResponse,
} from '../../src/protocol/generated/messages/index.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { kafkaClient, createTopicOn } from '../helpers/kafkajs.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { RawKafkaConnection, withConnection } from '../helpers/raw-kafka.js';
import { apiVersions, metadata, produce } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
/** A second broker with a 2-slot session cache. */
let small: BrokerHandle;

beforeAll(async () => {
  [broker, small] = await Promise.all([startBroker(), startBroker({ args: ['--max.incremental.fetch.session.cache.slots=2'] })]);
});
afterAll(async () => {
  await Promise.all([broker?.stop(), small?.stop()]);
});

interface Topic {
  name: string;
  id: Buffer;
}

interface FetchArgs {
  sessionId: number;
  epoch: number;
  partitions?: Array<{ topic: Topic; partition: number; offset: number }>;
  forgotten?: Array<{ topic: Topic; partitions: number[] }>;
  maxWaitMs?: number;
  minBytes?: number;
}

function fetchBody(a: FetchArgs): FetchRequest {
  const topics: FetchRequest['topics'] = [];
  for (const p of a.partitions ?? []) {
    let t = topics.find((x) => x.topic === p.topic.name);
    if (!t) topics.push((t = { topic: p.topic.name, topicId: p.topic.id, partitions: [] }));
    t.partitions.push({
      partition: p.partition,
      currentLeaderEpoch: -1,
      fetchOffset: BigInt(p.offset),
      lastFetchedEpoch: -1,
      logStartOffset: -1n,
      partitionMaxBytes: 1024 * 1024,
      replicaDirectoryId: Buffer.alloc(16),
    });
  }
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: a.maxWaitMs ?? 0,
    minBytes: a.minBytes ?? 0,
    maxBytes: 4 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: a.sessionId,
    sessionEpoch: a.epoch,
    topics,
    forgottenTopicsData: (a.forgotten ?? []).map((f) => ({ topic: f.topic.name, topicId: f.topic.id, partitions: f.partitions })),
    rackId: '',
  };
}

function sessionFetch(c: RawKafkaConnection, version: number, a: FetchArgs, timeoutMs = 30_000): Promise<FetchResponse> {
  return c.request(fetchApi.apiKey, version, encodeFetchRequest, decodeFetchResponse, fetchBody(a), timeoutMs);
}

/** `topic:partition` → { error, hwm, values } for every partition the response carries. */
function answered(resp: FetchResponse, version: number, topics: Topic[]): Record<string, { error: number; hwm: number; values: string[] }> {
  const out: Record<string, { error: number; hwm: number; values: string[] }> = {};
  for (const t of resp.responses) {
    const name = version >= 13 ? (topics.find((x) => x.id.equals(t.topicId))?.name ?? `?${t.topicId.toString('hex')}`) : t.topic;
    for (const p of t.partitions) {
      const values: string[] = [];
      if (p.records && p.records.length > 0) for (const b of decodeRecordBatches(p.records)) for (const r of b.records) values.push(`${r.offset}=${r.value!.toString()}`);
      const key = `${name}:${p.partitionIndex}`;
      expect(out[key], `${key} answered twice`).toBeUndefined();
      out[key] = { error: p.errorCode, hwm: Number(p.highWatermark), values };
    }
  }
  return out;
}

async function createTopic(b: BrokerHandle, partitions: number): Promise<Topic> {
  const name = uniqueTopic();
  await createTopicOn(b.bootstrap, name, partitions);
  const md = await withConnection(b.host, b.port, (c) => metadata(c, [name]));
  const id = md.topics.find((t) => t.name === name)?.topicId;
  if (!id) throw new Error(`no topic id for ${name}`);
  return { name, id };
}

async function produceValues(c: RawKafkaConnection, topic: Topic, partition: number, values: string[]): Promise<void> {
  const records = encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
  const r = await produce(c, topic.name, partition, records);
  expect(r.errorCode).toBe(ErrorCode.NONE);
}

describe.each([12, 13, 17])('fetch sessions, Fetch v%i', (version) => {
  it('opens a session, then answers only changed partitions with their records in order; forgotten partitions stop appearing', async () => {
    const t = await createTopic(broker, 4);
    await withConnection(broker.host, broker.port, async (c) => {
      await produceValues(c, t, 0, ['a0']);
      await produceValues(c, t, 1, ['b0', 'b1']);
      const all = [0, 1, 2, 3].map((partition) => ({ topic: t, partition, offset: 0 }));
      const full = await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: all });
      expect(full.errorCode).toBe(ErrorCode.NONE);
      const id = full.sessionId;
      expect(id).not.toBe(0);
      expect(answered(full, version, [t])).toEqual({
        [`${t.name}:0`]: { error: 0, hwm: 1, values: ['0=a0'] },
        [`${t.name}:1`]: { error: 0, hwm: 2, values: ['0=b0', '1=b1'] },
        [`${t.name}:2`]: { error: 0, hwm: 0, values: [] },
        [`${t.name}:3`]: { error: 0, hwm: 0, values: [] },
      });

      // The client moved its positions on 0 and 1; nothing else changed: an empty answer.
      const quiet = await sessionFetch(c, version, { sessionId: id, epoch: 1, partitions: [{ topic: t, partition: 0, offset: 1 }, { topic: t, partition: 1, offset: 2 }] });
      expect(quiet.errorCode).toBe(ErrorCode.NONE);
      expect(quiet.sessionId).toBe(id);
      expect(answered(quiet, version, [t])).toEqual({});

      // New records on 2 only: only 2 is answered, its records in order, with no partition in the request.
      await produceValues(c, t, 2, ['c0', 'c1', 'c2']);
      const changed = await sessionFetch(c, version, { sessionId: id, epoch: 2 });
      expect(answered(changed, version, [t])).toEqual({ [`${t.name}:2`]: { error: 0, hwm: 3, values: ['0=c0', '1=c1', '2=c2'] } });

      // The client forgets 2 (and moves nothing else); records on 2 and 3: only 3 is answered.
      await produceValues(c, t, 2, ['c3']);
      await produceValues(c, t, 3, ['d0']);
      const afterForget = await sessionFetch(c, version, { sessionId: id, epoch: 3, forgotten: [{ topic: t, partitions: [2] }] });
      expect(answered(afterForget, version, [t])).toEqual({ [`${t.name}:3`]: { error: 0, hwm: 1, values: ['0=d0'] } });
      // 3 is still at offset 0 in the session (the client did not move it): its records again, and 2 stays out.
      const again = await sessionFetch(c, version, { sessionId: id, epoch: 4 });
      expect(answered(again, version, [t])).toEqual({ [`${t.name}:3`]: { error: 0, hwm: 1, values: ['0=d0'] } });
      // Re-added from offset 3: partition 2 comes back with its new record.
      const readded = await sessionFetch(c, version, { sessionId: id, epoch: 5, partitions: [{ topic: t, partition: 2, offset: 3 }, { topic: t, partition: 3, offset: 1 }] });
      expect(answered(readded, version, [t])).toEqual({ [`${t.name}:2`]: { error: 0, hwm: 4, values: ['3=c3'] } });
    });
  });

  it('answers a wrong epoch and an unknown session with top-level errors and no partitions, without advancing the epoch', async () => {
    const t = await createTopic(broker, 1);
    await withConnection(broker.host, broker.port, async (c) => {
      const full = await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: [{ topic: t, partition: 0, offset: 0 }] });
      const id = full.sessionId;
      expect(id).not.toBe(0);
      for (const epoch of [2, 7, -5]) {
        const bad = await sessionFetch(c, version, { sessionId: id, epoch });
        expect(bad.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
        expect(bad.sessionId).toBe(0);
        expect(bad.responses).toEqual([]);
      }
      const unknown = await sessionFetch(c, version, { sessionId: id === 1 ? 2 : id - 1, epoch: 1 });
      expect(unknown.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      expect(unknown.responses).toEqual([]);
      // Epoch 1 is still the expected one, and a replay of an answered epoch is refused.
      await produceValues(c, t, 0, ['x']);
      const good = await sessionFetch(c, version, { sessionId: id, epoch: 1 });
      expect(good.errorCode).toBe(ErrorCode.NONE);
      expect(answered(good, version, [t])).toEqual({ [`${t.name}:0`]: { error: 0, hwm: 1, values: ['0=x'] } });
      expect((await sessionFetch(c, version, { sessionId: id, epoch: 1 })).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      // A session opened with topic names (v12) is refused to v13+, and the reverse.
      const other = version >= 13 ? 12 : 13;
      expect((await sessionFetch(c, other, { sessionId: id, epoch: 2 })).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
      expect((await sessionFetch(c, version, { sessionId: id, epoch: 2 })).errorCode).toBe(ErrorCode.NONE);
    });
  });

  it('long-polls on every partition of the session and wakes on a produce', async () => {
    const t = await createTopic(broker, 3);
    const producer = await RawKafkaConnection.connect(broker.host, broker.port);
    try {
      await withConnection(broker.host, broker.port, async (c) => {
        const all = [0, 1, 2].map((partition) => ({ topic: t, partition, offset: 0 }));
        const id = (await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: all })).sessionId;
        expect(id).not.toBe(0);
        const maxWaitMs = 25_000;
        const started = Date.now();
        // No partition in the request: the long poll must cover the session's partitions.
        const parked = sessionFetch(c, version, { sessionId: id, epoch: 1, maxWaitMs, minBytes: 1 }, maxWaitMs + 10_000);
        // One round trip on another connection: the broker has read the fetch by now.
        await apiVersions(producer);
        await produceValues(producer, t, 2, ['late']);
        const woke = await parked;
        expect(Date.now() - started).toBeLessThan(maxWaitMs / 2);
        expect(answered(woke, version, [t])).toEqual({ [`${t.name}:2`]: { error: 0, hwm: 1, values: ['0=late'] } });
        // Nothing new and maxWaitMs short: an empty answer after the wait, and the epoch still advances.
        const timedOut = await sessionFetch(c, version, { sessionId: id, epoch: 2, maxWaitMs: 50, minBytes: 1, partitions: [{ topic: t, partition: 2, offset: 1 }] });
        expect(timedOut.errorCode).toBe(ErrorCode.NONE);
        expect(answered(timedOut, version, [t])).toEqual({});
        expect((await sessionFetch(c, version, { sessionId: id, epoch: 3 })).errorCode).toBe(ErrorCode.NONE);
      });
    } finally {
      producer.close();
    }
  });

  it('answers a deleted topic once with an error and drops it from the session', async () => {
    const keep = await createTopic(broker, 1);
    const doomed = await createTopic(broker, 2);
    await withConnection(broker.host, broker.port, async (c) => {
      const parts = [
        { topic: keep, partition: 0, offset: 0 },
        { topic: doomed, partition: 0, offset: 0 },
        { topic: doomed, partition: 1, offset: 0 },
      ];
      const id = (await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: parts })).sessionId;
      expect(id).not.toBe(0);
      const admin = kafkaClient(broker.bootstrap).admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [doomed.name] });
      } finally {
        await admin.disconnect();
      }
      const code = version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      const once = await sessionFetch(c, version, { sessionId: id, epoch: 1 });
      expect(once.errorCode).toBe(ErrorCode.NONE);
      expect(answered(once, version, [keep, doomed])).toEqual({
        [`${doomed.name}:0`]: { error: code, hwm: -1, values: [] },
        [`${doomed.name}:1`]: { error: code, hwm: -1, values: [] },
      });
      await produceValues(c, keep, 0, ['k']);
      const after = await sessionFetch(c, version, { sessionId: id, epoch: 2 });
      expect(answered(after, version, [keep, doomed])).toEqual({ [`${keep.name}:0`]: { error: 0, hwm: 1, values: ['0=k'] } });
    });
  });
});

describe('fetch session lifecycle', () => {
  const version = 13;

  it('outlives its connection; epoch -1 closes it (full answer, no session), epoch 0 replaces it', async () => {
    const t = await createTopic(broker, 2);
    const all = [0, 1].map((partition) => ({ topic: t, partition, offset: 0 }));
    const id = await withConnection(broker.host, broker.port, async (c) => (await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: all })).sessionId);
    expect(id).not.toBe(0);
    await withConnection(broker.host, broker.port, async (c) => {
      await produceValues(c, t, 1, ['r']);
      // A new connection goes on with the session.
      const next = await sessionFetch(c, version, { sessionId: id, epoch: 1 });
      expect(answered(next, version, [t])).toEqual({ [`${t.name}:1`]: { error: 0, hwm: 1, values: ['0=r'] } });
      // Epoch 0 with the id: closed and replaced by a new session, answered in full.
      const replaced = await sessionFetch(c, version, { sessionId: id, epoch: 0, partitions: all });
      expect(replaced.sessionId).not.toBe(0);
      expect(replaced.sessionId).not.toBe(id);
      expect(Object.keys(answered(replaced, version, [t])).sort()).toEqual([`${t.name}:0`, `${t.name}:1`]);
      expect((await sessionFetch(c, version, { sessionId: id, epoch: 2 })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      // Epoch -1 with the id: closed, answered in full without a session.
      const closed = await sessionFetch(c, version, { sessionId: replaced.sessionId, epoch: -1, partitions: all });
      expect(closed.errorCode).toBe(ErrorCode.NONE);
      expect(closed.sessionId).toBe(0);
      expect(answered(closed, version, [t])[`${t.name}:1`]).toEqual({ error: 0, hwm: 1, values: ['0=r'] });
      expect((await sessionFetch(c, version, { sessionId: replaced.sessionId, epoch: 1 })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    });
  });

  it('closes a session whose last partition is forgotten', async () => {
    const t = await createTopic(broker, 1);
    await withConnection(broker.host, broker.port, async (c) => {
      const id = (await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: [{ topic: t, partition: 0, offset: 0 }] })).sessionId;
      const emptied = await sessionFetch(c, version, { sessionId: id, epoch: 1, forgotten: [{ topic: t, partitions: [0] }] });
      expect(emptied.errorCode).toBe(ErrorCode.NONE);
      expect(emptied.sessionId).toBe(0);
      expect((await sessionFetch(c, version, { sessionId: id, epoch: 2 })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    });
  });

  it('answers in full without a session when the cache is full, and counts sessions in /metrics', async () => {
    const t = await createTopic(small, 1);
    await withConnection(small.host, small.port, async (c) => {
      await produceValues(c, t, 0, ['s']);
      const part = [{ topic: t, partition: 0, offset: 0 }];
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: part });
        expect(answered(r, version, [t])).toEqual({ [`${t.name}:0`]: { error: 0, hwm: 1, values: ['0=s'] } });
        ids.push(r.sessionId);
      }
      // Two slots, both sessions young (protected from eviction): the third gets none.
      expect(ids[0]).not.toBe(0);
      expect(ids[1]).not.toBe(0);
      expect(ids[2]).toBe(0);
      const m = await scrapeMetrics(httpPortOf(small));
      expect(m.get('strata_fetch_sessions')).toBe(2);
      expect(m.get('strata_fetch_session_evictions_total')).toBe(0);
      // Closing one frees its slot.
      await sessionFetch(c, version, { sessionId: ids[0]!, epoch: -1, partitions: part });
      expect((await sessionFetch(c, version, { sessionId: 0, epoch: 0, partitions: part })).sessionId).not.toBe(0);
    });
  });

  it('serves a @platformatic/kafka consumer (every fetch opens a session it never uses) every record in order, with a full cache', async () => {
    const t = await createTopic(small, 2);
    const count = 200;
    await withConnection(small.host, small.port, async (c) => {
      for (let i = 0; i < count; i += 10) {
        const values = Array.from({ length: 10 }, (_, j) => `v${i + j}`);
        await produceValues(c, t, (i / 10) % 2, values);
      }
    });
    const consumer = new Consumer({
      groupId: uniqueTopic('group'),
      clientId: 'strata-session-test',
      bootstrapBrokers: [small.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      retries: 2,
      retryDelay: 100,
    });
    const byPartition: Record<number, string[]> = { 0: [], 1: [] };
    try {
      const stream = await consumer.consume({ topics: [t.name], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      const deadline = Date.now() + 30_000;
      let seen = 0;
      for await (const message of stream) {
        byPartition[message.partition]!.push(message.value as string);
        if (++seen === count || Date.now() > deadline) break;
      }
      await stream.close();
    } finally {
      await consumer.close(true);
    }
    const expected = (p: number) => Array.from({ length: count }, (_, i) => i).filter((i) => Math.floor(i / 10) % 2 === p).map((i) => `v${i}`);
    expect(byPartition[0]).toEqual(expected(0));
    expect(byPartition[1]).toEqual(expected(1));
    const m = await scrapeMetrics(httpPortOf(small));
    expect(m.get('strata_fetch_sessions')).toBe(2);
  });
});
