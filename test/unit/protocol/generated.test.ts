// Hand-checked wire layouts for the generated codecs (things a round trip cannot prove), and
// the set of generated APIs: exactly those a broker serves.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ZERO_UUID } from '../../../src/protocol/codec-support.js';
import { ProtocolDecodeError, ProtocolEncodeError } from '../../../src/protocol/errors.js';
import {
  decodeRequestHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../../src/protocol/generated/headers.js';
import {
  apiRegistry,
  decodeMetadataResponse,
  decodeProduceRequest,
  defaultApiVersionsResponse,
  encodeApiVersionsResponse,
  encodeDescribeTopicPartitionsRequest,
  encodeProduceRequest,
  produceApi,
} from '../../../src/protocol/generated/messages/index.js';
import * as dataStructures from '../../../src/protocol/generated/data/index.js';
import { ErrorCode, errorTable } from '../../../src/protocol/generated/error-codes.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

const bytesOf = (fn: (w: Writer) => void): number[] => {
  const w = new Writer();
  fn(w);
  return [...w.toBuffer()];
};

describe('generated codecs: wire details', () => {
  it('header versions', () => {
    expect(requestHeaderVersion(18, 3)).toBe(2);
    expect(requestHeaderVersion(18, 2)).toBe(1);
    expect(requestHeaderVersion(0, 9)).toBe(2);
    expect(requestHeaderVersion(0, 8)).toBe(1);
    expect(requestHeaderVersion(7, 0)).toBe(0);
    expect(requestHeaderVersion(9999, 0)).toBe(1);
    expect(responseHeaderVersion(18, 3)).toBe(0);
    expect(responseHeaderVersion(0, 9)).toBe(1);
    expect(responseHeaderVersion(3, 9)).toBe(1);
    expect(responseHeaderVersion(3, 8)).toBe(0);
  });

  it('request header v2 keeps the non-compact client id', () => {
    const b = bytesOf((w) =>
      encodeRequestHeader(w, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'abc' }),
    );
    expect(b).toEqual([0, 18, 0, 3, 0, 0, 0, 7, 0, 3, 0x61, 0x62, 0x63, 0]);
    const h = decodeRequestHeader(new Reader(Buffer.from(b)), 2);
    expect(h).toEqual({ requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'abc' });
    const v1 = bytesOf((w) =>
      encodeRequestHeader(w, 1, { requestApiKey: 3, requestApiVersion: 1, correlationId: 1, clientId: null }),
    );
    expect(v1).toEqual([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff]);
    expect(bytesOf((w) => encodeResponseHeader(w, 1, { correlationId: 258 }))).toEqual([0, 0, 1, 2, 0]);
  });

  it('tagged fields: omitted at default, written in ascending tag order with unknown ones', () => {
    const base = { ...defaultApiVersionsResponse(), apiKeys: [] };
    expect(bytesOf((w) => encodeApiVersionsResponse(w, 3, base))).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);

    const b = Buffer.from(
      bytesOf((w) =>
        encodeApiVersionsResponse(w, 3, {
          ...base,
          supportedFeatures: [{ name: 'f', minVersion: 1, maxVersion: 2 }],
          finalizedFeaturesEpoch: 5n,
          zkMigrationReady: true,
          _unknownTaggedFields: [
            { tag: 4, data: Buffer.from([0xaa]) },
            { tag: 70000, data: Buffer.alloc(0) },
          ],
        }),
      ),
    );
    const r = new Reader(b, 7);
    const n = r.uvarint();
    const tags: number[] = [];
    for (let i = 0; i < n; i++) {
      tags.push(r.uvarint());
      r.skip(r.uvarint());
    }
    expect(tags).toEqual([0, 1, 3, 4, 70000]);
    expect(r.remaining()).toBe(0);
  });

  it('nullable struct fields use a -1/1 marker byte', () => {
    const req = { topics: [], responsePartitionLimit: 2000, cursor: null };
    expect(bytesOf((w) => encodeDescribeTopicPartitionsRequest(w, 0, req))).toEqual([1, 0, 0, 7, 208, 0xff, 0]);
    expect(
      bytesOf((w) => encodeDescribeTopicPartitionsRequest(w, 0, { ...req, cursor: { topicName: 't', partitionIndex: 2 } })),
    ).toEqual([1, 0, 0, 7, 208, 1, 2, 0x74, 0, 0, 0, 2, 0, 0]);
  });

  it('fields absent from a version decode to their defaults', () => {
    // Metadata v1 response: no cluster id, no topic ids, no throttle time
    const w = new Writer();
    w.int32(0); // brokers []
    w.int32(1); // controller id
    w.int32(0); // topics []
    const m = decodeMetadataResponse(new Reader(w.toBuffer()), 1);
    expect(m.throttleTimeMs).toBe(0);
    expect(m.clusterId).toBeNull();
    expect(m.controllerId).toBe(1);
    expect(m.clusterAuthorizedOperations).toBe(-2147483648);
    const p = decodeProduceRequest(new Reader(Buffer.from([0, 1, 0, 0, 0, 5, 0, 0, 0, 0])), 0);
    expect(p).toEqual({ transactionalId: null, acks: 1, timeoutMs: 5, topicData: [] });
    expect(ZERO_UUID.equals(Buffer.alloc(16))).toBe(true);
  });

  it('rejects unsupported versions and nulls in non-nullable fields', () => {
    expect(() => decodeProduceRequest(new Reader(Buffer.alloc(0)), 12)).toThrow(ProtocolDecodeError);
    expect(() => encodeProduceRequest(new Writer(), -1, { transactionalId: null, acks: 0, timeoutMs: 0, topicData: [] })).toThrow(
      ProtocolEncodeError,
    );
    expect(() =>
      encodeProduceRequest(new Writer(), 3, {
        transactionalId: null,
        acks: 0,
        timeoutMs: 0,
        topicData: [{ name: null as unknown as string, partitionData: [] }],
      }),
    ).toThrow();
    // a null (-1) topic array in a version where it is not nullable
    expect(() => decodeProduceRequest(new Reader(Buffer.from([0, 1, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff])), 0)).toThrow(
      ProtocolDecodeError,
    );
  });

  it('registry and error table', () => {
    expect(apiRegistry.get(0)).toMatchObject(produceApi);
    expect(produceApi).toMatchObject({ apiKey: 0, name: 'Produce', firstFlexibleVersion: 9 });
    expect(apiRegistry.get(18)!.name).toBe('ApiVersions');
    expect(apiRegistry.get(60)!.name).toBe('DescribeCluster');
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(errorTable.get(6)).toEqual({ name: 'NOT_LEADER_OR_FOLLOWER', retriable: true });
  });
});

describe('generated codecs: only what a broker serves', () => {
  const specDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/protocol/spec/messages');
  const requests = fs
    .readdirSync(specDir)
    .filter((f) => f.endsWith('Request.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(specDir, f), 'utf8')) as { apiKey: number; name: string; listeners: string[] });

  it('every API whose spec lists the "broker" listener, and no other', () => {
    const served = requests.filter((r) => r.listeners.includes('broker')).map((r) => r.apiKey).sort((a, b) => a - b);
    expect([...apiRegistry.keys()].sort((a, b) => a - b)).toEqual(served);
    // controller- and ZooKeeper-only APIs are not generated
    for (const key of [4, 5, 6, 7, 52, 53, 54, 56, 58, 59, 62, 63, 67, 70, 73, 82]) expect(apiRegistry.has(key), `api ${key}`).toBe(false);
    // every API Strata has a handler for is generated (src/router/handlers/NN-*.ts)
    const handlersDir = path.resolve(specDir, '../../../router/handlers');
    for (const f of fs.readdirSync(handlersDir).filter((n) => /^\d\d-/.test(n))) {
      expect(apiRegistry.has(Number(f.slice(0, 2))), f).toBe(true);
    }
  });

  it('data structures: the consumer protocol only (no KRaft records)', () => {
    expect(Object.keys(dataStructures).filter((k) => k.startsWith('decode')).sort()).toEqual([
      'decodeConsumerProtocolAssignment',
      'decodeConsumerProtocolSubscription',
    ]);
  });
});
