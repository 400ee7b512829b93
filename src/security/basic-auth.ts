// Thread: main. HTTP basic authentication (`Authorization: Basic base64(user:password)`) against
// the same SCRAM credentials as the Kafka listeners (the password is checked as PLAIN checks it:
// Hi() on libuv's thread pool, StoredKey compared in constant time). A verified user:password
// pair is remembered for CACHE_MS under a keyed hash (never the password itself), so REST
// clients sending the header on every request do not pay PBKDF2 each time; a deleted user or a
// changed password is honoured within CACHE_MS. Failures are counted and answered after
// connection.failed.authentication.delay.ms.
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { countAuthentication } from '../http/metrics.js';
import type { CredentialStore } from './credential-store.js';
import { userPrincipal } from './principal.js';
import { createSaslExchange } from './sasl-exchange.js';

const CACHE_MS = 30_000;
const MAX_CACHED = 1_000;

export class BasicAuthenticator {
  private readonly secret = randomBytes(32);
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly store: CredentialStore,
    private readonly failedDelayMs: number,
    private readonly logger: Logger,
  ) {}

  /** The principal for an Authorization header, or undefined (refused, after the failure delay). */
  async authenticate(header: string | undefined, remote: string): Promise<string | undefined> {
    const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]{1,4096})\s*$/i.exec(header);
    const decoded = m === null ? undefined : Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded === undefined ? -1 : decoded.indexOf(':');
    if (decoded === undefined || colon <= 0) return this.refuse(remote, undefined, header === undefined ? 'no credentials' : 'malformed Authorization header');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHmac('sha256', this.secret).update(decoded).digest('base64');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return userPrincipal(user);
    // PLAIN's check, on the same credentials.
    const step = await createSaslExchange('PLAIN', this.store).step(Buffer.from(`\u0000${user}\u0000${password}`, 'utf8'));
    if (step.kind !== 'success') return this.refuse(remote, user, step.kind === 'failure' ? step.reason : 'unexpected step');
    if (this.verified.size >= MAX_CACHED) this.verified.clear();
    this.verified.set(key, Date.now() + CACHE_MS);
    countAuthentication('HTTP', 'BASIC', 'success');
    return userPrincipal(user);
  }

  private async refuse(remote: string, user: string | undefined, reason: string): Promise<undefined> {
    countAuthentication('HTTP', 'BASIC', 'failure');
    this.logger.info({ remote, user, reason }, 'HTTP authentication failed');
    if (this.failedDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.failedDelayMs));
    return undefined;
  }
}
