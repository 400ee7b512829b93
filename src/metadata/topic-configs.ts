// Thread: main. Per-topic configs by Kafka's names: validation, defaults taken from the
// broker config (the synonym Kafka reports), and resolution into a worker LogConfig.
import { z } from 'zod';
import type { BrokerConfig } from '../config/broker-config.js';
import type { LogConfig } from '../ipc/tasks.js';

const LONG_MAX = Number.MAX_SAFE_INTEGER;
const longValue = (min: number) => z.coerce.number().int().min(min).max(LONG_MAX);
const intValue = (min: number) => z.coerce.number().int().min(min).max(2 ** 31 - 1);

/** Kafka's DescribeConfigs config types (v3+). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;

/** Kafka's DescribeConfigs config sources. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

const TOPIC_NAME_STRATEGY = 'io.confluent.kafka.serializers.subject.TopicNameStrategy';
/** Confluent's subject name strategies, by class name (the short name is accepted too and stored in full). */
const subjectNameStrategy = z
  .enum(['TopicNameStrategy', 'RecordNameStrategy', 'TopicRecordNameStrategy'].flatMap((n) => [n, `io.confluent.kafka.serializers.subject.${n}`]) as [string, ...string[]])
  .transform((v) => (v.includes('.') ? v : `io.confluent.kafka.serializers.subject.${v}`));

interface TopicConfigDef {
  /** Validates a string value; the parsed value is re-rendered as the stored string. */
  schema: z.ZodType<unknown>;
  type: number;
  /** The broker setting that supplies the default (Kafka's synonym), if any. */
  brokerKey?: keyof BrokerConfig;
  /** Default when no broker setting supplies it. */
  fallback?: string;
}

const defs: Record<string, TopicConfigDef> = {
  'cleanup.policy': { schema: z.enum(['delete']), type: ConfigType.LIST, fallback: 'delete' },
  'compression.type': {
    schema: z.enum(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']),
    type: ConfigType.STRING,
    fallback: 'producer',
  },
  'delete.retention.ms': { schema: longValue(0), type: ConfigType.LONG, fallback: '86400000' },
  'file.delete.delay.ms': { schema: longValue(0), type: ConfigType.LONG, fallback: '60000' },
  'flush.messages': { schema: longValue(1), type: ConfigType.LONG, brokerKey: 'log.flush.interval.messages' },
  'flush.ms': { schema: longValue(0), type: ConfigType.LONG, brokerKey: 'log.flush.interval.ms' },
  'index.interval.bytes': { schema: intValue(0), type: ConfigType.INT, brokerKey: 'log.index.interval.bytes' },
  'max.message.bytes': { schema: intValue(0), type: ConfigType.INT, brokerKey: 'message.max.bytes' },
  'message.timestamp.type': {
    schema: z.enum(['CreateTime', 'LogAppendTime']),
    type: ConfigType.STRING,
    brokerKey: 'log.message.timestamp.type',
  },
  'min.insync.replicas': { schema: intValue(1), type: ConfigType.INT, fallback: '1' },
  'local.retention.bytes': { schema: longValue(-2), type: ConfigType.LONG, brokerKey: 'log.local.retention.bytes' },
  'local.retention.ms': { schema: longValue(-2), type: ConfigType.LONG, brokerKey: 'log.local.retention.ms' },
  'remote.storage.enable': { schema: z.stringbool(), type: ConfigType.BOOLEAN, brokerKey: 'log.remote.storage.enable' },
  'retention.bytes': { schema: longValue(-1), type: ConfigType.LONG, brokerKey: 'log.retention.bytes' },
  'retention.ms': { schema: longValue(-1), type: ConfigType.LONG, brokerKey: 'log.retention.ms' },
  'segment.bytes': { schema: intValue(14), type: ConfigType.INT, brokerKey: 'log.segment.bytes' },
  'segment.index.bytes': { schema: intValue(4), type: ConfigType.INT, brokerKey: 'log.index.size.max.bytes' },
  'segment.ms': { schema: longValue(1), type: ConfigType.LONG, brokerKey: 'log.roll.ms' },
  'segment.jitter.ms': { schema: longValue(0), type: ConfigType.LONG, fallback: '0' },
  'unclean.leader.election.enable': { schema: z.stringbool(), type: ConfigType.BOOLEAN, fallback: 'false' },
  // Broker-side schema validation (Confluent Server's names; src/schema-registry/record-validation.ts).
  'confluent.key.schema.validation': { schema: z.stringbool(), type: ConfigType.BOOLEAN, fallback: 'false' },
  'confluent.key.subject.name.strategy': { schema: subjectNameStrategy, type: ConfigType.STRING, fallback: TOPIC_NAME_STRATEGY },
  'confluent.value.schema.validation': { schema: z.stringbool(), type: ConfigType.BOOLEAN, fallback: 'false' },
  'confluent.value.subject.name.strategy': { schema: subjectNameStrategy, type: ConfigType.STRING, fallback: TOPIC_NAME_STRATEGY },
};

export const topicConfigNames = Object.keys(defs).sort();

export function isTopicConfig(name: string): boolean {
  return Object.hasOwn(defs, name);
}

/** Validates one topic config; returns the normalised string value or an error message. */
export function validateTopicConfig(name: string, value: string | null): { ok: true; value: string } | { ok: false; message: string } {
  const def = defs[name];
  if (!def) return { ok: false, message: `Unknown topic config name: ${name}` };
  if (value === null) return { ok: false, message: `Null value not supported for topic config: ${name}` };
  const parsed = def.schema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, message: `Invalid value ${value} for configuration ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  }
  return { ok: true, value: String(parsed.data) };
}

export interface DescribedConfig {
  name: string;
  value: string;
  source: number;
  type: number;
  synonyms: Array<{ name: string; value: string; source: number }>;
}

/** Every topic config with its effective value and where it comes from. */
export function describeTopicConfigs(
  overrides: Record<string, string>,
  broker: BrokerConfig,
  explicitBrokerKeys: ReadonlySet<string>,
): DescribedConfig[] {
  return topicConfigNames.map((name) => {
    const def = defs[name]!;
    const synonyms: DescribedConfig['synonyms'] = [];
    if (overrides[name] !== undefined) synonyms.push({ name, value: overrides[name]!, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    if (def.brokerKey) {
      const source = explicitBrokerKeys.has(def.brokerKey) ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
      synonyms.push({ name: def.brokerKey, value: String(broker[def.brokerKey]), source });
    } else {
      synonyms.push({ name, value: def.fallback!, source: ConfigSource.DEFAULT_CONFIG });
    }
    const effective = synonyms[0]!;
    return { name, value: effective.value, source: effective.source, type: def.type, synonyms };
  });
}

/** The effective value of one topic config. */
export function topicConfigValue(name: string, overrides: Record<string, string>, broker: BrokerConfig): string {
  const def = defs[name];
  if (!def) throw new Error(`unknown topic config ${name}`);
  if (overrides[name] !== undefined) return overrides[name]!;
  return def.brokerKey ? String(broker[def.brokerKey]) : def.fallback!;
}

/** Resolves a topic's configs into the settings a partition worker needs. */
export function resolveLogConfig(overrides: Record<string, string>, broker: BrokerConfig): LogConfig {
  const num = (name: string) => Number(topicConfigValue(name, overrides, broker));
  return {
    segmentBytes: num('segment.bytes'),
    segmentMs: num('segment.ms'),
    segmentIndexBytes: num('segment.index.bytes'),
    indexIntervalBytes: num('index.interval.bytes'),
    retentionMs: num('retention.ms'),
    retentionBytes: num('retention.bytes'),
    maxMessageBytes: num('max.message.bytes'),
    timestampType: topicConfigValue('message.timestamp.type', overrides, broker) as LogConfig['timestampType'],
    flushMessages: num('flush.messages'),
    flushMs: num('flush.ms'),
    // Only with object storage configured: otherwise local retention would wait for uploads forever.
    remoteStorageEnable: topicConfigValue('remote.storage.enable', overrides, broker) === 'true' && broker['remote.storage.s3.bucket'] !== undefined,
    localRetentionMs: num('local.retention.ms'),
    localRetentionBytes: num('local.retention.bytes'),
    remotePendingMaxBytes: broker['remote.storage.local.pending.max.bytes'],
  };
}
