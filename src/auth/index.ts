// Thread: main. Authorization (issue 18): Kafka's ACL model (acl-model.ts), the matcher
// (acl-index.ts), the authorizer the handlers ask (authorizer.ts) and the ACL stores.
// createAuthorizer picks the store as the schema registry does: Redis (shared by every broker
// on redis.url + redis.key.prefix) when one is configured, else `acls.json` in the first log dir.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { resolveRedisUrl } from '../groups/index.js';
import { Authorizer, parseSuperUsers } from './authorizer.js';
import { LocalAclStore } from './local-acl-store.js';
import { RedisAclStore } from './redis-acl-store.js';

export { Authorizer, hostOf, parseSuperUsers, type Requester } from './authorizer.js';
export * from './acl-model.js';
export type { AclStore } from './acl-store.js';
export { MAX_ACLS } from './acl-store.js';

export function createAuthorizer(config: BrokerConfig, logDir: string, logger: Logger): Authorizer {
  const enabled = config['authorizer.class.name'] !== '';
  const settings = { enabled, superUsers: parseSuperUsers(config['super.users']), allowEveryoneIfNoAclFound: config['allow.everyone.if.no.acl.found'] };
  if (!enabled) return new Authorizer(settings, undefined);
  const log = logger.child({ component: 'authorizer' });
  const url = resolveRedisUrl(config);
  const store =
    url === undefined
      ? new LocalAclStore(logDir)
      : new RedisAclStore({ url, keyPrefix: config['redis.key.prefix'], commandTimeoutMs: config['redis.command.timeout.ms'], logger: log });
  return new Authorizer(settings, store, log);
}
