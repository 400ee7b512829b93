// Thread: main. Where SCRAM credentials live (one store serves SCRAM and PLAIN): per user and
// mechanism the salt, iterations, StoredKey and ServerKey — never a password. Embedded, a JSON
// file in the first log dir (local-credential-store.ts); with Redis, one hash shared by every
// broker (redis-credential-store.ts). Both encode a credential the same way (base64 fields).
import { z } from 'zod';
import { MAX_ITERATIONS, MIN_ITERATIONS, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram.js';

export type UserCredentials = Partial<Record<ScramMechanism, ScramCredential>>;

export interface CredentialStore {
  readonly kind: 'local' | 'redis';
  /** The user's credentials; undefined when the user has none. */
  get(user: string): Promise<UserCredentials | undefined>;
  /** Every user with at least one credential. */
  list(): Promise<Map<string, UserCredentials>>;
  upsert(user: string, mechanism: ScramMechanism, credential: ScramCredential): Promise<void>;
  /** Removes one mechanism's credential; false when there was none. */
  delete(user: string, mechanism: ScramMechanism): Promise<boolean>;
  close(): Promise<void>;
}

/** Kafka's limit on SCRAM user names is the config entity name; Strata bounds it for its stores. */
export const MAX_USER_NAME_CHARS = 256;

export function userNameProblem(name: string): string | undefined {
  if (name === '') return 'the user name is empty';
  if (name.length > MAX_USER_NAME_CHARS) return `the user name is longer than ${MAX_USER_NAME_CHARS} characters`;
  if (/[\u0000-\u001f]/.test(name)) return 'the user name contains control characters';
  return undefined;
}

export function iterationsProblem(iterations: number): string | undefined {
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) return `iterations must be between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`;
  return undefined;
}

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const storedCredential = z.object({ salt: b64, iterations: z.number().int().min(1), storedKey: b64, serverKey: b64 });
export const storedUserSchema = z.partialRecord(z.enum(SCRAM_MECHANISMS), storedCredential);
export type StoredUser = z.infer<typeof storedUserSchema>;

export function encodeUser(creds: UserCredentials): StoredUser {
  const out: StoredUser = {};
  for (const m of SCRAM_MECHANISMS) {
    const c = creds[m];
    if (c) out[m] = { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') };
  }
  return out;
}

export function decodeUser(stored: StoredUser): UserCredentials {
  const out: UserCredentials = {};
  for (const m of SCRAM_MECHANISMS) {
    const c = stored[m];
    if (c) out[m] = { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') };
  }
  return out;
}
