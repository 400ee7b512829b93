// Thread: main. AlterConfigs (key 33), versions 0–2.
// Non-incremental: the given set replaces all of the topic's overrides. Broker configs are
// static (INVALID_REQUEST with an explanation).
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or the cluster for broker resources (CLUSTER_AUTHORIZATION_FAILED).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  alterConfigsApi,
  decodeAlterConfigsRequest,
  encodeAlterConfigsResponse,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
} from '../../protocol/generated/messages/33-alter-configs.js';
import { applyTopicConfigs, brokerAlterRefused, configAuthorizationError, ResourceType } from './config-resources.js';
import { AclOperation } from './authz.js';
import { defineHandler } from './types.js';

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: alterConfigsApi.apiKey,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeAlterConfigsRequest,
  encodeResponse: encodeAlterConfigsResponse,
  async handle(ctx, req) {
    const responses: AlterConfigsResponse['responses'] = [];
    for (const res of req.resources) {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      let failure: ReturnType<typeof configAuthorizationError> | null = configAuthorizationError(ctx, AclOperation.ALTER_CONFIGS, res.resourceType, res.resourceName);
      if (failure !== undefined) {
        // refused: nothing changes
      } else if (res.resourceType === ResourceType.TOPIC) {
        failure = await applyTopicConfigs(ctx.broker, res.resourceName, res.configs.map((c) => ({ name: c.name, value: c.value })), req.validateOnly);
      } else if (res.resourceType === ResourceType.BROKER) failure = brokerAlterRefused();
      else failure = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${res.resourceType}` };
      responses.push({ ...base, errorCode: failure?.errorCode ?? ErrorCode.NONE, errorMessage: failure?.errorMessage ?? null });
    }
    return { throttleTimeMs: 0, responses };
  },
});
