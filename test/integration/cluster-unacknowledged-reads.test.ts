// Integration: a consumer reads only what the bucket holds, as a Kafka consumer reads only up to
// the high watermark (what the in-sync replicas hold). A durable partition (remote storage, in a
// cluster with a bucket) gates its high watermark at what its write-ahead objects committed
// (src/partitions/partition-states.ts): a batch whose object is not stored yet — its acks=all
// produce answered REQUEST_TIMED_OUT — is not served; if its leader then dies before the object
// is stored, the new leader rebuilds the partition without it and gives its offset to another
// record, which is the first record any consumer sees at that offset. (This was a known gap,
// pinned as `it.fails` until the gating landed.)
//
// Two brokers, one Redis prefix, the in-memory S3 server in 'hang' mode (a request that never
// reaches storage; radosgw under SIGSTOP would still store the PUT waiting in its socket once
// resumed). When fetch (and ListOffsets latest, and the long-poll wake-up) stop at the offset
// after the last stored batch of a durable partition, this test fails: turn it into `it`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { durableClusterArgs } from '../helpers/cluster.js';
import { uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { kcatMetadata } from '../helpers/kcat.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { fetch, produce } from '../helpers/raw-requests.js';
import { pauseS3Server } from '../helpers/s3/pause-s3.js';
import { startFakeS3, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { uniqueTopic } from '../helpers/topics.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';

let s3: S3Target;
useS3Target(startFakeS3, (target) => {
  s3 = target;
});
const redisPrefix = uniqueRedisPrefix();
const bucketPrefix = `unacked${Date.now().toString(36)}/`;
const brokers = new Map<number, BrokerHandle>();

function clusterArgs(nodeId: number): string[] {
  return durableClusterArgs({ s3, bucketPrefix, redisPrefix: redisPrefix, nodeId, extra: ['--wal.ack.timeout.ms=1000'] });
}

beforeAll(async () => {
  brokers.set(1, await startBroker({ args: clusterArgs(1), env: s3.brokerEnv() }));
  brokers.set(2, await startBroker({ args: clusterArgs(2), env: s3.brokerEnv() }));
}, 60_000);

afterAll(async () => {
  await Promise.all([...brokers.values()].map((b) => b.stop()));
});

const leaderOf = async (topic: string) => (await kcatMetadata(brokers.get(1)!.bootstrap, topic)).topics[0]?.partitions[0]?.leader ?? -1;
const record = (value: string) => encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });
const read = async (conn: RawKafkaConnection, topic: string) => (await fetch(conn, topic, 0, 0)).batches.flatMap((b) => b.records.map((r, i) => `${b.baseOffset + i}:${r.value?.toString()}`));

describe('reads of a durable partition', () => {
  it('a record whose object is not stored is never served (it could vanish, its offset reused, when its leader dies)', async () => {
    // A one-partition topic led by broker 2 (broker 1 stays up and takes it over).
    let topic = '';
    for (let attempt = 0; attempt < 8; attempt++) {
      topic = uniqueTopic('unacked');
      await createTopicOn(brokers.get(1)!.bootstrap, topic, 1);
      if ((await waitFor(async () => ((await leaderOf(topic)) > 0 ? leaderOf(topic) : undefined), { what: 'a leader' })) === 2) break;
    }
    expect(await leaderOf(topic)).toBe(2);
    const b2 = brokers.get(2)!;
    const conn = await RawKafkaConnection.connect(b2.host, b2.port);
    let readBeforeDeath: string[];
    try {
      expect((await produce(conn, topic, 0, record('acknowledged'), { acks: -1 })).errorCode).toBe(ErrorCode.NONE);
      const outage = pauseS3Server(s3);
      try {
        expect((await produce(conn, topic, 0, record('never-stored'), { acks: -1 })).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
        readBeforeDeath = await read(conn, topic);
        await b2.kill9();
      } finally {
        outage.resume();
      }
    } finally {
      conn.close();
    }
    await waitFor(async () => (await leaderOf(topic)) === 1 || undefined, { timeoutMs: 30_000, what: 'broker 1 to take the partition over' });
    const b1 = brokers.get(1)!;
    const c1 = await RawKafkaConnection.connect(b1.host, b1.port);
    try {
      await waitFor(async () => (await produce(c1, topic, 0, record('after-failover'), { acks: -1 })).errorCode === ErrorCode.NONE || undefined, { timeoutMs: 20_000, what: 'a write to the new leader' });
      const readAfter = await read(c1, topic);
      // Whatever a consumer read before is still there, at the same offset.
      expect(readAfter.slice(0, readBeforeDeath.length)).toEqual(readBeforeDeath);
    } finally {
      c1.close();
    }
  }, 90_000);
});
