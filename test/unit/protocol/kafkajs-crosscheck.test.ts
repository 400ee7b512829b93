// Cross-check of the generated codecs against an independent implementation:
// KafkaJS's hand-written protocol encoders/decoders (node_modules/kafkajs/src/protocol).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  decodeApiVersionsRequest,
  decodeMetadataRequest,
  decodeProduceRequest,
  encodeApiVersionsRequest,
  encodeApiVersionsResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  encodeProduceRequest,
  type MetadataResponse,
} from '../../../src/protocol/generated/messages/index.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

const require = createRequire(import.meta.url);

interface KRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}
type KRequestFactory = (args?: Record<string, unknown>) => KRequest;
interface KResponse {
  decode(raw: Buffer): Promise<Record<string, unknown>>;
}

const kreq = (api: string, v: number): KRequestFactory =>
  require(`kafkajs/src/protocol/requests/${api}/v${v}/request.js`) as KRequestFactory;
const kres = (api: string, v: number): KResponse =>
  require(`kafkajs/src/protocol/requests/${api}/v${v}/response.js`) as KResponse;

function encodeWith(fn: (w: Writer) => void): Buffer {
  const w = new Writer();
  fn(w);
  return w.toBuffer();
}

describe('cross-check with KafkaJS', () => {
  it('Metadata request v1..v6: same values, identical bytes', async () => {
    for (let v = 1; v <= 6; v++) {
      for (const topics of [['orders', 'payments', 'ünïcode'], [] as string[]]) {
        for (const allowAutoTopicCreation of v >= 4 ? [true, false] : [true]) {
          const req = kreq('metadata', v)({ topics, allowAutoTopicCreation });
          expect(req.apiKey).toBe(3);
          expect(req.apiVersion).toBe(v);
          const bytes = (await req.encode()).buffer;
          const r = new Reader(bytes);
          const m = decodeMetadataRequest(r, v);
          expect(r.remaining()).toBe(0);
          // KafkaJS writes an empty topic list as a null array ("all topics").
          const expected = topics.length === 0 ? null : topics;
          expect(m.topics === null ? null : m.topics.map((t) => t.name)).toEqual(expected);
          expect(m.allowAutoTopicCreation).toBe(allowAutoTopicCreation);
          expect(encodeWith((w) => encodeMetadataRequest(w, v, m)).equals(bytes)).toBe(true);
        }
      }
    }
  });

  it('ApiVersions request v0..v2 (empty body)', async () => {
    for (let v = 0; v <= 2; v++) {
      const bytes = (await kreq('apiVersions', v)().encode()).buffer;
      const m = decodeApiVersionsRequest(new Reader(bytes), v);
      expect(encodeWith((w) => encodeApiVersionsRequest(w, v, m)).equals(bytes)).toBe(true);
    }
  });

  it('Produce request v3: fields and record set match, re-encodes identically', async () => {
    const req = kreq('produce', 3)({
      acks: -1,
      timeout: 30000,
      transactionalId: 'tx-1',
      topicData: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, firstSequence: 0, messages: [{ key: 'k', value: 'v', timestamp: 1700000000000 }] },
            { partition: 3, firstSequence: 0, messages: [{ key: null, value: 'x'.repeat(2000), timestamp: 1700000000001 }] },
          ],
        },
      ],
    });
    const bytes = (await req.encode()).buffer;
    const r = new Reader(bytes);
    const m = decodeProduceRequest(r, 3);
    expect(r.remaining()).toBe(0);
    expect(m.transactionalId).toBe('tx-1');
    expect(m.acks).toBe(-1);
    expect(m.timeoutMs).toBe(30000);
    expect(m.topicData.map((t) => t.name)).toEqual(['orders']);
    const parts = m.topicData[0].partitionData;
    expect(parts.map((p) => p.index)).toEqual([0, 3]);
    for (const p of parts) {
      const rec = p.records!;
      // zero-copy view into the request; RecordBatch v2 magic byte at offset 16
      expect(rec.buffer).toBe(bytes.buffer);
      expect(rec[16]).toBe(2);
      expect(rec.readInt32BE(8)).toBe(rec.length - 12); // batchLength
    }
    expect(encodeWith((w) => encodeProduceRequest(w, 3, m)).equals(bytes)).toBe(true);
  });

  it('ApiVersions response v0..v2 encoded by us decodes in KafkaJS', async () => {
    for (let v = 0; v <= 2; v++) {
      const bytes = encodeWith((w) =>
        encodeApiVersionsResponse(w, v, {
          errorCode: 0,
          apiKeys: [
            { apiKey: 0, minVersion: 0, maxVersion: 9 },
            { apiKey: 18, minVersion: 0, maxVersion: 3 },
          ],
          throttleTimeMs: 17,
          supportedFeatures: [],
          finalizedFeaturesEpoch: -1n,
          finalizedFeatures: [],
          zkMigrationReady: false,
        }),
      );
      const d = await kres('apiVersions', v).decode(bytes);
      expect(d.errorCode).toBe(0);
      expect(d.apiVersions).toEqual([
        { apiKey: 0, minVersion: 0, maxVersion: 9 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ]);
      // KafkaJS reports v2+ throttle time as clientSideThrottleTime (KIP-219).
      if (v >= 1) expect(v >= 2 ? d.clientSideThrottleTime : d.throttleTime).toBe(17);
    }
  });

  it('Metadata response v1..v6 encoded by us decodes in KafkaJS', async () => {
    for (let v = 1; v <= 6; v++) {
      const resp: MetadataResponse = {
        throttleTimeMs: 5,
        brokers: [
          { nodeId: 1, host: 'b1.local', port: 9092, rack: 'r1' },
          { nodeId: 2, host: 'b2.local', port: 9093, rack: null },
        ],
        clusterId: 'strata-cluster',
        controllerId: 1,
        topics: [
          {
            errorCode: 0,
            name: 'orders',
            topicId: Buffer.alloc(16),
            isInternal: false,
            partitions: [
              {
                errorCode: 0,
                partitionIndex: 0,
                leaderId: 1,
                leaderEpoch: 4,
                replicaNodes: [1, 2],
                isrNodes: [1],
                offlineReplicas: [2],
              },
            ],
            topicAuthorizedOperations: -2147483648,
          },
        ],
        clusterAuthorizedOperations: -2147483648,
      };
      const bytes = encodeWith((w) => encodeMetadataResponse(w, v, resp));
      const d = (await kres('metadata', v).decode(bytes)) as Record<string, unknown> & {
        brokers: unknown[];
        topicMetadata: Array<Record<string, unknown>>;
      };
      expect(d.brokers).toEqual([
        { nodeId: 1, host: 'b1.local', port: 9092, rack: 'r1' },
        { nodeId: 2, host: 'b2.local', port: 9093, rack: null },
      ]);
      expect(d.controllerId).toBe(1);
      if (v >= 2) expect(d.clusterId).toBe('strata-cluster');
      if (v >= 3) expect(v >= 6 ? d.clientSideThrottleTime : d.throttleTime).toBe(5);
      const t = d.topicMetadata[0];
      expect(t.topic).toBe('orders');
      expect(t.isInternal).toBe(false);
      expect(t.partitionMetadata).toEqual([
        expect.objectContaining({ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1] }),
      ]);
      if (v >= 5) expect((t.partitionMetadata as Array<Record<string, unknown>>)[0].offlineReplicas).toEqual([2]);
    }
  });
});
