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
