// Integration: hostile and broken input over raw TCP. Each case checks the answer Kafka gives
// (an error code, or a closed connection) and then that the broker still serves normal
// requests on a fresh connection and its logs are unchanged. The frame limit is set small
// (socket.request.max.bytes=65536) so oversized frames are cheap to send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import {
  apiVersionsApi,
  decodeApiVersionsResponse,
  decodeProduceResponse,
  encodeApiVersionsRequest,
  encodeMetadataRequest,
  encodeProduceRequest,
  metadataApi,
  produceApi,
} from '../../src/protocol/generated/messages/index.js';
import { CRC_OFFSET, LOG_OVERHEAD, RECORD_BATCH_HEADER_SIZE, RECORDS_COUNT_OFFSET, computeBatchCrc } from '../../src/protocol/record-batch.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { Writer } from '../../src/protocol/writer.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { RawKafkaConnection, withConnection } from '../helpers/raw-kafka.js';
import { apiVersions, fetch, listOffset, produce, produceRequestBody } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

const MAX_FRAME = 65_536;
let broker: BrokerHandle;
let healthTopic: string;
let healthCount = 0;

beforeAll(async () => {
  broker = await startBroker({
    args: ['--auto.create.topics.enable=false', `--socket.request.max.bytes=${MAX_FRAME}`, '--num.partitions=1'],
  });
  healthTopic = uniqueTopic('health');
  const admin = kafkaClient(broker.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: healthTopic, numPartitions: 1 }] });
  await admin.disconnect();
});

afterAll(() => {
  // A crash anywhere in this file shows up here even if the failing case's own check passed.
  expect(broker.running, broker.logs()).toBe(true);
  expect(broker.logLines().filter((l) => typeof l.level === 'number' && (l.level as number) >= 60)).toEqual([]);
});

function batch(values: string[], extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {}): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })), ...extra });
}

/** The broker still answers ApiVersions and a produce + fetch round trip on a new connection. */
async function expectHealthy(): Promise<void> {
  expect(broker.running, `broker died:\n${broker.logs()}`).toBe(true);
  await withConnection(broker.host, broker.port, async (c) => {
    const versions = await apiVersions(c);
    expect(versions.errorCode).toBe(ErrorCode.NONE);
    const value = `health-${++healthCount}`;
    const produced = await produce(c, healthTopic, 0, batch([value]));
    expect(produced.errorCode).toBe(ErrorCode.NONE);
    const fetched = await fetch(c, healthTopic, 0, produced.baseOffset);
    const values = fetched.batches.flatMap((b) => b.records.map((r) => ({ offset: r.offset, value: r.value?.toString() })));
    expect(values).toContainEqual({ offset: Number(produced.baseOffset), value });
  });
}

/** A topic with one partition holding `values` (one batch); returns the topic name. */
async function topicWith(values: string[]): Promise<string> {
  const topic = uniqueTopic();
  const admin = kafkaClient(broker.bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  } finally {
    await admin.disconnect();
  }
  if (values.length > 0) {
    await withConnection(broker.host, broker.port, async (c) => {
      expect((await produce(c, topic, 0, batch(values))).errorCode).toBe(ErrorCode.NONE);
    });
  }
  return topic;
}

/** High watermark and every value in the partition. */
async function contents(topic: string): Promise<{ highWatermark: bigint; values: string[] }> {
  return withConnection(broker.host, broker.port, async (c) => {
    const f = await fetch(c, topic, 0, 0);
    expect(f.errorCode).toBe(ErrorCode.NONE);
    return { highWatermark: f.highWatermark, values: f.batches.flatMap((b) => b.records.map((r) => r.value?.toString() ?? '<null>')) };
  });
}

describe('framing', () => {
  it('garbage bytes (an HTTP request) close the connection', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    c.writeRaw(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    expect(await c.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });

  it('a small frame of garbage closes the connection', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    c.writeFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]));
    expect(await c.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });

  it('a frame length over socket.request.max.bytes closes the connection without reading the body', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    const size = Buffer.alloc(4);
    size.writeInt32BE(MAX_FRAME + 1, 0);
    c.writeRaw(size);
    expect(await c.waitClosed(5_000)).toBe(true);

    // 2 GiB - 1 announced: must not allocate it.
    const huge = await RawKafkaConnection.connect(broker.host, broker.port);
    const hugeSize = Buffer.alloc(4);
    hugeSize.writeInt32BE(0x7fffffff, 0);
    huge.writeRaw(hugeSize);
    expect(await huge.waitClosed(5_000)).toBe(true);

    // Negative length.
    const negative = await RawKafkaConnection.connect(broker.host, broker.port);
    negative.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(await negative.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });

  it('a frame exactly at the limit is read (and answered or refused by content, not size)', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    // A Produce request whose frame payload is exactly MAX_FRAME bytes.
    const topic = await topicWith([]);
    let valueLength = MAX_FRAME - 300;
    let exact = c.buildRequest(produceApi.apiKey, 9, encodeProduceRequest, produceRequestBody(topic, 0, batch(['x'.repeat(valueLength)])));
    for (let i = 0; i < 5 && exact.payload.length !== MAX_FRAME; i++) {
      valueLength += MAX_FRAME - exact.payload.length;
      exact = c.buildRequest(produceApi.apiKey, 9, encodeProduceRequest, produceRequestBody(topic, 0, batch(['x'.repeat(valueLength)])));
    }
    expect(exact.payload.length).toBe(MAX_FRAME);
    c.writeFrame(exact.payload);
    const frame = await c.nextFrame(10_000);
    expect(frame.readInt32BE(0)).toBe(exact.correlationId);
    c.close();
    await expectHealthy();
  });

  it('a truncated frame followed by close does not disturb the broker', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    const { payload } = c.buildRequest(apiVersionsApi.apiKey, 3, encodeApiVersionsRequest, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length, 0);
    c.writeRaw(Buffer.concat([size, payload.subarray(0, payload.length - 3)]));
    c.socket.end();
    expect(await c.waitClosed(5_000)).toBe(true);

    // Half a size prefix, then close.
    const half = await RawKafkaConnection.connect(broker.host, broker.port);
    half.writeRaw(Buffer.from([0x00, 0x00]));
    half.socket.end();
    expect(await half.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });

  it('a request whose body is cut short inside its frame closes the connection', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    const { payload } = c.buildRequest(metadataApi.apiKey, 12, encodeMetadataRequest, {
      topics: [{ topicId: Buffer.alloc(16), name: 'some-topic' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    c.writeFrame(payload.subarray(0, payload.length - 5));
    expect(await c.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });

  it('a hostile array length in a request body fails cleanly (no huge allocation)', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    // Metadata v4 (non-flexible): header, then topics array length = 2^31-1 and nothing else.
    const w = new Writer();
    w.int16(metadataApi.apiKey).int16(4).int32(77).string('strata-raw-test');
    w.int32(0x7fffffff);
    c.writeFrame(Buffer.from(w.toBuffer()));
    expect(await c.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });
});

describe('API keys and versions', () => {
  it('an unknown API key closes the connection', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    const w = new Writer();
    w.int16(9999).int16(0).int32(5).string('strata-raw-test');
    c.writeFrame(Buffer.from(w.toBuffer()));
    expect(await c.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });

  it('an unsupported version of a known API (Metadata v99) closes the connection', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    const w = new Writer();
    w.int16(metadataApi.apiKey).int16(99).int32(6).string('strata-raw-test');
    c.writeFrame(Buffer.from(w.toBuffer()));
    expect(await c.waitClosed(5_000)).toBe(true);
    await expectHealthy();
  });

  it('ApiVersions newer than supported gets UNSUPPORTED_VERSION with the supported ranges in a v0 body', async () => {
    const c = await RawKafkaConnection.connect(broker.host, broker.port);
    // A v127 request: header v2 (flexible) with a body the broker cannot know; Kafka answers with v0.
    const w = new Writer();
    w.int16(apiVersionsApi.apiKey).int16(127).int32(4242).nullableString('strata-raw-test').uvarint(0);
    w.raw(Buffer.from([0x01, 0x02, 0x03, 0x00]));
    c.writeFrame(Buffer.from(w.toBuffer()));
    const r = await c.readResponse(apiVersionsApi.apiKey, 0, 4242);
    const response = decodeApiVersionsResponse(r, 0);
    expect(r.remaining()).toBe(0);
    expect(response.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const byKey = new Map(response.apiKeys.map((k) => [k.apiKey, k]));
    expect(byKey.get(apiVersionsApi.apiKey)).toMatchObject({ minVersion: 0 });
    expect(byKey.get(apiVersionsApi.apiKey)!.maxVersion).toBeGreaterThanOrEqual(3);
    expect(byKey.get(produceApi.apiKey)).toBeDefined();
    expect(byKey.get(metadataApi.apiKey)).toBeDefined();
    // The connection stays usable: Kafka clients retry with a version from the list.
    const retry = await apiVersions(c, 3);
    expect(retry.errorCode).toBe(ErrorCode.NONE);
    expect(retry.apiKeys.map((k) => k.apiKey)).toEqual(response.apiKeys.map((k) => k.apiKey));
    c.close();
    await expectHealthy();
  });

  it('ApiVersions v0 works for old clients', async () => {
    await withConnection(broker.host, broker.port, async (c) => {
      const { payload, correlationId } = c.buildRequest(apiVersionsApi.apiKey, 0, encodeApiVersionsRequest, { clientSoftwareName: '', clientSoftwareVersion: '' });
      c.writeFrame(payload);
      const response = decodeApiVersionsResponse(await c.readResponse(apiVersionsApi.apiKey, 0, correlationId), 0);
      expect(response.errorCode).toBe(ErrorCode.NONE);
      expect(response.apiKeys.length).toBeGreaterThan(5);
    });
  });
});

describe('record batches', () => {
  it('a corrupt CRC is CORRUPT_MESSAGE and nothing is appended', async () => {
    const topic = await topicWith(['before']);
    const bad = batch(['one', 'two']);
    bad[bad.length - 1] ^= 0xff; // flip a bit in the last record, covered by the CRC
    await withConnection(broker.host, broker.port, async (c) => {
      const response = await produce(c, topic, 0, bad);
      expect(response.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 1n, values: ['before'] });
    await expectHealthy();
  });

  it('a wrong CRC value (header field) is CORRUPT_MESSAGE', async () => {
    const topic = await topicWith([]);
    const bad = batch(['one']);
    bad.writeUInt32BE((bad.readUInt32BE(CRC_OFFSET) + 1) >>> 0, CRC_OFFSET);
    await withConnection(broker.host, broker.port, async (c) => {
      expect((await produce(c, topic, 0, bad)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 0n, values: [] });
  });

  // Kafka answers these with CORRUPT_MESSAGE (2) or INVALID_RECORD (87) depending on where the
  // lie is caught; both are accepted, anything else (or an append) is not.
  const LIE_CODES = [ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD];

  it('a batchLength larger than the bytes sent is rejected; nothing appended', async () => {
    const topic = await topicWith(['before']);
    const bad = batch(['one', 'two']);
    bad.writeInt32BE(bad.readInt32BE(8) + 100, 8);
    await withConnection(broker.host, broker.port, async (c) => {
      expect(LIE_CODES).toContain((await produce(c, topic, 0, bad)).errorCode);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 1n, values: ['before'] });
    await expectHealthy();
  });

  it('a batchLength smaller than the batch (trailing bytes) is rejected; nothing appended', async () => {
    const topic = await topicWith(['before']);
    const bad = batch(['one', 'two', 'three']);
    bad.writeInt32BE(bad.readInt32BE(8) - 7, 8);
    await withConnection(broker.host, broker.port, async (c) => {
      expect(LIE_CODES).toContain((await produce(c, topic, 0, bad)).errorCode);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 1n, values: ['before'] });
  });

  it('a batchLength below the header size is rejected; nothing appended', async () => {
    const topic = await topicWith(['before']);
    const bad = batch(['one']);
    bad.writeInt32BE(RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD - 10, 8);
    await withConnection(broker.host, broker.port, async (c) => {
      expect(LIE_CODES).toContain((await produce(c, topic, 0, bad)).errorCode);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 1n, values: ['before'] });
  });

  it('a recordsCount that lies (CRC recomputed to match) is rejected; nothing appended', async () => {
    const topic = await topicWith(['before']);
    const bad = batch(['one', 'two']);
    bad.writeInt32BE(5, RECORDS_COUNT_OFFSET);
    bad.writeUInt32BE(computeBatchCrc(bad, 0, bad.length), CRC_OFFSET);
    await withConnection(broker.host, broker.port, async (c) => {
      expect(LIE_CODES).toContain((await produce(c, topic, 0, bad)).errorCode);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 1n, values: ['before'] });
    await expectHealthy();
  });

  it('a records blob shorter than a batch header is rejected; nothing appended', async () => {
    const topic = await topicWith(['before']);
    await withConnection(broker.host, broker.port, async (c) => {
      expect(LIE_CODES).toContain((await produce(c, topic, 0, Buffer.from('not a batch'))).errorCode);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 1n, values: ['before'] });
  });

  it('an old message format (magic 1) is rejected with a clear error; nothing appended', async () => {
    const topic = await topicWith(['before']);
    const bad = batch(['one']);
    bad.writeInt8(1, 16);
    await withConnection(broker.host, broker.port, async (c) => {
      const response = await produce(c, topic, 0, bad);
      expect(response.errorCode).not.toBe(ErrorCode.NONE);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 1n, values: ['before'] });
  });

  it('a corrupt batch next to a good partition fails only its own partition', async () => {
    const good = await topicWith([]);
    const badTopic = await topicWith([]);
    const corrupt = batch(['x']);
    corrupt[corrupt.length - 1] ^= 0x01;
    await withConnection(broker.host, broker.port, async (c) => {
      const response = await c.request(
        produceApi.apiKey,
        9,
        encodeProduceRequest,
        decodeProduceResponse,
        {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [
            { name: good, partitionData: [{ index: 0, records: batch(['fine']) }] },
            { name: badTopic, partitionData: [{ index: 0, records: corrupt }] },
          ],
        },
      );
      const codes = Object.fromEntries(response.responses.map((t) => [t.name, t.partitionResponses[0]!.errorCode]));
      expect(codes).toEqual({ [good]: ErrorCode.NONE, [badTopic]: ErrorCode.CORRUPT_MESSAGE });
    });
    expect((await contents(good)).values).toEqual(['fine']);
    expect((await contents(badTopic)).values).toEqual([]);
  });
});

describe('unknown partitions and offsets', () => {
  it('produce to an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const topic = await topicWith([]);
    await withConnection(broker.host, broker.port, async (c) => {
      expect((await produce(c, uniqueTopic('missing'), 0, batch(['x']))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect((await produce(c, topic, 7, batch(['x']))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect((await produce(c, topic, -1, batch(['x']))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
    expect(await contents(topic)).toEqual({ highWatermark: 0n, values: [] });
    await expectHealthy();
  });

  it('fetch past the end is OFFSET_OUT_OF_RANGE; fetch at the end is empty', async () => {
    const topic = await topicWith(['a', 'b', 'c']);
    await withConnection(broker.host, broker.port, async (c) => {
      const past = await fetch(c, topic, 0, 10);
      expect(past.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect(past.batches).toEqual([]);
      const negative = await fetch(c, topic, 0, -5);
      expect(negative.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      const atEnd = await fetch(c, topic, 0, 3);
      expect(atEnd.errorCode).toBe(ErrorCode.NONE);
      expect(atEnd.highWatermark).toBe(3n);
      expect(atEnd.batches).toEqual([]);
      const unknown = await fetch(c, uniqueTopic('missing'), 0, 0);
      expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const latest = await listOffset(c, topic, 0, -1);
      expect(latest.errorCode).toBe(ErrorCode.NONE);
      expect(latest.offset).toBe(3n);
    });
    await expectHealthy();
  });

  it('acks=0 produce gets no response, but the records are appended', async () => {
    const topic = await topicWith([]);
    await withConnection(broker.host, broker.port, async (c) => {
      const fireAndForget = c.buildRequest(produceApi.apiKey, 9, encodeProduceRequest, produceRequestBody(topic, 0, batch(['zero-ack']), 0));
      c.writeFrame(fireAndForget.payload);
      // The next response on this connection must be ApiVersions' (no produce response in between).
      const versions = await apiVersions(c);
      expect(versions.errorCode).toBe(ErrorCode.NONE);
      const f = await fetch(c, topic, 0, 0, { maxWaitMs: 2_000, minBytes: 1 });
      expect(f.batches.flatMap((b) => b.records.map((r) => r.value?.toString()))).toEqual(['zero-ack']);
    });
  });
});

describe('pipelining', () => {
  it('pipelined requests are answered in request order', async () => {
    const topic = await topicWith(['p0']);
    await withConnection(broker.host, broker.port, async (c) => {
      // A long-poll fetch that waits first, then quick requests behind it: answers stay in order.
      const requests = [
        c.buildRequest(apiVersionsApi.apiKey, 3, encodeApiVersionsRequest, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }),
        c.buildRequest(produceApi.apiKey, 9, encodeProduceRequest, produceRequestBody(topic, 0, batch(['p1']))),
        c.buildRequest(metadataApi.apiKey, 12, encodeMetadataRequest, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
        c.buildRequest(apiVersionsApi.apiKey, 0, encodeApiVersionsRequest, { clientSoftwareName: '', clientSoftwareVersion: '' }),
      ];
      c.writeRaw(Buffer.concat(requests.flatMap((r) => {
        const size = Buffer.alloc(4);
        size.writeInt32BE(r.payload.length, 0);
        return [size, r.payload];
      })));
      const seen: number[] = [];
      for (let i = 0; i < requests.length; i++) seen.push((await c.nextFrame()).readInt32BE(0));
      expect(seen).toEqual(requests.map((r) => r.correlationId));
    });
    expect((await contents(topic)).values).toEqual(['p0', 'p1']);
  });
});
