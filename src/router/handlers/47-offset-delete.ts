// Thread: main. OffsetDelete (key 47), version 0.
// Deletes committed offsets of a group. GROUP_ID_NOT_FOUND for unknown groups; for a consumer
// group with members, partitions of topics it subscribes to answer GROUP_SUBSCRIBED_TO_TOPIC;
// a non-consumer group with members answers NON_EMPTY_GROUP.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DELETE on the group (GROUP_AUTHORIZATION_FAILED), then READ on each topic (TOPIC_AUTHORIZATION_FAILED).
import {
  decodeOffsetDeleteRequest,
  encodeOffsetDeleteResponse,
  offsetDeleteApi,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
} from '../../protocol/generated/messages/47-offset-delete.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { AclOperation, authorizeGroup, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: offsetDeleteApi.apiKey,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeOffsetDeleteRequest,
  encodeResponse: encodeOffsetDeleteResponse,
  async handle(ctx, req) {
    // ACLs (as Kafka): DELETE on the group, then READ on each topic (refused topics keep their offsets).
    if (!authorizeGroup(ctx, AclOperation.DELETE, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const canRead = topicChecker(ctx, AclOperation.READ);
    const refs = req.topics.filter((t) => canRead(t.name)).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const { errorCode, codes } = await ctx.broker.groups.deleteOffsets(req.groupId, refs);
    if (errorCode !== ErrorCode.NONE) return { errorCode, throttleTimeMs: 0, topics: [] };
    let i = 0;
    return {
      errorCode,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: canRead(t.name) ? codes[i++]! : ErrorCode.TOPIC_AUTHORIZATION_FAILED })) })),
    };
  },
});
