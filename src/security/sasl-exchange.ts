// Thread: main. One SASL exchange of one connection, whatever the mechanism: tokens in,
// tokens out, ending in success (with the user name) or failure (with a reason for the log,
// never for the client). PLAIN is one step; SCRAM two (client-first, client-final). The
// credential store is read once per exchange.
import type { CredentialStore } from './credential-store.js';
import { parsePlain } from './sasl-plain.js';
import { DEFAULT_ITERATIONS, parseClientFirst, passwordMatches, saltedPassword, SCRAM_MECHANISMS, ScramError, ScramServerExchange, type ScramMechanism } from './scram.js';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export type SaslStep =
  | { kind: 'continue'; reply: Buffer }
  | { kind: 'success'; reply: Buffer; user: string }
  | { kind: 'failure'; reason: string; user?: string };

export interface SaslExchange {
  readonly mechanism: SaslMechanism;
  step(token: Buffer): Promise<SaslStep>;
}

export function createSaslExchange(mechanism: SaslMechanism, store: CredentialStore): SaslExchange {
  return mechanism === 'PLAIN' ? new PlainExchange(store) : new ScramExchange(mechanism, store);
}

const DECOY_SALT = Buffer.alloc(32, 7);

class PlainExchange implements SaslExchange {
  readonly mechanism = 'PLAIN';
  private done = false;

  constructor(private readonly store: CredentialStore) {}

  async step(token: Buffer): Promise<SaslStep> {
    if (this.done) return { kind: 'failure', reason: 'PLAIN takes one message' };
    this.done = true;
    const msg = parsePlain(token);
    if (msg === undefined) return { kind: 'failure', reason: 'malformed PLAIN message' };
    const creds = await this.store.get(msg.user);
    const mechanisms = SCRAM_MECHANISMS.filter((m) => creds?.[m] !== undefined);
    if (mechanisms.length === 0) {
      // As long as a real check: an unknown user is not told apart by timing.
      await saltedPassword('SCRAM-SHA-512', msg.password, DECOY_SALT, DEFAULT_ITERATIONS);
      return { kind: 'failure', reason: 'unknown user', user: msg.user };
    }
    for (const m of mechanisms) {
      if (await passwordMatches(m, msg.password, creds![m]!)) return { kind: 'success', reply: Buffer.alloc(0), user: msg.user };
    }
    return { kind: 'failure', reason: 'wrong password', user: msg.user };
  }
}

class ScramExchange implements SaslExchange {
  private server: ScramServerExchange | undefined;
  private finished = false;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly store: CredentialStore,
  ) {}

  async step(token: Buffer): Promise<SaslStep> {
    if (this.finished) return { kind: 'failure', reason: 'SCRAM exchange already finished' };
    try {
      if (this.server === undefined) {
        const first = parseClientFirst(token);
        const creds = await this.store.get(first.username);
        this.server = new ScramServerExchange(this.mechanism, first, creds?.[this.mechanism]);
        return { kind: 'continue', reply: this.server.serverFirstMessage() };
      }
      this.finished = true;
      return { kind: 'success', reply: this.server.clientFinal(token), user: this.server.username };
    } catch (err) {
      this.finished = true;
      if (err instanceof ScramError) return { kind: 'failure', reason: err.message, ...(this.server ? { user: this.server.username } : {}) };
      throw err;
    }
  }
}
