// Thread: main. DeleteTopics (key 20), versions 0–6.
// v0–5 name topics; v6 names or ids. The topic disappears from metadata (every Metadata path)
// at once, before its partition directories are removed by their workers; the answer comes
// once they are gone. A creation of the same name meanwhile waits for that removal (same
// directories); a deletion of a topic still being created waits for the creation to finish.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDeleteTopicsRequest,
  deleteTopicsApi,
  encodeDeleteTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/generated/messages/20-delete-topics.js';
import { topicIdFromWire, topicIdToWire, ZERO_UUID } from './topic-ids.js';
import { AclOperation, authorizeTopic } from './authz.js';
import { defineHandler } from './types.js';
import { forgetTopic } from '../../http/metrics.js';

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: deleteTopicsApi.apiKey,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  decodeRequest: decodeDeleteTopicsRequest,
  encodeResponse: encodeDeleteTopicsResponse,
  async handle(ctx, req) {
    const { broker, apiVersion } = ctx;
    const wanted: Array<{ name: string | null; topicId: Buffer }> =
      apiVersion >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeleteTopicsResponse['responses'] = [];
    for (const w of wanted) {
      let name = w.name;
      if (name === null) {
        name = broker.topics.nameById(topicIdFromWire(w.topicId)) ?? null;
        if (name === null) {
          responses.push({ name: null, topicId: w.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' });
          continue;
        }
      }
      // ACLs (as Kafka): DELETE on the topic, answered before existence (an id lookup names no topic).
      if (!authorizeTopic(ctx, AclOperation.DELETE, name)) {
        responses.push({ name: w.name, topicId: w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      const topic = broker.topics.get(name);
      const failure = await broker.topics.delete(name);
      if (!failure) forgetTopic(name);
      responses.push({
        name,
        topicId: topic ? topicIdToWire(topic.topicId) : w.topicId,
        errorCode: failure?.errorCode ?? ErrorCode.NONE,
        errorMessage: failure?.errorMessage ?? null,
      });
    }
    return { throttleTimeMs: 0, responses };
  },
});
