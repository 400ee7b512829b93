// Integration: the ACL APIs (CreateAcls, DescribeAcls, DeleteAcls) of a broker with
// authorizer.class.name set. KafkaJS's admin client, connected as the super user over mTLS,
// creates, lists (filters by resource, pattern MATCH) and deletes ACLs; a principal without
// ALTER/DESCRIBE on the cluster gets CLUSTER_AUTHORIZATION_FAILED and creates nothing; invalid
// bindings answer INVALID_REQUEST; ACLs survive a restart (acls.json); a broker without an
// authorizer answers SECURITY_DISABLED; an unknown authorizer class stops start-up readably.
import fs from 'node:fs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import kafkajs from 'kafkajs';
import { startBroker } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { LOCAL_STORE_FLAGS } from '../helpers/groups.js';
import { runProcess } from '../helpers/strata-cli.js';
import { ANONYMOUS, AclOperation, PatternType, PermissionType, ResourceType, binding, createAcls, describeAcls, securedHandles, startSecuredBroker, type SecuredBroker } from '../helpers/acls.js';
import { createAclsApi, decodeCreateAclsResponse, encodeCreateAclsRequest } from '../../src/protocol/generated/messages/index.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { uniqueTopic } from '../helpers/topics.js';

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

let certs: TestCerts;
let secured: SecuredBroker;

beforeAll(async () => {
  certs = makeTestCerts();
  secured = await startSecuredBroker(certs, LOCAL_STORE_FLAGS);
}, 60_000);

function adminClient() {
  return kafkaClient(`127.0.0.1:${secured.sslPort}`, {
    ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], cert: fs.readFileSync(certs.client.cert, 'utf8'), key: fs.readFileSync(certs.client.key, 'utf8'), servername: 'localhost' },
  }).admin();
}

describe('ACL APIs with KafkaJS as the super user', () => {
  it('creates, describes (filters, MATCH) and deletes ACLs', async () => {
    const topic = uniqueTopic('acl-api');
    const admin = adminClient();
    await admin.connect();
    try {
      await admin.createAcls({
        acl: [
          { resourceType: AclResourceTypes.TOPIC, resourceName: topic, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW },
          { resourceType: AclResourceTypes.TOPIC, resourceName: `${topic}-`, resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:bob', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.DENY },
          { resourceType: AclResourceTypes.GROUP, resourceName: `${topic}-g`, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:*', host: '10.0.0.1', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
        ],
      });
      const literal = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: topic, resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      expect(literal.resources).toEqual([
        { resourceType: AclResourceTypes.TOPIC, resourceName: topic, resourcePatternType: ResourcePatternTypes.LITERAL, acls: [{ principal: 'User:bob', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW }] },
      ]);
      // MATCH: every ACL that applies to the topic `${topic}-eu` (the prefixed DENY).
      const match = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: `${topic}-eu`, resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      expect(match.resources.map((r) => [r.resourceName, r.resourcePatternType])).toEqual([[`${topic}-`, ResourcePatternTypes.PREFIXED]]);
      const groups = await admin.describeAcls({ resourceType: AclResourceTypes.GROUP, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      expect(groups.resources.find((r) => r.resourceName === `${topic}-g`)?.acls).toEqual([{ principal: 'User:*', host: '10.0.0.1', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }]);
      const deleted = await admin.deleteAcls({
        filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: `${topic}`, resourcePatternType: ResourcePatternTypes.ANY, principal: 'User:bob', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
      });
      expect(deleted.filterResponses[0]!.matchingAcls.map((a) => [a.resourceName, a.operation])).toEqual([[topic, AclOperationTypes.WRITE]]);
      const after = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: topic, resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      expect(after.resources).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses a principal without ALTER / DESCRIBE on the cluster, and stores nothing', async () => {
    const anon = await secured.anonymous();
    const admin = await secured.admin();
    try {
      const topic = uniqueTopic('acl-denied');
      const res = await anon.request(createAclsApi.apiKey, 3, encodeCreateAclsRequest, decodeCreateAclsResponse, {
        creations: [{ resourceType: ResourceType.TOPIC, resourceName: topic, resourcePatternType: PatternType.LITERAL, principal: ANONYMOUS, host: '*', operation: AclOperation.ALL, permissionType: PermissionType.ALLOW }],
      });
      expect(res.results.map((r) => r.errorCode)).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
      expect((await describeAcls(anon)).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      expect((await describeAcls(admin, { resourceNameFilter: topic })).resources).toEqual([]);
      // With DESCRIBE on the cluster it may list them, still not create them.
      await createAcls(admin, [binding({ resourceType: ResourceType.CLUSTER, resourceName: 'kafka-cluster', operation: AclOperation.DESCRIBE })]);
      expect((await describeAcls(anon)).errorCode).toBe(ErrorCode.NONE);
      const again = await anon.request(createAclsApi.apiKey, 3, encodeCreateAclsRequest, decodeCreateAclsResponse, {
        creations: [{ resourceType: ResourceType.TOPIC, resourceName: topic, resourcePatternType: PatternType.LITERAL, principal: ANONYMOUS, host: '*', operation: AclOperation.ALL, permissionType: PermissionType.ALLOW }],
      });
      expect(again.results.map((r) => r.errorCode)).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
    } finally {
      anon.close();
      admin.close();
    }
  });

  it('answers INVALID_REQUEST for bindings Kafka refuses, creating the valid ones of the same request', async () => {
    const admin = await secured.admin();
    try {
      const topic = uniqueTopic('acl-invalid');
      const creation = (p: object) => ({ resourceType: ResourceType.TOPIC, resourceName: topic, resourcePatternType: PatternType.LITERAL, principal: 'User:carol', host: '*', operation: AclOperation.READ, permissionType: PermissionType.ALLOW, ...p });
      const res = await admin.request(createAclsApi.apiKey, 3, encodeCreateAclsRequest, decodeCreateAclsResponse, {
        creations: [creation({ resourcePatternType: PatternType.MATCH }), creation({ principal: 'carol' }), creation({ resourceType: ResourceType.CLUSTER, resourceName: 'other' }), creation({ operation: AclOperation.ANY }), creation({})],
      });
      expect(res.results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.NONE]);
      expect(res.results[2]!.errorMessage).toMatch(/kafka-cluster/);
      const listed = await describeAcls(admin, { resourceNameFilter: topic });
      expect(listed.resources.flatMap((r) => r.acls.map((a) => a.principal))).toEqual(['User:carol']);
    } finally {
      admin.close();
    }
  });

  it('keeps ACLs across a restart (acls.json in the log dir)', async () => {
    const topic = uniqueTopic('acl-restart');
    let admin = await secured.admin();
    await createAcls(admin, [binding({ resourceName: topic, principal: 'User:dave', operation: AclOperation.WRITE })]);
    admin.close();
    expect(fs.existsSync(`${secured.broker.dataDir}/acls.json`)).toBe(true);
    const restarted = await secured.broker.restart();
    secured = securedHandles(restarted, certs);
    admin = await secured.admin();
    try {
      const listed = await describeAcls(admin, { resourceNameFilter: topic });
      expect(listed.resources.flatMap((r) => r.acls.map((a) => [a.principal, a.operation]))).toEqual([['User:dave', AclOperation.WRITE]]);
    } finally {
      admin.close();
    }
  });
});

describe('without an authorizer', () => {
  it('answers SECURITY_DISABLED to the ACL APIs', async () => {
    const broker = await startBroker({ args: LOCAL_STORE_FLAGS });
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      await expect(admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })).rejects.toThrow(/Security features are disabled|SECURITY_DISABLED/i);
    } finally {
      await admin.disconnect();
      await broker.stop();
    }
  });

  it('an unknown authorizer.class.name stops start-up with a readable error', async () => {
    const exited = await runProcess(process.execPath, [inject('brokerEntry'), '--http.listeners=', ...LOCAL_STORE_FLAGS, '--authorizer.class.name=com.example.MyAuthorizer', '--listeners=PLAINTEXT://127.0.0.1:0'], {
      cwd: inject('repoRoot'),
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_'))),
      timeoutMs: 30_000,
      what: 'the broker (expected to exit)',
    });
    expect(exited.code).not.toBe(0);
    expect(exited.stderr).toMatch(/authorizer\.class\.name/);
    expect(exited.stderr).toMatch(/StandardAuthorizer/);
  });
});

