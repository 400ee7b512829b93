// Thread: main. Builds the group coordinator from broker settings: Redis when `redis.url` is
// set (or, when that setting is absent, the REDIS_URL environment variable), else the local
// file store under the first log dir. An explicitly empty `redis.url` forces the local store.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { TopicManager } from '../metadata/topic-manager.js';
import { GroupCoordinator, type TopicLookup } from './coordinator.js';
import { LocalOffsetStore } from './local-offset-store.js';
import type { OffsetStore } from './offset-store.js';
import { RedisOffsetStore } from './redis-offset-store.js';
import { WriteBackOffsetStore } from './offset-write-back.js';

export { GroupCoordinator } from './coordinator.js';

/** The Redis URL to use, or undefined for the embedded local store. */
export function resolveRedisUrl(config: BrokerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = config['redis.url'];
  if (configured !== undefined) return configured.trim() || undefined;
  return env.REDIS_URL?.trim() || undefined;
}

export function createOffsetStore(config: BrokerConfig, logDir: string, logger: Logger, env: NodeJS.ProcessEnv = process.env): OffsetStore {
  const url = resolveRedisUrl(config, env);
  if (!url) return new LocalOffsetStore(logDir);
  return new RedisOffsetStore({ url, keyPrefix: config['redis.key.prefix'], commandTimeoutMs: config['redis.command.timeout.ms'], logger });
}

export function topicLookup(topics: TopicManager): TopicLookup {
  return {
    partitionCount: (name) => topics.get(name)?.partitions,
    topicId: (name) => topics.get(name)?.topicId,
    topicIds: () => new Map(topics.names().map((n) => [n, topics.get(n)!.topicId])),
  };
}

export function createGroupCoordinator(config: BrokerConfig, topics: TopicManager, logDir: string, logger: Logger): GroupCoordinator {
  const shared = createOffsetStore(config, logDir, logger);
  // Redis: what this broker stores for consumer groups is remembered and written back
  // if Redis loses its data (offset-write-back.ts).
  const store = shared instanceof RedisOffsetStore ? new WriteBackOffsetStore(shared) : shared;
  const coordinator = new GroupCoordinator(
    store,
    {
      minSessionTimeoutMs: config['group.min.session.timeout.ms'],
      maxSessionTimeoutMs: config['group.max.session.timeout.ms'],
      initialRebalanceDelayMs: config['group.initial.rebalance.delay.ms'],
      maxGroupSize: config['group.max.size'],
      offsetMetadataMaxBytes: config['offset.metadata.max.bytes'],
      offsetsRetentionMs: config['offsets.retention.minutes'] * 60_000,
      offsetsRetentionCheckIntervalMs: config['offsets.retention.check.interval.ms'],
    },
    topicLookup(topics),
    logger.child({ component: 'groups' }),
  );
  if (store instanceof WriteBackOffsetStore) coordinator.writeBackAfterDataLoss = () => store.writeBack();
  return coordinator;
}
