// Thread: main. Whether this broker runs in cluster mode, and with which timings: cluster mode
// needs `cluster.enable=true` AND a Redis (`redis.url`, else the REDIS_URL environment
// variable, as the group store resolves it). Also the start-up checks of those settings.
import type { BrokerConfig } from './broker-config.js';

export type ClusterConfig = Pick<
  BrokerConfig,
  'cluster.enable' | 'redis.url' | 'redis.key.prefix' | 'redis.command.timeout.ms' | 'broker.heartbeat.interval.ms' | 'broker.session.timeout.ms' | 'broker.rack'
>;

export interface ClusterSettings {
  redisUrl: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  heartbeatIntervalMs: number;
  sessionTimeoutMs: number;
  rack: string | undefined;
}

function redisUrlOf(config: ClusterConfig, env: NodeJS.ProcessEnv): string | undefined {
  const configured = config['redis.url'];
  if (configured !== undefined) return configured.trim() || undefined;
  return env.REDIS_URL?.trim() || undefined;
}

/** The cluster settings, or undefined when this broker is a single broker (the default). */
export function clusterSettings(config: ClusterConfig, env: NodeJS.ProcessEnv = process.env): ClusterSettings | undefined {
  if (!config['cluster.enable']) return undefined;
  const redisUrl = redisUrlOf(config, env);
  if (redisUrl === undefined) return undefined;
  return {
    redisUrl,
    keyPrefix: config['redis.key.prefix'],
    commandTimeoutMs: config['redis.command.timeout.ms'],
    heartbeatIntervalMs: config['broker.heartbeat.interval.ms'],
    sessionTimeoutMs: config['broker.session.timeout.ms'],
    rack: config['broker.rack'],
  };
}

/** Readable problems with the cluster settings (empty when they are fine). */
export function clusterSettingProblems(config: ClusterConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  const heartbeat = config['broker.heartbeat.interval.ms'];
  const session = config['broker.session.timeout.ms'];
  if (heartbeat >= session) {
    problems.push(
      `broker.heartbeat.interval.ms (${heartbeat}) must be below broker.session.timeout.ms (${session}): a broker must refresh its registration before it expires (e.g. heartbeat 2000, session 9000)`,
    );
  }
  if (config['cluster.enable'] && redisUrlOf(config, env) === undefined) {
    problems.push('cluster.enable=true needs a Redis: set redis.url (e.g. redis://127.0.0.1:6379) or the REDIS_URL environment variable');
  }
  return problems;
}

/**
 * Cluster mode's defaults: `cluster.enable=true` means one cluster, so unless set explicitly the
 * metadata store is the shared one (`cluster.metadata.store=redis`) and partition leadership is
 * on. Returns the readable problems of what was set explicitly (leadership needs the shared store).
 */
export function applyClusterDefaults(
  config: Pick<BrokerConfig, 'cluster.enable' | 'cluster.metadata.store' | 'cluster.partition.leadership.enable'>,
  explicit: { has(key: string): boolean },
): string[] {
  if (!config['cluster.enable']) return [];
  if (!explicit.has('cluster.metadata.store')) config['cluster.metadata.store'] = 'redis';
  if (!explicit.has('cluster.partition.leadership.enable')) config['cluster.partition.leadership.enable'] = config['cluster.metadata.store'] === 'redis';
  if (config['cluster.partition.leadership.enable'] && config['cluster.metadata.store'] !== 'redis') {
    return ['cluster.partition.leadership.enable=true needs cluster.metadata.store=redis: every broker must see the same topics to lead their partitions'];
  }
  return [];
}
