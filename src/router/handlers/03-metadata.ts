// Thread: main. Metadata (key 3), versions 0–12.
// A single broker leads every partition (leader epoch 0, replicas = ISR = [this node]); in
// cluster mode with partition leadership the brokers are the live ones and each partition's
// leader and epoch come from the leadership snapshot (handlers/leadership.ts). Replicas are the
// brokers that can take the partition over without loss: for a topic made durable through the
// bucket (remote storage with write-ahead objects, src/wal) every live broker, leader first
// (ISR = the live ones); for any other topic only its leader, whose disk alone holds it. Every path (all topics, by name, by id) reads the one metadata store, which a
// deletion updates in one synchronous step: a deleted topic is absent from the next answer.
// Topics: v0 empty list = all; v1+ null = all. v4+ AllowAutoTopicCreation (and the broker's
// auto.create.topics.enable) creates unknown topics with broker defaults. v10+ returns topic
// ids and accepts topics by id (v10–11 only look up by name here; by-id lookups answer
// UNKNOWN_TOPIC_ID when unknown). v12 may return a null name for id lookups.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): all topics: those with DESCRIBE; named ones without it TOPIC_AUTHORIZATION_FAILED; auto-creation needs CREATE on the cluster or topic.
import type { BrokerContext } from '../../broker-context.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  metadataApi,
  type MetadataRequest,
  type MetadataResponse,
} from '../../protocol/generated/messages/03-metadata.js';
import type { TopicRecord } from '../../metadata/metadata-store.js';
import { topicNameProblem } from '../../metadata/topic-manager.js';
import { topicIdFromWire, topicIdToWire, ZERO_UUID } from './topic-ids.js';
import { leaderOf } from './leadership.js';
import { brokerEndpoint, selfEndpoint } from './endpoints.js';
import { AclOperation, CLUSTER_RESOURCE, ResourceType, authorizeCluster, authorizeTopic, authorizedOperations, authorizing, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

type TopicEntry = MetadataResponse['topics'][number];
const NO_AUTHORIZED_OPERATIONS = -2147483648;
const TOPIC_OPERATIONS = [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS];
const CLUSTER_OPERATIONS = [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE];

function topicEntry(broker: BrokerContext, name: string, topic: TopicRecord, live: ReadonlySet<number> | undefined): TopicEntry {
  const partitions: TopicEntry['partitions'] = [];
  const durable = broker.durability !== undefined && broker.topics.logConfig(topic).remoteStorageEnable;
  for (let p = 0; p < topic.partitions; p++) {
    // Single broker: this one, epoch 0. Cluster: the leadership snapshot (-1 while unplaced, and
    // while its leader is not live: the partition is offline until that broker returns).
    const led = leaderOf(broker, topic.topicId, p);
    const leaderId = live !== undefined && !live.has(led.leaderId) ? -1 : led.leaderId;
    const leaderEpoch = led.leaderEpoch;
    if (durable && live !== undefined) {
      const others = [...live].filter((id) => id !== led.leaderId).sort((a, b) => a - b);
      const replicaNodes = led.leaderId === -1 ? others : [led.leaderId, ...others];
      partitions.push({
        errorCode: leaderId === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
        partitionIndex: p,
        leaderId,
        leaderEpoch,
        replicaNodes,
        isrNodes: replicaNodes.filter((id) => live.has(id)),
        offlineReplicas: led.leaderId !== -1 && !live.has(led.leaderId) ? [led.leaderId] : [],
      });
      continue;
    }
    partitions.push({
      errorCode: leaderId === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p,
      leaderId,
      leaderEpoch,
      // Offline (its leader gone): Kafka's shape, the leader listed as an offline replica.
      replicaNodes: led.leaderId === -1 ? [] : [led.leaderId],
      isrNodes: leaderId === -1 ? [] : [leaderId],
      offlineReplicas: leaderId === -1 && led.leaderId !== -1 ? [led.leaderId] : [],
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name,
    topicId: topicIdToWire(topic.topicId),
    isInternal: false,
    partitions,
    topicAuthorizedOperations: NO_AUTHORIZED_OPERATIONS,
  };
}

function errorEntry(name: string | null, topicId: Buffer, errorCode: number): TopicEntry {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NO_AUTHORIZED_OPERATIONS };
}

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: metadataApi.apiKey,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  decodeRequest: decodeMetadataRequest,
  encodeResponse: encodeMetadataResponse,
  async handle(ctx, req) {
    const { broker, apiVersion } = ctx;
    const topics: TopicEntry[] = [];
    // Cluster mode with leadership: every live broker (clients connect to the leaders).
    const liveBrokers = broker.leadership !== undefined ? broker.cluster?.liveBrokers() : undefined;
    const live = liveBrokers !== undefined ? new Set(liveBrokers.map((b) => b.nodeId)) : undefined;
    const canDescribe = topicChecker(ctx, AclOperation.DESCRIBE);
    const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0);
    if (all) {
      // ACLs: topics the principal may not DESCRIBE are left out.
      for (const name of broker.topics.names()) if (canDescribe(name)) topics.push(topicEntry(broker, name, broker.topics.get(name)!, live));
    } else {
      const autoCreate = broker.config['auto.create.topics.enable'] && (apiVersion < 4 || req.allowAutoTopicCreation);
      for (const requested of req.topics!) {
        let name = requested.name;
        const byId = name === null || name === '';
        if (byId) {
          const found = apiVersion >= 10 ? broker.topics.nameById(topicIdFromWire(requested.topicId)) : undefined;
          if (!found) {
            topics.push(errorEntry(null, requested.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
            continue;
          }
          name = found;
        }
        const topicName = name!;
        // ACLs: no DESCRIBE answers TOPIC_AUTHORIZATION_FAILED whether or not the topic exists (no name for an id lookup).
        if (!canDescribe(topicName)) {
          topics.push(errorEntry(byId ? null : topicName, byId ? requested.topicId : ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        let topic = broker.topics.get(topicName);
        if (!topic) {
          if (topicNameProblem(topicName)) {
            topics.push(errorEntry(topicName, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
            continue;
          }
          if (!autoCreate) {
            topics.push(errorEntry(topicName, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            continue;
          }
          // Auto-creation needs CREATE on the cluster or on the topic.
          if (authorizing(ctx) && !authorizeCluster(ctx, AclOperation.CREATE) && !authorizeTopic(ctx, AclOperation.CREATE, topicName)) {
            topics.push(errorEntry(topicName, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          const created = await broker.topics.ensure(topicName);
          if ('errorCode' in created) {
            topics.push(errorEntry(topicName, ZERO_UUID, created.errorCode));
            continue;
          }
          topic = created;
        }
        topics.push(topicEntry(broker, topicName, topic, live));
      }
    }
    if (apiVersion >= 8 && req.includeTopicAuthorizedOperations) {
      for (const t of topics) if (t.errorCode === ErrorCode.NONE && t.name !== null) t.topicAuthorizedOperations = authorizedOperations(ctx, ResourceType.TOPIC, t.name, TOPIC_OPERATIONS);
    }
    return {
      throttleTimeMs: 0,
      brokers:
        liveBrokers !== undefined && liveBrokers.length > 0
          ? liveBrokers.map((b) => ({ nodeId: b.nodeId, ...brokerEndpoint(b, ctx.conn), rack: b.rack ?? null }))
          : [{ nodeId: broker.nodeId, ...selfEndpoint(broker, ctx.conn), rack: null }],
      clusterId: broker.clusterId,
      controllerId: liveBrokers !== undefined ? (broker.cluster?.controllerId() ?? broker.nodeId) : broker.nodeId,
      topics,
      // v8–10 may ask for the principal's cluster operations, v8+ for each topic's (KIP-430).
      clusterAuthorizedOperations: apiVersion >= 8 && apiVersion <= 10 && req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE, CLUSTER_OPERATIONS) : NO_AUTHORIZED_OPERATIONS,
    };
  },
});
