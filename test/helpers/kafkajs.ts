// Thread: vitest test worker. KafkaJS client factory for integration tests: silent logger,
// short retries (a test should fail fast, not back off for a minute), snappy registered
// through the documented codec plugin (kafkajs-snappy).
import kafkajs, { type KafkaConfig, type Kafka as KafkaClient, type RetryOptions } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';

// kafkajs is CommonJS: take the runtime values from its module.exports.
export const { Kafka, logLevel, CompressionTypes, CompressionCodecs, ConfigResourceTypes, ConfigSource } = kafkajs;

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

export const testRetry: RetryOptions = {
  initialRetryTime: 100,
  maxRetryTime: 1_000,
  retries: 5,
  factor: 0.2,
  multiplier: 2,
};

/** A KafkaJS client for one broker (`host:port`). */
export function kafkaClient(bootstrap: string | string[], overrides: Partial<KafkaConfig> = {}): KafkaClient {
  return new Kafka({
    clientId: 'strata-test',
    brokers: Array.isArray(bootstrap) ? bootstrap : [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 15_000,
    enforceRequestTimeout: true,
    retry: testRetry,
    ...overrides,
  });
}

/** Creates a topic through a short-lived KafkaJS admin client; throws unless it was created. */
export async function createTopicOn(bootstrap: string, topic: string, numPartitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    const created = await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }], waitForLeaders: true });
    if (!created) throw new Error(`topic ${topic} was not created`);
  } finally {
    await admin.disconnect();
  }
}
