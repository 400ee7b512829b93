// Thread: main. CreateTopics (key 19), versions 0–7.
// numPartitions / replicationFactor -1 take broker defaults (v4+ semantics, accepted on all
// versions); replication factor above 1 is refused (single broker). Configs are validated
// by Kafka's topic config names; validateOnly checks without creating. v5+ answers the
// resulting partition count, replication factor and configs; v7+ the topic id.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): CREATE on the cluster, else on each topic (TOPIC_AUTHORIZATION_FAILED).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  createTopicsApi,
  decodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../../protocol/generated/messages/19-create-topics.js';
import { describeTopicConfigs } from '../../metadata/topic-configs.js';
import { topicIdToWire, ZERO_UUID } from './topic-ids.js';
import { AclOperation, CLUSTER_RESOURCE, ResourceType, authorizeTopic, permits } from './authz.js';
import { defineHandler } from './types.js';

type TopicResult = CreateTopicsResponse['topics'][number];

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: createTopicsApi.apiKey,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  decodeRequest: decodeCreateTopicsRequest,
  encodeResponse: encodeCreateTopicsResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const topics: TopicResult[] = [];
    // ACLs (as Kafka): CREATE on the cluster, else CREATE on each topic.
    const createAny = permits(ctx, AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_RESOURCE);
    for (const t of req.topics) {
      const base: TopicResult = {
        name: t.name,
        topicId: ZERO_UUID,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      };
      if (seen.get(t.name)! > 1) {
        topics.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create topics request from client contains multiple entries for topic '${t.name}'` });
        continue;
      }
      if (!createAny && !authorizeTopic(ctx, AclOperation.CREATE, t.name)) {
        topics.push({ ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      const result = await broker.topics.create({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        configs: t.configs.map((c) => ({ name: c.name, value: c.value })),
        hasAssignments: t.assignments.length > 0,
        validateOnly: req.validateOnly,
      });
      if (!result.ok) {
        topics.push({ ...base, errorCode: result.errorCode, errorMessage: result.errorMessage });
        continue;
      }
      const configs = describeTopicConfigs(result.topic.configs, broker.config, broker.explicitKeys).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: false,
        configSource: c.source,
        isSensitive: false,
      }));
      topics.push({
        ...base,
        topicId: req.validateOnly ? ZERO_UUID : topicIdToWire(result.topic.topicId),
        numPartitions: result.numPartitions,
        replicationFactor: 1,
        configs,
      });
    }
    return { throttleTimeMs: 0, topics };
  },
});
