// Thread: main. The console's topics: a filtered, paginated list (1,000 topics stay fast: one
// Metadata, sizes only for the page shown), one topic's partitions (leader, worker slot, offsets,
// local and remote bytes) and configs, and create / delete through CreateTopics / DeleteTopics.
import { z } from 'zod';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { BrokerView } from './broker-view.js';
import { ConsoleError } from './console-error.js';
import { EARLIEST, LATEST, type ConsoleKafka } from './console-kafka.js';

export const MAX_PAGE = 500;

export interface TopicSummary {
  name: string;
  partitions: number;
  internal: boolean;
  /** Bytes on this broker's disk (partitions hosted here). */
  localBytes: number;
  /** Bytes in object storage; null without tiered storage. */
  remoteBytes: number | null;
}

export interface TopicPage {
  total: number;
  offset: number;
  limit: number;
  topics: TopicSummary[];
}

function remoteTotal(view: BrokerView, topic: string, partitions: number): number | null {
  let sum: number | null = null;
  for (let p = 0; p < partitions; p++) {
    const b = view.remoteBytes(topic, p);
    if (b !== undefined) sum = (sum ?? 0) + b;
  }
  return sum;
}

export async function listTopics(kafka: ConsoleKafka, view: BrokerView, q: { filter: string; offset: number; limit: number }): Promise<TopicPage> {
  const md = await kafka.metadata(null);
  const needle = q.filter.toLowerCase();
  const all = md.topics
    .filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null && (needle === '' || t.name.toLowerCase().includes(needle)))
    .map((t) => ({ name: t.name!, partitions: t.partitions.length, internal: t.isInternal }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = all.slice(q.offset, q.offset + q.limit);
  const sizes = await kafka.localSizes(page);
  return {
    total: all.length,
    offset: q.offset,
    limit: q.limit,
    topics: page.map((t) => {
      let localBytes = 0;
      for (const b of sizes.get(t.name)?.values() ?? []) localBytes += b;
      return { ...t, localBytes, remoteBytes: remoteTotal(view, t.name, t.partitions) };
    }),
  };
}

export interface TopicDetail {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: Array<{
    partition: number;
    leader: number;
    leaderEpoch: number;
    replicas: number[];
    /** Worker slot on this broker; null when the partition is not hosted here. */
    slot: number | null;
    logStartOffset: number | null;
    highWatermark: number | null;
    localBytes: number | null;
    remoteBytes: number | null;
  }>;
  configs: Array<{ name: string; value: string | null; isDefault: boolean; readOnly: boolean; isSensitive: boolean }>;
}

export async function topicDetail(kafka: ConsoleKafka, view: BrokerView, name: string): Promise<TopicDetail> {
  const { topic } = await kafka.topic(name);
  const indexes = topic.partitions.map((p) => p.partitionIndex);
  const [earliest, latest, sizes, configs] = await Promise.all([
    kafka.listOffsets(name, indexes, EARLIEST),
    kafka.listOffsets(name, indexes, LATEST),
    kafka.localSizes([{ name, partitions: topic.partitions.length }]),
    kafka.topicConfigs(name),
  ]);
  const slots = view.slots();
  const ok = (a: { errorCode: number; offset: bigint } | undefined) => (a !== undefined && a.errorCode === ErrorCode.NONE ? Number(a.offset) : null);
  return {
    name,
    topicId: topic.topicId.toString('hex'),
    internal: topic.isInternal,
    partitions: topic.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        slot: slots.get(`${name}:${p.partitionIndex}`) ?? null,
        logStartOffset: ok(earliest.get(p.partitionIndex)),
        highWatermark: ok(latest.get(p.partitionIndex)),
        localBytes: sizes.get(name)?.get(p.partitionIndex) ?? null,
        remoteBytes: view.remoteBytes(name, p.partitionIndex) ?? null,
      }))
      .sort((a, b) => a.partition - b.partition),
    configs,
  };
}

/** Kafka's legal topic names. */
const topicName = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[a-zA-Z0-9._-]+$/, 'only letters, digits, ".", "_" and "-"')
  .refine((n) => n !== '.' && n !== '..', 'cannot be "." or ".."');

export const createTopicBody = z.strictObject({
  name: topicName,
  partitions: z.number().int().min(1).max(10_000).default(1),
  configs: z
    .record(z.string().min(1).max(255), z.string().max(4096))
    .refine((c) => Object.keys(c).length <= 100, 'at most 100 configs')
    .default({}),
});

export type CreateTopicBody = z.infer<typeof createTopicBody>;

export async function createTopic(kafka: ConsoleKafka, body: CreateTopicBody): Promise<{ name: string; partitions: number; topicId: string }> {
  const t = await kafka.createTopic(body.name, body.partitions, body.configs);
  return { name: t.name, partitions: t.numPartitions, topicId: t.topicId.toString('hex') };
}

export async function deleteTopic(kafka: ConsoleKafka, name: string): Promise<{ deleted: string }> {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name)) throw new ConsoleError(400, 'BAD_REQUEST', `not a topic name: ${JSON.stringify(name)}`);
  await kafka.deleteTopic(name);
  return { deleted: name };
}
