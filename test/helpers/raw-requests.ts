// Thread: vitest test worker. Typed one-call wrappers over RawKafkaConnection for the
// requests integration tests send by hand: ApiVersions, Produce, Fetch, ListOffsets,
// InitProducerId, Metadata. Versions are chosen to use topic names (Produce ≤ 12, Fetch ≤ 12).
import {
  apiVersionsApi,
  decodeApiVersionsResponse,
  decodeFetchResponse,
  decodeInitProducerIdResponse,
  decodeListOffsetsResponse,
  decodeMetadataResponse,
  decodeProduceResponse,
  encodeApiVersionsRequest,
  encodeFetchRequest,
  encodeInitProducerIdRequest,
  encodeListOffsetsRequest,
  encodeMetadataRequest,
  encodeProduceRequest,
  fetchApi,
  initProducerIdApi,
  listOffsetsApi,
  metadataApi,
  produceApi,
  type ApiVersionsResponse,
  type FetchResponsePartitionData,
  type MetadataResponse,
  type ProduceRequest,
  type ProduceResponsePartitionProduceResponse,
} from '../../src/protocol/generated/messages/index.js';
import { decodeRecordBatches, type DecodedBatch } from '../../src/protocol/records.js';
import type { RawKafkaConnection } from './raw-kafka.js';

export const PRODUCE_VERSION = 9;
export const FETCH_VERSION = 12;

export function apiVersions(c: RawKafkaConnection, version = 3): Promise<ApiVersionsResponse> {
  return c.request(apiVersionsApi.apiKey, version, encodeApiVersionsRequest, decodeApiVersionsResponse, {
    clientSoftwareName: 'strata-raw-test',
    clientSoftwareVersion: '1.0.0',
  });
}

export function produceRequestBody(topic: string, partition: number, records: Buffer | null, acks = -1): ProduceRequest {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  };
}

/** Produce one records blob to one partition; returns that partition's response. */
export async function produce(
  c: RawKafkaConnection,
  topic: string,
  partition: number,
  records: Buffer | null,
  { acks = -1, version = PRODUCE_VERSION }: { acks?: number; version?: number } = {},
): Promise<ProduceResponsePartitionProduceResponse> {
  const response = await c.request(produceApi.apiKey, version, encodeProduceRequest, decodeProduceResponse, produceRequestBody(topic, partition, records, acks));
  const t = response.responses.find((r) => r.name === topic);
  const p = t?.partitionResponses.find((r) => r.index === partition);
  if (!p) throw new Error(`produce response has no ${topic}-${partition}: ${JSON.stringify(response, bigintJson)}`);
  return p;
}

export interface FetchResult extends FetchResponsePartitionData {
  batches: DecodedBatch[];
}

/** Fetch one partition from `offset`; decodes the returned batches (none/gzip only). */
export async function fetch(
  c: RawKafkaConnection,
  topic: string,
  partition: number,
  offset: bigint | number,
  { maxWaitMs = 0, minBytes = 0, maxBytes = 10 * 1024 * 1024, version = FETCH_VERSION, timeoutMs = 15_000 }: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; version?: number; timeoutMs?: number } = {},
): Promise<FetchResult> {
  const response = await c.request(
    fetchApi.apiKey,
    version,
    encodeFetchRequest,
    decodeFetchResponse,
    {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs,
      minBytes,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: Buffer.alloc(16),
          partitions: [
            {
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(offset),
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: maxBytes,
              replicaDirectoryId: Buffer.alloc(16),
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    timeoutMs,
  );
  if (response.errorCode !== 0) throw new Error(`fetch top-level error ${response.errorCode}`);
  const p = response.responses.find((t) => t.topic === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (!p) throw new Error(`fetch response has no ${topic}-${partition}`);
  return { ...p, batches: p.records && p.records.length > 0 ? decodeRecordBatches(p.records) : [] };
}

/** ListOffsets v7 for one partition: timestamp -1 latest, -2 earliest, -3 max timestamp. */
export async function listOffset(c: RawKafkaConnection, topic: string, partition: number, timestamp: bigint | number) {
  const response = await c.request(listOffsetsApi.apiKey, 7, encodeListOffsetsRequest, decodeListOffsetsResponse, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: BigInt(timestamp), maxNumOffsets: 1 }] }],
    timeoutMs: 10_000,
  });
  const p = response.topics[0]?.partitions[0];
  if (!p) throw new Error('empty ListOffsets response');
  return p;
}

export async function initProducerId(c: RawKafkaConnection, version = 4) {
  return c.request(initProducerIdApi.apiKey, version, encodeInitProducerIdRequest, decodeInitProducerIdResponse, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
}

export function metadata(c: RawKafkaConnection, topics: string[] | null, version = 12, { autoCreate = false }: { autoCreate?: boolean } = {}): Promise<MetadataResponse> {
  return c.request(metadataApi.apiKey, version, encodeMetadataRequest, decodeMetadataResponse, {
    topics: topics === null ? null : topics.map((name) => ({ topicId: Buffer.alloc(16), name })),
    allowAutoTopicCreation: autoCreate,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

/** JSON.stringify replacer that prints bigints. */
export function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
