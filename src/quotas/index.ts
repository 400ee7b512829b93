// Thread: main. Client quotas' public surface: ClientQuotas (enforcement, src/quotas/client-quotas.ts)
// over the store the broker's settings pick — Redis when one is configured (shared by every
// broker on redis.url + redis.key.prefix), else `client-quotas.json` in the first log dir.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { resolveRedisUrl } from '../groups/index.js';
import { ClientQuotas } from './client-quotas.js';
import { LocalQuotaStore } from './local-quota-store.js';
import { RedisQuotaStore } from './redis-quota-store.js';

export { ClientQuotas, type ClientQuota } from './client-quotas.js';

export function createClientQuotas(config: BrokerConfig, logDir: string, logger: Logger): ClientQuotas {
  const url = resolveRedisUrl(config);
  const log = logger.child({ component: 'quotas' });
  const store =
    url === undefined
      ? new LocalQuotaStore(logDir)
      : new RedisQuotaStore({ url, keyPrefix: config['redis.key.prefix'], commandTimeoutMs: config['redis.command.timeout.ms'], logger: log });
  return new ClientQuotas(
    store,
    { windowNum: config['quota.window.num'], windowMs: config['quota.window.size.seconds'] * 1000, maxThrottleMs: config['quota.max.throttle.ms'] },
    log,
  );
}
