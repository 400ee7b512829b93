// Integration, table-driven: every API key the broker serves (src/router/handlers/index.ts)
// under the ACL authorizer. For each API a principal without ACLs (User:ANONYMOUS on the
// plaintext listener) gets Kafka's error — TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED,
// CLUSTER_AUTHORIZATION_FAILED — or the filtered answer, and nothing changes (checked through the
// super user on the mTLS listener); with exactly the ACLs Kafka requires the same request
// succeeds. Each case removes its ACLs afterwards, so the cases do not see each other's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../../src/router/handlers/index.js';
import { apiRegistry } from '../../src/protocol/generated/messages/index.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { makeTestCerts } from '../helpers/certs.js';
import { GROUP_TEST_FLAGS, LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import type { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { AclOperation as Op, ResourceType as Res, binding, createAcls, deleteAcls, describeAcls, startSecuredBroker, type AclBinding, type SecuredBroker } from '../helpers/acls.js';
import { uniqueTopic } from '../helpers/topics.js';

const E = ErrorCode;
let secured: SecuredBroker;
let admin: RawKafkaConnection;
let anon: RawKafkaConnection;

beforeAll(async () => {
  secured = await startSecuredBroker(makeTestCerts(), [...LOCAL_STORE_FLAGS, ...GROUP_TEST_FLAGS]);
  admin = await secured.admin();
  anon = await secured.anonymous();
}, 60_000);
afterAll(() => {
  admin?.close();
  anon?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** One request through the generated codecs of `apiKey`. */
function call(c: RawKafkaConnection, apiKey: number, version: number, body: object): Promise<Any> {
  const codec = apiRegistry.get(apiKey)!;
  return c.request(apiKey, version, (w, v, m) => codec.encodeRequest(w, v, m), (r, v) => codec.decodeResponse(r, v), body);
}

const records = (n: number) => encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [], timestamp: Date.now() })) });

async function createTopic(name: string, partitions = 1): Promise<void> {
  const res = await call(admin, 19, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(res.topics[0].errorCode).toBe(E.NONE);
}
async function produceAsAdmin(topic: string, n: number): Promise<void> {
  const res = await call(admin, 0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: records(n) }] }] });
  expect(res.responses[0].partitionResponses[0].errorCode).toBe(E.NONE);
}
async function endOffset(topic: string): Promise<bigint> {
  const res = await call(admin, 2, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
  return res.topics[0].partitions[0].offset;
}
async function topicExists(topic: string): Promise<boolean> {
  const res = await call(admin, 3, 12, { topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return res.topics[0].errorCode === E.NONE;
}
async function partitionCount(topic: string): Promise<number> {
  const res = await call(admin, 3, 12, { topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return res.topics[0].partitions.length;
}
async function commitAsAdmin(group: string, topic: string, offset: bigint): Promise<void> {
  const res = await call(admin, 8, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
  expect(res.topics[0].partitions[0].errorCode).toBe(E.NONE);
}
async function committed(group: string, topic: string): Promise<bigint> {
  const res = await call(admin, 9, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [0] }], groups: [], requireStable: false });
  return res.topics[0].partitions[0].committedOffset;
}
async function topicConfig(topic: string, name: string): Promise<string | null> {
  const res = await call(admin, 32, 4, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: [name] }], includeSynonyms: false, includeDocumentation: false });
  return res.results[0].configs[0]?.value ?? null;
}

interface Names {
  topic: string;
  group: string;
}

interface Case {
  key: number;
  version: number;
  /** Set-up through the super user before the two requests. */
  setup?: (n: Names) => Promise<void>;
  request: (n: Names) => object;
  /** ACLs User:ANONYMOUS needs (Kafka's checks for this API). */
  acls: (n: Names) => AclBinding[];
  denied: (res: Any, n: Names) => void | Promise<void>;
  allowed: (res: Any, n: Names) => void | Promise<void>;
}

const topicAcl = (op: number) => (n: Names) => [binding({ resourceName: n.topic, operation: op })];
const groupAcl = (op: number, name: (n: Names) => string = (n) => n.group) => (n: Names) => [binding({ resourceType: Res.GROUP, resourceName: name(n), operation: op })];
const clusterAcl = (...ops: number[]) => () => ops.map((op) => binding({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', operation: op }));
const withTopic = (messages = 0) => async (n: Names) => {
  await createTopic(n.topic);
  if (messages > 0) await produceAsAdmin(n.topic, messages);
};
const joinBody = (n: Names) => ({ groupId: n.group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });

/** APIs every principal may call (no ACL, as in Kafka): ApiVersions and the SASL APIs. */
const NO_ACL_APIS = new Set([17, 18, 36]);

const cases: Case[] = [
  {
    key: 0, version: 9, setup: withTopic(1),
    request: (n) => ({ transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: n.topic, partitionData: [{ index: 0, records: records(3) }] }, { name: `${n.topic}-missing`, partitionData: [{ index: 0, records: records(1) }] }] }),
    acls: topicAcl(Op.WRITE),
    denied: async (res, n) => {
      // The missing topic is not revealed as missing: TOPIC_AUTHORIZATION_FAILED too.
      expect(res.responses.map((t: Any) => t.partitionResponses[0].errorCode)).toEqual([E.TOPIC_AUTHORIZATION_FAILED, E.TOPIC_AUTHORIZATION_FAILED]);
      expect(await endOffset(n.topic)).toBe(1n);
    },
    allowed: async (res, n) => {
      expect(res.responses.map((t: Any) => t.partitionResponses[0].errorCode)).toEqual([E.NONE, E.TOPIC_AUTHORIZATION_FAILED]);
      expect(await endOffset(n.topic)).toBe(4n);
    },
  },
  {
    key: 1, version: 12, setup: withTopic(2),
    request: (n) => ({ clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: n.topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }], forgottenTopicsData: [], rackId: '' }),
    acls: topicAcl(Op.READ),
    denied: (res) => {
      expect(res.responses[0].partitions[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
      expect(res.responses[0].partitions[0].records?.length ?? 0).toBe(0);
    },
    allowed: (res) => {
      expect(res.responses[0].partitions[0].errorCode).toBe(E.NONE);
      expect(res.responses[0].partitions[0].records.length).toBeGreaterThan(0);
    },
  },
  {
    key: 2, version: 7, setup: withTopic(2),
    request: (n) => ({ replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }),
    acls: topicAcl(Op.DESCRIBE),
    denied: (res) => expect(res.topics[0].partitions[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED),
    allowed: (res) => expect([res.topics[0].partitions[0].errorCode, res.topics[0].partitions[0].offset]).toEqual([E.NONE, 2n]),
  },
  {
    key: 3, version: 12, setup: withTopic(),
    request: (n) => ({ topics: [{ topicId: Buffer.alloc(16), name: n.topic }, { topicId: Buffer.alloc(16), name: `${n.topic}-missing` }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
    // DESCRIBE on both names; CREATE on the missing one for auto-creation.
    acls: (n) => [binding({ resourceName: n.topic, operation: Op.DESCRIBE }), binding({ resourceName: `${n.topic}-missing`, operation: Op.CREATE }), binding({ resourceName: `${n.topic}-missing`, operation: Op.DESCRIBE })],
    denied: async (res, n) => {
      expect(res.topics.map((t: Any) => t.errorCode)).toEqual([E.TOPIC_AUTHORIZATION_FAILED, E.TOPIC_AUTHORIZATION_FAILED]);
      expect(await topicExists(`${n.topic}-missing`)).toBe(false);
      const all = await call(anon, 3, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      expect(all.topics.map((t: Any) => t.name)).not.toContain(n.topic);
    },
    allowed: async (res, n) => {
      expect(res.topics.map((t: Any) => t.errorCode)).toEqual([E.NONE, E.NONE]);
      expect(await topicExists(`${n.topic}-missing`)).toBe(true);
      const all = await call(anon, 3, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      expect(all.topics.map((t: Any) => t.name).sort()).toEqual([n.topic, `${n.topic}-missing`].sort());
      // KIP-430 bits: DESCRIBE only on the first topic, CREATE and DESCRIBE on the second.
      const ops = await call(anon, 3, 12, { topics: [{ topicId: Buffer.alloc(16), name: n.topic }, { topicId: Buffer.alloc(16), name: `${n.topic}-missing` }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true });
      expect(ops.topics.map((t: Any) => t.topicAuthorizedOperations)).toEqual([1 << Op.DESCRIBE, (1 << Op.DESCRIBE) | (1 << Op.CREATE)]);
    },
  },
  {
    key: 8, version: 8, setup: withTopic(5),
    request: (n) => ({ groupId: n.group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] }),
    acls: (n) => [...groupAcl(Op.READ)(n), ...topicAcl(Op.READ)(n)],
    denied: async (res, n) => {
      expect(res.topics[0].partitions[0].errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
      // READ on the group alone: the topic is refused.
      await createAcls(admin, groupAcl(Op.READ)(n));
      const topicOnly = await call(anon, 8, 8, cases.find((c) => c.key === 8)!.request(n));
      expect(topicOnly.topics[0].partitions[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
      expect(await committed(n.group, n.topic)).toBe(-1n);
    },
    allowed: async (res, n) => {
      expect(res.topics[0].partitions[0].errorCode).toBe(E.NONE);
      expect(await committed(n.group, n.topic)).toBe(3n);
    },
  },
  {
    key: 9, version: 7, setup: async (n) => { await createTopic(n.topic); await commitAsAdmin(n.group, n.topic, 7n); },
    request: (n) => ({ groupId: n.group, topics: [{ name: n.topic, partitionIndexes: [0] }], groups: [], requireStable: false }),
    acls: (n) => [...groupAcl(Op.DESCRIBE)(n), ...topicAcl(Op.DESCRIBE)(n)],
    denied: async (res, n) => {
      expect(res.errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
      await createAcls(admin, groupAcl(Op.DESCRIBE)(n));
      const topicOnly = await call(anon, 9, 7, { groupId: n.group, topics: [{ name: n.topic, partitionIndexes: [0] }], groups: [], requireStable: false });
      expect([topicOnly.errorCode, topicOnly.topics[0].partitions[0].errorCode, topicOnly.topics[0].partitions[0].committedOffset]).toEqual([E.NONE, E.TOPIC_AUTHORIZATION_FAILED, -1n]);
      const all = await call(anon, 9, 7, { groupId: n.group, topics: null, groups: [], requireStable: false });
      expect(all.topics).toEqual([]);
    },
    allowed: (res) => expect([res.errorCode, res.topics[0].partitions[0].committedOffset]).toEqual([E.NONE, 7n]),
  },
  {
    key: 10, version: 3,
    request: (n) => ({ key: n.group, keyType: 0, coordinatorKeys: [] }),
    acls: groupAcl(Op.DESCRIBE),
    denied: (res) => expect(res.errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED),
    allowed: (res) => expect([res.errorCode, res.port]).toEqual([E.NONE, secured.broker.port]),
  },
  {
    key: 11, version: 3,
    request: joinBody,
    acls: groupAcl(Op.READ),
    denied: async (res, n) => {
      expect(res.errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
      const d = await call(admin, 15, 5, { groups: [n.group], includeAuthorizedOperations: false });
      expect(d.groups[0].members).toEqual([]);
    },
    allowed: (res) => expect([res.errorCode, res.members.length]).toEqual([E.NONE, 1]),
  },
  {
    key: 12, version: 3,
    request: (n) => ({ groupId: n.group, generationId: 1, memberId: 'nobody', groupInstanceId: null }),
    acls: groupAcl(Op.READ),
    denied: (res) => expect(res.errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED),
    // Authorised: the group logic answers (this member is unknown).
    allowed: (res) => expect(res.errorCode).toBe(E.UNKNOWN_MEMBER_ID),
  },
  {
    key: 13, version: 3,
    setup: async (n) => {
      expect((await call(admin, 11, 3, joinBody(n))).errorCode).toBe(E.NONE);
    },
    request: (n) => ({ groupId: n.group, memberId: '', members: [{ memberId: 'nobody', groupInstanceId: null, reason: null }] }),
    acls: groupAcl(Op.READ),
    denied: (res) => expect(res.errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED),
    allowed: (res) => expect([res.errorCode, res.members[0]?.errorCode]).toEqual([E.NONE, E.UNKNOWN_MEMBER_ID]),
  },
  {
    key: 14, version: 3,
    request: (n) => ({ groupId: n.group, generationId: 1, memberId: 'nobody', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
    acls: groupAcl(Op.READ),
    denied: (res) => expect(res.errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED),
    allowed: (res) => expect(res.errorCode).toBe(E.UNKNOWN_MEMBER_ID),
  },
  {
    key: 15, version: 5,
    setup: async (n) => {
      expect((await call(admin, 11, 3, joinBody(n))).errorCode).toBe(E.NONE);
    },
    request: (n) => ({ groups: [n.group], includeAuthorizedOperations: true }),
    acls: groupAcl(Op.DESCRIBE),
    denied: (res) => expect([res.groups[0].errorCode, res.groups[0].members]).toEqual([E.GROUP_AUTHORIZATION_FAILED, []]),
    // DESCRIBE only: the authorized-operations bits say so (bit 8).
    allowed: (res) => expect([res.groups[0].errorCode, res.groups[0].members.length, res.groups[0].authorizedOperations]).toEqual([E.NONE, 1, 1 << Op.DESCRIBE]),
  },
  {
    key: 16, version: 4,
    setup: async (n) => {
      expect((await call(admin, 11, 3, joinBody(n))).errorCode).toBe(E.NONE);
    },
    request: () => ({ statesFilter: [], typesFilter: [] }),
    acls: groupAcl(Op.DESCRIBE),
    denied: async (res, n) => {
      expect(res.errorCode).toBe(E.NONE);
      expect(res.groups.map((g: Any) => g.groupId)).not.toContain(n.group);
      const all = await call(admin, 16, 4, { statesFilter: [], typesFilter: [] });
      expect(all.groups.map((g: Any) => g.groupId)).toContain(n.group);
    },
    allowed: (res, n) => expect(res.groups.map((g: Any) => g.groupId)).toEqual([n.group]),
  },
  {
    key: 19, version: 5,
    request: (n) => ({ topics: [{ name: n.topic, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }),
    acls: topicAcl(Op.CREATE),
    denied: async (res, n) => {
      expect(res.topics[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
      expect(await topicExists(n.topic)).toBe(false);
    },
    allowed: async (res, n) => {
      expect(res.topics[0].errorCode).toBe(E.NONE);
      expect(await partitionCount(n.topic)).toBe(2);
    },
  },
  {
    key: 20, version: 5, setup: withTopic(),
    request: (n) => ({ topics: [], topicNames: [n.topic, `${n.topic}-missing`], timeoutMs: 5000 }),
    acls: topicAcl(Op.DELETE),
    denied: async (res, n) => {
      expect(res.responses.map((r: Any) => r.errorCode)).toEqual([E.TOPIC_AUTHORIZATION_FAILED, E.TOPIC_AUTHORIZATION_FAILED]);
      expect(await topicExists(n.topic)).toBe(true);
    },
    allowed: async (res, n) => {
      expect(res.responses.map((r: Any) => r.errorCode)).toEqual([E.NONE, E.TOPIC_AUTHORIZATION_FAILED]);
      expect(await topicExists(n.topic)).toBe(false);
    },
  },
  {
    key: 21, version: 1, setup: withTopic(4),
    request: (n) => ({ topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 5000 }),
    acls: topicAcl(Op.DELETE),
    denied: async (res, n) => {
      expect(res.topics[0].partitions[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
      const earliest = await call(admin, 2, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }] });
      expect(earliest.topics[0].partitions[0].offset).toBe(0n);
    },
    allowed: (res) => expect([res.topics[0].partitions[0].errorCode, res.topics[0].partitions[0].lowWatermark]).toEqual([E.NONE, 2n]),
  },
  {
    key: 22, version: 4,
    request: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
    // KIP-679: WRITE on any topic (or IDEMPOTENT_WRITE on the cluster).
    acls: topicAcl(Op.WRITE),
    denied: (res) => expect(res.errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED),
    allowed: (res) => expect([res.errorCode, res.producerId >= 0n]).toEqual([E.NONE, true]),
  },
  {
    key: 23, version: 3, setup: withTopic(1),
    request: (n) => ({ replicaId: -1, topics: [{ topic: n.topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    acls: topicAcl(Op.DESCRIBE),
    denied: (res) => expect(res.topics[0].partitions[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED),
    allowed: (res) => expect([res.topics[0].partitions[0].errorCode, res.topics[0].partitions[0].endOffset]).toEqual([E.NONE, 1n]),
  },
  {
    key: 29, version: 3,
    request: () => ({ resourceTypeFilter: Res.ANY, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: 1 }),
    acls: clusterAcl(Op.DESCRIBE),
    denied: (res) => expect([res.errorCode, res.resources]).toEqual([E.CLUSTER_AUTHORIZATION_FAILED, []]),
    allowed: (res) => expect([res.errorCode, res.resources.length > 0]).toEqual([E.NONE, true]),
  },
  {
    key: 30, version: 3,
    request: (n) => ({ creations: [{ resourceType: Res.TOPIC, resourceName: n.topic, resourcePatternType: 3, principal: 'User:eve', host: '*', operation: Op.READ, permissionType: 3 }] }),
    acls: clusterAcl(Op.ALTER),
    denied: async (res, n) => {
      expect(res.results[0].errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
      expect((await describeAcls(admin, { resourceNameFilter: n.topic })).resources).toEqual([]);
    },
    allowed: async (res, n) => {
      expect(res.results[0].errorCode).toBe(E.NONE);
      expect((await describeAcls(admin, { resourceNameFilter: n.topic })).resources.flatMap((r) => r.acls.map((a) => a.principal))).toEqual(['User:eve']);
    },
  },
  {
    key: 31, version: 3,
    setup: (n) => createAcls(admin, [binding({ resourceName: n.topic, principal: 'User:eve', operation: Op.READ })]),
    request: (n) => ({ filters: [{ resourceTypeFilter: Res.TOPIC, resourceNameFilter: n.topic, patternTypeFilter: 1, principalFilter: 'User:eve', hostFilter: null, operation: Op.ANY, permissionType: 1 }] }),
    acls: clusterAcl(Op.ALTER),
    denied: async (res, n) => {
      expect(res.filterResults[0].errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
      expect((await describeAcls(admin, { resourceNameFilter: n.topic })).resources.length).toBe(1);
    },
    allowed: async (res, n) => {
      expect(res.filterResults[0].matchingAcls.map((a: Any) => a.principal)).toEqual(['User:eve']);
      expect((await describeAcls(admin, { resourceNameFilter: n.topic })).resources).toEqual([]);
    },
  },
  {
    key: 32, version: 4, setup: withTopic(),
    request: (n) => ({ resources: [{ resourceType: 2, resourceName: n.topic, configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }], includeSynonyms: false, includeDocumentation: false }),
    acls: (n) => [...topicAcl(Op.DESCRIBE_CONFIGS)(n), ...clusterAcl(Op.DESCRIBE_CONFIGS)()],
    denied: (res) => expect(res.results.map((r: Any) => [r.errorCode, r.configs.length])).toEqual([[E.TOPIC_AUTHORIZATION_FAILED, 0], [E.CLUSTER_AUTHORIZATION_FAILED, 0]]),
    allowed: (res) => {
      expect(res.results.map((r: Any) => r.errorCode)).toEqual([E.NONE, E.NONE]);
      expect(res.results[0].configs.length).toBeGreaterThan(0);
    },
  },
  {
    key: 33, version: 1, setup: withTopic(),
    request: (n) => ({ resources: [{ resourceType: 2, resourceName: n.topic, configs: [{ name: 'retention.ms', value: '12345' }] }], validateOnly: false }),
    acls: topicAcl(Op.ALTER_CONFIGS),
    denied: async (res, n) => {
      expect(res.responses[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
      expect(await topicConfig(n.topic, 'retention.ms')).not.toBe('12345');
    },
    allowed: async (res, n) => {
      expect(res.responses[0].errorCode).toBe(E.NONE);
      expect(await topicConfig(n.topic, 'retention.ms')).toBe('12345');
    },
  },
  {
    key: 35, version: 4, setup: withTopic(1),
    request: () => ({ topics: null }),
    acls: clusterAcl(Op.DESCRIBE),
    denied: (res) => expect([res.errorCode, res.results]).toEqual([E.CLUSTER_AUTHORIZATION_FAILED, []]),
    allowed: (res) => expect([res.errorCode, res.results.length]).toEqual([E.NONE, 1]),
  },
  {
    key: 37, version: 3, setup: withTopic(),
    request: (n) => ({ topics: [{ name: n.topic, count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false }),
    acls: topicAcl(Op.ALTER),
    denied: async (res, n) => {
      expect(res.results[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
      expect(await partitionCount(n.topic)).toBe(1);
    },
    allowed: async (res, n) => {
      expect(res.results[0].errorCode).toBe(E.NONE);
      expect(await partitionCount(n.topic)).toBe(3);
    },
  },
  {
    key: 42, version: 2,
    setup: async (n) => { await createTopic(n.topic); await commitAsAdmin(n.group, n.topic, 1n); },
    request: (n) => ({ groupsNames: [n.group] }),
    acls: groupAcl(Op.DELETE),
    denied: async (res, n) => {
      expect(res.results[0].errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
      expect(await committed(n.group, n.topic)).toBe(1n);
    },
    allowed: async (res, n) => {
      expect(res.results[0].errorCode).toBe(E.NONE);
      expect(await committed(n.group, n.topic)).toBe(-1n);
    },
  },
  {
    key: 44, version: 1, setup: withTopic(),
    request: (n) => ({ resources: [{ resourceType: 2, resourceName: n.topic, configs: [{ name: 'retention.ms', configOperation: 0, value: '54321' }] }], validateOnly: false }),
    acls: topicAcl(Op.ALTER_CONFIGS),
    denied: async (res, n) => {
      expect(res.responses[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED);
      expect(await topicConfig(n.topic, 'retention.ms')).not.toBe('54321');
    },
    allowed: async (res, n) => {
      expect(res.responses[0].errorCode).toBe(E.NONE);
      expect(await topicConfig(n.topic, 'retention.ms')).toBe('54321');
    },
  },
  {
    key: 45, version: 0, setup: withTopic(),
    request: (n) => ({ timeoutMs: 5000, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0, replicas: [1] }] }] }),
    acls: clusterAcl(Op.ALTER),
    denied: (res) => expect([res.errorCode, res.responses]).toEqual([E.CLUSTER_AUTHORIZATION_FAILED, []]),
    allowed: (res) => expect([res.errorCode, res.responses[0].partitions[0].errorCode]).toEqual([E.NONE, E.NONE]),
  },
  {
    key: 46, version: 0,
    request: () => ({ timeoutMs: 5000, topics: null }),
    acls: clusterAcl(Op.DESCRIBE),
    denied: (res) => expect(res.errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED),
    allowed: (res) => expect(res.errorCode).toBe(E.NONE),
  },
  {
    key: 47, version: 0,
    setup: async (n) => { await createTopic(n.topic); await commitAsAdmin(n.group, n.topic, 2n); },
    request: (n) => ({ groupId: n.group, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0 }] }] }),
    acls: (n) => [...groupAcl(Op.DELETE)(n), ...topicAcl(Op.READ)(n)],
    denied: async (res, n) => {
      expect(res.errorCode).toBe(E.GROUP_AUTHORIZATION_FAILED);
      await createAcls(admin, groupAcl(Op.DELETE)(n));
      const topicOnly = await call(anon, 47, 0, { groupId: n.group, topics: [{ name: n.topic, partitions: [{ partitionIndex: 0 }] }] });
      expect([topicOnly.errorCode, topicOnly.topics[0].partitions[0].errorCode]).toEqual([E.NONE, E.TOPIC_AUTHORIZATION_FAILED]);
      expect(await committed(n.group, n.topic)).toBe(2n);
    },
    allowed: async (res, n) => {
      expect([res.errorCode, res.topics[0].partitions[0].errorCode]).toEqual([E.NONE, E.NONE]);
      expect(await committed(n.group, n.topic)).toBe(-1n);
    },
  },
  {
    key: 48, version: 1,
    request: () => ({ components: [{ entityType: 'user', matchType: 0, match: 'acl-quota-user' }], strict: false }),
    acls: clusterAcl(Op.DESCRIBE_CONFIGS),
    denied: (res) => expect(res.errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED),
    allowed: (res) => expect(res.errorCode).toBe(E.NONE),
  },
  {
    key: 49, version: 1,
    request: (n) => ({ entries: [{ entity: [{ entityType: 'user', entityName: n.group }], ops: [{ key: 'producer_byte_rate', value: 1048576, remove: false }] }], validateOnly: false }),
    acls: clusterAcl(Op.ALTER_CONFIGS),
    denied: async (res, n) => {
      expect(res.entries[0].errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
      const listed = await call(admin, 48, 1, { components: [{ entityType: 'user', matchType: 0, match: n.group }], strict: false });
      expect(listed.entries).toEqual([]);
    },
    allowed: async (res, n) => {
      expect(res.entries[0].errorCode).toBe(E.NONE);
      const listed = await call(admin, 48, 1, { components: [{ entityType: 'user', matchType: 0, match: n.group }], strict: false });
      expect(listed.entries.length).toBe(1);
    },
  },
  {
    key: 50, version: 0,
    request: () => ({ users: null }),
    acls: clusterAcl(Op.DESCRIBE),
    denied: (res) => expect(res.errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED),
    allowed: (res) => expect(res.errorCode).toBe(E.NONE),
  },
  {
    key: 51, version: 0,
    request: () => ({ deletions: [{ name: 'nobody-here', mechanism: 1 }], upsertions: [] }),
    acls: clusterAcl(Op.ALTER),
    denied: (res) => expect(res.results[0].errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED),
    // Authorised: the credential logic answers (no such credential).
    allowed: (res) => expect(res.results[0].errorCode).toBe(E.RESOURCE_NOT_FOUND),
  },
  {
    key: 60, version: 1,
    request: () => ({ includeClusterAuthorizedOperations: true, endpointType: 1 }),
    // No ACL is needed (as in Kafka); the authorized-operations bits follow the ACLs.
    acls: clusterAcl(Op.DESCRIBE),
    denied: (res) => expect([res.errorCode, res.brokers.length, res.clusterAuthorizedOperations]).toEqual([E.NONE, 1, 0]),
    allowed: (res) => expect([res.errorCode, res.clusterAuthorizedOperations]).toEqual([E.NONE, 1 << Op.DESCRIBE]),
  },
  {
    key: 61, version: 0, setup: withTopic(1),
    request: (n) => ({ topics: [{ name: n.topic, partitionIndexes: [0] }] }),
    acls: topicAcl(Op.READ),
    denied: (res) => expect(res.topics[0].partitions[0].errorCode).toBe(E.TOPIC_AUTHORIZATION_FAILED),
    allowed: (res) => expect(res.topics[0].partitions[0].errorCode).toBe(E.NONE),
  },
];

describe('authorization of every API', () => {
  it('the table covers every API key the broker serves', () => {
    const covered = new Set([...cases.map((c) => c.key), ...NO_ACL_APIS]);
    expect([...new Set(handlers.map((h) => h.apiKey))].sort((a, b) => a - b)).toEqual([...covered].sort((a, b) => a - b));
  });

  it.each(cases.map((c) => [`${apiRegistry.get(c.key)!.name} (key ${c.key}) v${c.version}`, c] as const))('%s: refused without its ACLs, served with them', async (_name, c) => {
    const n: Names = { topic: uniqueTopic(`acl-${c.key}`), group: `${uniqueTopic(`acl-g-${c.key}`)}` };
    await c.setup?.(n);
    await c.denied(await call(anon, c.key, c.version, c.request(n)), n);
    const acls = c.acls(n);
    await createAcls(admin, acls);
    try {
      await c.allowed(await call(anon, c.key, c.version, c.request(n)), n);
    } finally {
      // Every ACL naming this case's resources, and the case's cluster ACLs.
      await deleteAcls(admin, acls);
      await deleteAcls(admin, [...groupAcl(Op.READ)(n), ...groupAcl(Op.DESCRIBE)(n), ...groupAcl(Op.DELETE)(n)]);
    }
  });

  it('ApiVersions needs no ACL', async () => {
    const res = await call(anon, 18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(res.errorCode).toBe(E.NONE);
    expect(res.apiKeys.map((k: Any) => k.apiKey)).toEqual(expect.arrayContaining([29, 30, 31]));
  });
});
