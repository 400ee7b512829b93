// Thread: main. CreatePartitions (key 37), versions 0–3.
// Grows a topic to `count` partitions (never shrinks: INVALID_PARTITIONS); validateOnly checks only.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): ALTER on each topic, else TOPIC_AUTHORIZATION_FAILED.
import {
  createPartitionsApi,
  decodeCreatePartitionsRequest,
  encodeCreatePartitionsResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from '../../protocol/generated/messages/37-create-partitions.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { AclOperation, authorizeTopic } from './authz.js';
import { defineHandler } from './types.js';

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: createPartitionsApi.apiKey,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  decodeRequest: decodeCreatePartitionsRequest,
  encodeResponse: encodeCreatePartitionsResponse,
  async handle(ctx, req) {
    const results: CreatePartitionsResponse['results'] = [];
    for (const t of req.topics) {
      // ACLs (as Kafka): ALTER on the topic.
      if (!authorizeTopic(ctx, AclOperation.ALTER, t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      const failure = await ctx.broker.topics.createPartitions(t.name, t.count, t.assignments !== null && t.assignments.length > 0, req.validateOnly);
      results.push({ name: t.name, errorCode: failure?.errorCode ?? ErrorCode.NONE, errorMessage: failure?.errorMessage ?? null });
    }
    return { throttleTimeMs: 0, results };
  },
});
