// Thread: main. The SASL state of one connection on a SASL_PLAINTEXT or SASL_SSL listener:
// not yet authenticated (only ApiVersions, SaslHandshake and SaslAuthenticate are served, in
// small frames — see dispatch.ts), an exchange in progress (after SaslHandshake), then
// authenticated with a principal `User:<name>` until the session ends (KIP-368:
// `connections.max.reauth.ms`; the client re-authenticates with SaslHandshake v1+ and
// SaslAuthenticate on the same connection, as the same user with the same mechanism, or is
// closed at its next request). SaslHandshake v0 means KIP-43's legacy framing: the SASL tokens
// then come as bare size-prefixed frames without a request header (kafka-python does this).
// A failed authentication is answered after `connection.failed.authentication.delay.ms` with a
// generic message, logged (user name, mechanism, reason; never the tokens), counted, and the
// connection is closed after the answer.
import type { Logger } from 'pino';
import { countAuthentication } from '../http/metrics.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { CredentialStore } from './credential-store.js';
import { ANONYMOUS_PRINCIPAL, userPrincipal } from './principal.js';
import { createSaslExchange, SASL_MECHANISMS, type SaslExchange, type SaslMechanism } from './sasl-exchange.js';

export interface SaslSettings {
  enabledMechanisms: readonly SaslMechanism[];
  store: CredentialStore;
  /** connections.max.reauth.ms (0 = sessions do not expire). */
  reauthMs: number;
  /** connection.failed.authentication.delay.ms */
  failedDelayMs: number;
  /** sasl.server.max.receive.size: largest frame before authentication. */
  maxUnauthenticatedFrameBytes: number;
  logger: Logger;
}

export interface AuthPeer {
  id: number;
  remote: string;
  listenerName: string;
}

export type AuthenticateResult =
  | { errorCode: 0; reply: Buffer; sessionLifetimeMs: number }
  | { errorCode: number; errorMessage: string; close: boolean };

export class ConnectionAuth {
  principal = ANONYMOUS_PRINCIPAL;
  authenticated = false;
  /** The mechanism of the first authentication; re-authentication must use it too. */
  mechanism: SaslMechanism | undefined;
  /** KIP-43 v0: tokens arrive as bare frames while an exchange is in progress. */
  rawTokens = false;
  sessionExpiresAtMs: number | undefined;
  private exchange: SaslExchange | undefined;

  constructor(
    readonly settings: SaslSettings,
    private readonly peer: AuthPeer,
    private readonly onAuthenticated: () => void,
  ) {}

  get exchanging(): boolean {
    return this.exchange !== undefined;
  }

  /** Past the session lifetime without re-authenticating (KIP-368). */
  expired(nowMs: number): boolean {
    return this.sessionExpiresAtMs !== undefined && nowMs > this.sessionExpiresAtMs;
  }

  /** SaslHandshake: picks the mechanism of the next exchange. */
  handshake(mechanism: string, version: number): { errorCode: number; mechanisms: string[] } {
    const mechanisms = [...this.settings.enabledMechanisms];
    if (this.exchange !== undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    const enabled = mechanisms.find((m) => m === mechanism);
    if (enabled === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    if (this.authenticated && (version === 0 || enabled !== this.mechanism)) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    this.exchange = createSaslExchange(enabled, this.settings.store);
    this.rawTokens = version === 0;
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  /** One SASL token of the exchange the handshake started. */
  async authenticate(token: Buffer): Promise<AuthenticateResult> {
    const exchange = this.exchange;
    if (exchange === undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate without a SaslHandshake first', close: true };
    const step = await exchange.step(token);
    const { logger } = this.settings;
    const where = { conn: this.peer.id, remote: this.peer.remote, listener: this.peer.listenerName, mechanism: exchange.mechanism };
    if (step.kind === 'continue') return { errorCode: 0, reply: step.reply, sessionLifetimeMs: 0 };
    this.exchange = undefined;
    this.rawTokens = false;
    let reason = step.kind === 'failure' ? step.reason : undefined;
    const user = step.user;
    if (step.kind === 'success' && this.authenticated && userPrincipal(step.user) !== this.principal) reason = 're-authentication as another user';
    if (reason !== undefined || step.kind !== 'success') {
      countAuthentication(this.peer.listenerName, exchange.mechanism, 'failure');
      logger.info({ ...where, user, reason }, 'authentication failed');
      if (this.settings.failedDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.settings.failedDelayMs));
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${exchange.mechanism}`,
        close: true,
      };
    }
    const reauth = this.authenticated;
    this.authenticated = true;
    this.principal = userPrincipal(step.user);
    this.mechanism = exchange.mechanism;
    const lifetime = this.settings.reauthMs;
    this.sessionExpiresAtMs = lifetime > 0 ? Date.now() + lifetime : undefined;
    countAuthentication(this.peer.listenerName, exchange.mechanism, 'success');
    logger.info({ ...where, principal: this.principal, reauthentication: reauth }, reauth ? 're-authenticated' : 'authenticated');
    if (!reauth) this.onAuthenticated();
    return { errorCode: 0, reply: step.reply, sessionLifetimeMs: lifetime };
  }
}

/** `PLAIN,SCRAM-SHA-512` → the mechanisms (the config schema allows only known ones). */
export function parseMechanisms(value: string): SaslMechanism[] {
  const names = value.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '');
  return SASL_MECHANISMS.filter((m) => names.includes(m)).sort((a, b) => names.indexOf(a) - names.indexOf(b));
}
