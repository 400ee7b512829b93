// Thread: main. DescribeConfigs (key 32), versions 0–4.
// Topics: every topic config with its effective value and source (DYNAMIC_TOPIC_CONFIG for
// overrides, STATIC_BROKER_CONFIG / DEFAULT_CONFIG for values inherited through the broker
// synonym). Broker: every broker setting (static). v1+ synonyms when asked, v3+ config types.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or the cluster for broker resources (CLUSTER_AUTHORIZATION_FAILED).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDescribeConfigsRequest,
  describeConfigsApi,
  encodeDescribeConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from '../../protocol/generated/messages/32-describe-configs.js';
import { ConfigSource, describeTopicConfigs, type DescribedConfig } from '../../metadata/topic-configs.js';
import { configAuthorizationError, describeBrokerConfigs, isThisBroker, ResourceType, SENSITIVE_BROKER_CONFIGS } from './config-resources.js';
import { AclOperation } from './authz.js';
import { defineHandler } from './types.js';

type Result = DescribeConfigsResponse['results'][number];

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: describeConfigsApi.apiKey,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeDescribeConfigsRequest,
  encodeResponse: encodeDescribeConfigsResponse,
  handle(ctx, req) {
    const { broker } = ctx;
    const results: Result[] = req.resources.map((res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      let described: DescribedConfig[];
      const refused = configAuthorizationError(ctx, AclOperation.DESCRIBE_CONFIGS, res.resourceType, res.resourceName);
      if (refused !== undefined) return { ...base, ...refused, configs: [] };
      if (res.resourceType === ResourceType.TOPIC) {
        const topic = broker.topics.get(res.resourceName);
        if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${res.resourceName} does not exist`, configs: [] };
        described = describeTopicConfigs(topic.configs, broker.config, broker.explicitKeys);
      } else if (res.resourceType === ResourceType.BROKER) {
        if (!isThisBroker(broker, res.resourceName)) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id ${res.resourceName}, expected ${broker.nodeId}`, configs: [] };
        }
        described = describeBrokerConfigs(broker);
      } else if (res.resourceType === ResourceType.BROKER_LOGGER) {
        described = [];
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${res.resourceType}`, configs: [] };
      }
      const keys = res.configurationKeys;
      if (keys !== null && keys.length > 0) described = described.filter((c) => keys.includes(c.name));
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        configs: described.map((c) => {
          const sensitive = res.resourceType === ResourceType.BROKER && SENSITIVE_BROKER_CONFIGS.has(c.name);
          return {
          name: c.name,
          value: sensitive ? null : c.value,
          readOnly: res.resourceType === ResourceType.BROKER,
          isDefault: c.source === ConfigSource.DEFAULT_CONFIG,
          configSource: c.source,
          isSensitive: sensitive,
          synonyms: req.includeSynonyms ? c.synonyms.map((s) => (sensitive ? { ...s, value: null } : s)) : [],
          configType: c.type,
          documentation: null,
          };
        }),
      };
    });
    return { throttleTimeMs: 0, results };
  },
});
