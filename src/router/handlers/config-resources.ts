// Thread: main. Shared by DescribeConfigs / AlterConfigs / IncrementalAlterConfigs:
// resource types, broker-config descriptions, and applying a new set of topic overrides.
import type { BrokerContext } from '../../broker-context.js';
import { brokerConfigKeys } from '../../config/broker-config.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { ConfigSource, ConfigType, type DescribedConfig } from '../../metadata/topic-configs.js';
import type { KafkaFailure } from '../../metadata/topic-manager.js';
import { authorizeCluster, authorizeTopic } from './authz.js';
import type { RequestContext } from './types.js';

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** Secrets among the broker settings: described as Kafka describes PASSWORD configs (isSensitive, value null). */
export const SENSITIVE_BROKER_CONFIGS: ReadonlySet<string> = new Set(['ssl.key.password', 'ssl.keystore.key']);

export function describeBrokerConfigs(broker: BrokerContext): DescribedConfig[] {
  return [...brokerConfigKeys].sort().flatMap((name) => {
    const raw = broker.config[name];
    if (raw === undefined) return [];
    const value = String(raw);
    const source = broker.explicitKeys.has(name) ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
    const type = typeof raw === 'boolean' ? ConfigType.BOOLEAN : typeof raw === 'number' ? (Number.isInteger(raw) && Math.abs(raw) < 2 ** 31 ? ConfigType.INT : ConfigType.LONG) : ConfigType.STRING;
    return [{ name, value, source, type, synonyms: [{ name, value, source }] }];
  });
}

/** Broker resources are named by node id; "" names the cluster-wide default. */
export function isThisBroker(broker: BrokerContext, resourceName: string): boolean {
  return resourceName === '' || resourceName === String(broker.nodeId);
}

export function brokerAlterRefused(): KafkaFailure {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Broker configs are static in Strata: set them in the config file, STRATA_* env or flags and restart' };
}

/** Validates and (unless validateOnly) stores a topic's complete new override set. */
export async function applyTopicConfigs(
  broker: BrokerContext,
  topicName: string,
  entries: Array<{ name: string; value: string | null }>,
  validateOnly: boolean,
): Promise<KafkaFailure | null> {
  if (!broker.topics.get(topicName)) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${topicName} does not exist` };
  const validated = broker.topics.validateConfigs(entries);
  if (!validated.ok) return { errorCode: validated.errorCode, errorMessage: validated.errorMessage };
  if (validateOnly) return null;
  return broker.topics.setConfigs(topicName, validated.configs);
}

/**
 * ACLs (as Kafka): `operation` (DESCRIBE_CONFIGS / ALTER_CONFIGS) on the topic, or on the
 * cluster for broker and broker-logger resources. The error to answer, or undefined when allowed.
 */
export function configAuthorizationError(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): KafkaFailure | undefined {
  if (resourceType === ResourceType.TOPIC) {
    return authorizeTopic(ctx, operation, resourceName) ? undefined : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
  }
  if (resourceType === ResourceType.BROKER || resourceType === ResourceType.BROKER_LOGGER) {
    return authorizeCluster(ctx, operation) ? undefined : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
  }
  return undefined;
}
