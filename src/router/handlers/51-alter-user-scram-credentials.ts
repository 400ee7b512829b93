// Thread: main. AlterUserScramCredentials (key 51), version 0.
// Upserts and deletes SCRAM credentials in the credential store. An upsertion carries what
// Kafka's tools send: the salt, the iterations and the salted password (Hi(password)); the
// broker keeps StoredKey and ServerKey only. One result per user; a user whose changes break a
// rule gets the error and none of its changes are made: an unknown mechanism
// (UNSUPPORTED_SASL_MECHANISM), iterations outside 4096–16384, an empty name, salt or salted
// password (UNACCEPTABLE_CREDENTIAL), the same user and mechanism twice (DUPLICATE_RESOURCE),
// deleting a credential that does not exist (RESOURCE_NOT_FOUND).
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every user.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  alterUserScramCredentialsApi,
  decodeAlterUserScramCredentialsRequest,
  encodeAlterUserScramCredentialsResponse,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
} from '../../protocol/generated/messages/51-alter-user-scram-credentials.js';
import { iterationsProblem, userNameProblem } from '../../security/credential-store.js';
import { credentialFromSaltedPassword, scramMechanismOfType } from '../../security/scram.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

type Result = AlterUserScramCredentialsResponse['results'][number];
type Upsertion = AlterUserScramCredentialsRequest['upsertions'][number];
type Deletion = AlterUserScramCredentialsRequest['deletions'][number];

export const alterUserScramCredentialsHandler = defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: alterUserScramCredentialsApi.apiKey,
  name: 'AlterUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeAlterUserScramCredentialsRequest,
  encodeResponse: encodeAlterUserScramCredentialsResponse,
  async handle(ctx, req) {
    const store = ctx.broker.credentials;
    const byUser = new Map<string, { upsertions: Upsertion[]; deletions: Deletion[] }>();
    const entry = (name: string) => byUser.get(name) ?? byUser.set(name, { upsertions: [], deletions: [] }).get(name)!;
    for (const u of req.upsertions) entry(u.name).upsertions.push(u);
    for (const d of req.deletions) entry(d.name).deletions.push(d);
    const results: Result[] = [];
    const fail = (user: string, errorCode: number, errorMessage: string) => results.push({ user, errorCode, errorMessage });
    // ACLs (as Kafka): ALTER on the cluster, else every user answers CLUSTER_AUTHORIZATION_FAILED.
    const allowed = authorizeCluster(ctx, AclOperation.ALTER);
    for (const [user, { upsertions, deletions }] of byUser) {
      if (!allowed) {
        fail(user, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Authorization failed.');
        continue;
      }
      if (store === undefined) {
        fail(user, ErrorCode.UNKNOWN_SERVER_ERROR, 'no credential store');
        continue;
      }
      const nameProblem = userNameProblem(user);
      if (nameProblem !== undefined) {
        fail(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, nameProblem);
        continue;
      }
      const mechanisms = [...upsertions, ...deletions].map((x) => x.mechanism);
      if (mechanisms.some((m) => scramMechanismOfType(m) === undefined)) {
        fail(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
        continue;
      }
      if (new Set(mechanisms).size !== mechanisms.length) {
        fail(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
        continue;
      }
      const badUpsert = upsertions.map((u) => iterationsProblem(u.iterations) ?? (u.salt.length === 0 || u.saltedPassword.length === 0 ? 'empty salt or salted password' : undefined)).find((p) => p !== undefined);
      if (badUpsert !== undefined) {
        fail(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, badUpsert);
        continue;
      }
      const existing = await store.get(user);
      const missing = deletions.find((d) => existing?.[scramMechanismOfType(d.mechanism)!] === undefined);
      if (missing !== undefined) {
        fail(user, ErrorCode.RESOURCE_NOT_FOUND, `Attempt to delete a user credential that does not exist: ${user} ${scramMechanismOfType(missing.mechanism)}`);
        continue;
      }
      for (const d of deletions) await store.delete(user, scramMechanismOfType(d.mechanism)!);
      for (const u of upsertions) {
        const m = scramMechanismOfType(u.mechanism)!;
        await store.upsert(user, m, credentialFromSaltedPassword(m, Buffer.from(u.salt), u.iterations, u.saltedPassword));
      }
      ctx.broker.logger.info({ user, upserted: upsertions.map((u) => scramMechanismOfType(u.mechanism)), deleted: deletions.map((d) => scramMechanismOfType(d.mechanism)), by: ctx.conn.principal }, 'SCRAM credentials altered');
      results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: 0, results };
  },
});
