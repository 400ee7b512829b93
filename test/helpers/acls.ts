// Thread: vitest test worker. Helpers for the authorization tests: a broker with the ACL
// authorizer on, a PLAINTEXT listener (principal User:ANONYMOUS) and an mTLS listener whose
// client certificate (User:CN=alice,OU=eng,O=Acme) is the super user; raw connections as
// either principal; ACLs created and removed over the wire (CreateAcls / DeleteAcls).
import fs from 'node:fs';
import { expect } from 'vitest';
import { startBroker, type BrokerHandle } from './broker.js';
import type { TestCerts } from './certs.js';
import { RawKafkaConnection } from './raw-kafka.js';
import { listenerPort } from './security.js';
import {
  createAclsApi,
  decodeCreateAclsResponse,
  decodeDeleteAclsResponse,
  decodeDescribeAclsResponse,
  deleteAclsApi,
  describeAclsApi,
  encodeCreateAclsRequest,
  encodeDeleteAclsRequest,
  encodeDescribeAclsRequest,
  type DescribeAclsResponse,
} from '../../src/protocol/generated/messages/index.js';
import { AclOperation, PatternType, PermissionType, ResourceType, type AclBinding } from '../../src/auth/acl-model.js';

export { AclOperation, PatternType, PermissionType, ResourceType, type AclBinding };

export const ANONYMOUS = 'User:ANONYMOUS';

export interface SecuredBroker {
  broker: BrokerHandle;
  sslPort: number;
  /** A raw connection as the super user (mTLS client certificate). */
  admin(): Promise<RawKafkaConnection>;
  /** A raw connection as User:ANONYMOUS (plaintext). */
  anonymous(): Promise<RawKafkaConnection>;
}

/** Flags of a broker with the authorizer on and the mTLS client as super user. */
export function securedArgs(certs: TestCerts, extra: string[] = []): string[] {
  return [
    '--listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
    `--ssl.keystore.location=${certs.serverKeystore}`,
    `--ssl.truststore.location=${certs.ca}`,
    '--ssl.client.auth=required',
    '--authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `--super.users=${certs.clientPrincipal}`,
    '--num.partitions=1',
    ...extra,
  ];
}

export function securedHandles(broker: BrokerHandle, certs: TestCerts): SecuredBroker {
  const sslPort = listenerPort(broker, 'SSL');
  const ca = fs.readFileSync(certs.ca);
  const cert = fs.readFileSync(certs.client.cert);
  const key = fs.readFileSync(certs.client.key);
  return {
    broker,
    sslPort,
    admin: () => RawKafkaConnection.connectTls('127.0.0.1', sslPort, { ca, cert, key }),
    anonymous: () => RawKafkaConnection.connect('127.0.0.1', broker.port),
  };
}

export async function startSecuredBroker(certs: TestCerts, extra: string[] = [], dataDir?: string): Promise<SecuredBroker> {
  const broker = await startBroker({ args: securedArgs(certs, extra), ...(dataDir !== undefined ? { dataDir } : {}) });
  return securedHandles(broker, certs);
}

/** An ALLOW (default) ACL on a literal topic for User:ANONYMOUS from any host, with overrides. */
export function binding(p: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 'x', patternType: PatternType.LITERAL, principal: ANONYMOUS, host: '*', operation: AclOperation.ALL, permissionType: PermissionType.ALLOW, ...p };
}

/** CreateAcls v3 over `c`; throws unless every creation succeeded. */
export async function createAcls(c: RawKafkaConnection, bindings: AclBinding[]): Promise<void> {
  const res = await c.request(createAclsApi.apiKey, 3, encodeCreateAclsRequest, decodeCreateAclsResponse, {
    creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
  });
  expect(res.results.map((r) => r.errorCode), JSON.stringify(res.results)).toEqual(bindings.map(() => 0));
}

/** DeleteAcls v3 of exactly these bindings; returns how many were removed. */
export async function deleteAcls(c: RawKafkaConnection, bindings: AclBinding[]): Promise<number> {
  const res = await c.request(deleteAclsApi.apiKey, 3, encodeDeleteAclsRequest, decodeDeleteAclsResponse, {
    filters: bindings.map((b) => ({ resourceTypeFilter: b.resourceType, resourceNameFilter: b.resourceName, patternTypeFilter: b.patternType, principalFilter: b.principal, hostFilter: b.host, operation: b.operation, permissionType: b.permissionType })),
  });
  return res.filterResults.reduce((n, f) => n + f.matchingAcls.length, 0);
}

/** DescribeAcls v3 with everything ANY unless overridden. */
export function describeAcls(c: RawKafkaConnection, filter: Partial<{ resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter: number; principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number }> = {}): Promise<DescribeAclsResponse> {
  return c.request(describeAclsApi.apiKey, 3, encodeDescribeAclsRequest, decodeDescribeAclsResponse, {
    resourceTypeFilter: ResourceType.ANY,
    resourceNameFilter: null,
    patternTypeFilter: PatternType.ANY,
    principalFilter: null,
    hostFilter: null,
    operation: AclOperation.ANY,
    permissionType: PermissionType.ANY,
    ...filter,
  });
}
