// Thread: main. DescribeUserScramCredentials (key 50), version 0.
// The mechanisms and iterations of each user's SCRAM credentials (never salts or keys), from
// the credential store; all users when `users` is null. A user without credentials answers
// RESOURCE_NOT_FOUND, a user named twice DUPLICATE_RESOURCE, as Kafka's.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDescribeUserScramCredentialsRequest,
  describeUserScramCredentialsApi,
  encodeDescribeUserScramCredentialsResponse,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
} from '../../protocol/generated/messages/50-describe-user-scram-credentials.js';
import type { UserCredentials } from '../../security/credential-store.js';
import { SCRAM_MECHANISM_TYPE, SCRAM_MECHANISMS } from '../../security/scram.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

type Result = DescribeUserScramCredentialsResponse['results'][number];

function describe(user: string, creds: UserCredentials): Result {
  const credentialInfos = SCRAM_MECHANISMS.filter((m) => creds[m] !== undefined).map((m) => ({ mechanism: SCRAM_MECHANISM_TYPE[m], iterations: creds[m]!.iterations }));
  return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos };
}

export const describeUserScramCredentialsHandler = defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  apiKey: describeUserScramCredentialsApi.apiKey,
  name: 'DescribeUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeDescribeUserScramCredentialsRequest,
  encodeResponse: encodeDescribeUserScramCredentialsResponse,
  async handle(ctx, req) {
    // ACLs (as Kafka): DESCRIBE on the cluster.
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.', results: [] };
    const store = ctx.broker.credentials;
    if (store === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'no credential store', results: [] };
    if (req.users === null) {
      const all = await store.list();
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: [...all].sort(([a], [b]) => (a < b ? -1 : 1)).map(([user, creds]) => describe(user, creds)) };
    }
    const counts = new Map<string, number>();
    for (const u of req.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
    const results: Result[] = [];
    for (const [user, n] of counts) {
      if (n > 1) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] });
        continue;
      }
      const creds = await store.get(user);
      if (creds === undefined) results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] });
      else results.push(describe(user, creds));
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});
