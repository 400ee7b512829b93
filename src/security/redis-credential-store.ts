// Thread: main (broker) or the CLI process. SCRAM credentials shared by every broker of a
// cluster: one Redis hash, `<redis.key.prefix>scram-credentials`, one field per user and
// mechanism (`SCRAM-SHA-256:alice` → JSON of salt, iterations, StoredKey, ServerKey), so an
// upsert or a delete is one atomic HSET/HDEL and every broker sees it at the next
// authentication. A Redis outage fails authentications (retried by clients), never admits one.
import type { Redis } from 'ioredis';
import { createRedisClient } from '../util/redis-client.js';
import { decodeUser, encodeUser, storedUserSchema, type CredentialStore, type UserCredentials } from './credential-store.js';
import { SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram.js';

export class RedisCredentialStore implements CredentialStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly key: string;
  private connecting: Promise<void> | undefined;

  constructor(url: string, keyPrefix: string, commandTimeoutMs: number) {
    this.redis = createRedisClient(url, commandTimeoutMs);
    this.key = `${keyPrefix}scram-credentials`;
  }

  private async ready(): Promise<Redis> {
    if (this.redis.status === 'wait') this.connecting ??= this.redis.connect();
    if (this.connecting) await this.connecting;
    return this.redis;
  }

  async get(user: string): Promise<UserCredentials | undefined> {
    const values = await (await this.ready()).hmget(this.key, ...SCRAM_MECHANISMS.map((m) => `${m}:${user}`));
    const stored: Record<string, unknown> = {};
    SCRAM_MECHANISMS.forEach((m, i) => {
      if (values[i] !== null && values[i] !== undefined) stored[m] = JSON.parse(values[i]!);
    });
    if (Object.keys(stored).length === 0) return undefined;
    const parsed = storedUserSchema.safeParse(stored);
    return parsed.success ? decodeUser(parsed.data) : undefined;
  }

  async list(): Promise<Map<string, UserCredentials>> {
    const all = await (await this.ready()).hgetall(this.key);
    const byUser = new Map<string, Record<string, unknown>>();
    for (const [field, value] of Object.entries(all)) {
      const at = field.indexOf(':');
      const mechanism = field.slice(0, at);
      if (!(SCRAM_MECHANISMS as readonly string[]).includes(mechanism)) continue;
      const user = field.slice(at + 1);
      const entry = byUser.get(user) ?? {};
      try {
        entry[mechanism] = JSON.parse(value);
      } catch {
        continue; // not ours
      }
      byUser.set(user, entry);
    }
    const out = new Map<string, UserCredentials>();
    for (const [user, stored] of byUser) {
      const parsed = storedUserSchema.safeParse(stored);
      if (parsed.success) out.set(user, decodeUser(parsed.data));
    }
    return out;
  }

  async upsert(user: string, mechanism: ScramMechanism, credential: ScramCredential): Promise<void> {
    const encoded = encodeUser({ [mechanism]: credential })[mechanism];
    await (await this.ready()).hset(this.key, `${mechanism}:${user}`, JSON.stringify(encoded));
  }

  async delete(user: string, mechanism: ScramMechanism): Promise<boolean> {
    return (await (await this.ready()).hdel(this.key, `${mechanism}:${user}`)) > 0;
  }

  async close(): Promise<void> {
    if (this.redis.status === 'wait') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
