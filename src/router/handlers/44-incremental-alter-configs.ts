// Thread: main. IncrementalAlterConfigs (key 44), versions 0–1.
// Operations per config: SET (0), DELETE (1, back to the default), APPEND (2) / SUBTRACT (3)
// for list configs (cleanup.policy). Broker configs are static (INVALID_REQUEST).
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or the cluster for broker resources (CLUSTER_AUTHORIZATION_FAILED).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  incrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/generated/messages/44-incremental-alter-configs.js';
import type { KafkaFailure } from '../../metadata/topic-manager.js';
import { applyTopicConfigs, brokerAlterRefused, configAuthorizationError, ResourceType } from './config-resources.js';
import { AclOperation } from './authz.js';
import { defineHandler } from './types.js';

const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;
const LIST_CONFIGS = new Set(['cleanup.policy']);

export const incrementalAlterConfigsHandler = defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: incrementalAlterConfigsApi.apiKey,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeIncrementalAlterConfigsRequest,
  encodeResponse: encodeIncrementalAlterConfigsResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    const responses: IncrementalAlterConfigsResponse['responses'] = [];
    for (const res of req.resources) {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      let failure: KafkaFailure | null = configAuthorizationError(ctx, AclOperation.ALTER_CONFIGS, res.resourceType, res.resourceName) ?? null;
      if (failure !== null) {
        // refused: nothing changes
      } else if (res.resourceType === ResourceType.BROKER) failure = brokerAlterRefused();
      else if (res.resourceType !== ResourceType.TOPIC) failure = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${res.resourceType}` };
      else {
        const topic = broker.topics.get(res.resourceName);
        if (!topic) failure = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${res.resourceName} does not exist` };
        else {
          const next: Record<string, string> = { ...topic.configs };
          for (const c of res.configs) {
            if (c.configOperation === OP_SET) next[c.name] = c.value ?? '';
            else if (c.configOperation === OP_DELETE) delete next[c.name];
            else if (c.configOperation === OP_APPEND || c.configOperation === OP_SUBTRACT) {
              if (!LIST_CONFIGS.has(c.name)) {
                failure = { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Config ${c.name} is not a list; APPEND/SUBTRACT do not apply` };
                break;
              }
              const current = (next[c.name] ?? 'delete').split(',').filter(Boolean);
              const items = (c.value ?? '').split(',').filter(Boolean);
              const merged = c.configOperation === OP_APPEND ? [...new Set([...current, ...items])] : current.filter((x) => !items.includes(x));
              next[c.name] = merged.join(',');
            } else {
              failure = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown config operation ${c.configOperation}` };
              break;
            }
          }
          if (!failure) failure = await applyTopicConfigs(broker, res.resourceName, Object.entries(next).map(([name, value]) => ({ name, value })), req.validateOnly);
        }
      }
      responses.push({ ...base, errorCode: failure?.errorCode ?? ErrorCode.NONE, errorMessage: failure?.errorMessage ?? null });
    }
    return { throttleTimeMs: 0, responses };
  },
});
