// Thread: main. OffsetDelete (key 47), version 0.
// Deletes committed offsets of a group. GROUP_ID_NOT_FOUND for unknown groups; for a consumer
// group with members, partitions of topics it subscribes to answer GROUP_SUBSCRIBED_TO_TOPIC;
// a non-consumer group with members answers NON_EMPTY_GROUP.
import {
  decodeOffsetDeleteRequest,
  encodeOffsetDeleteResponse,
  offsetDeleteApi,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
} from '../../protocol/generated/messages/47-offset-delete.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { defineHandler } from './types.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: offsetDeleteApi.apiKey,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeOffsetDeleteRequest,
  encodeResponse: encodeOffsetDeleteResponse,
  async handle(ctx, req) {
    const refs = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const { errorCode, codes } = await ctx.broker.groups.deleteOffsets(req.groupId, refs);
    if (errorCode !== ErrorCode.NONE) return { errorCode, throttleTimeMs: 0, topics: [] };
    let i = 0;
    return {
      errorCode,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++]! })) })),
    };
  },
});
