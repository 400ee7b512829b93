// Thread: main. SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka serves them:
// salted, iterated credentials (salt, iterations, StoredKey, ServerKey — never the password)
// and the server side of the exchange (client-first → server-first, client-final →
// server-final). No channel binding (gs2 flag `n` or `y`; `p=` is refused), no delegation
// tokens (`tokenauth` extension refused).
//
// Why no library: every primitive is node:crypto (pbkdf2 is Hi(), createHmac, createHash,
// timingSafeEqual, randomBytes) and the message syntax is a few comma-separated attributes.
// The npm packages looked at are clients (`saslprep`-using `scram-sha-256` helpers inside
// `pg`, `mongodb`'s and KafkaJS's own client mechanisms, `sasl-scram-sha-1`) — none serves
// the server side with stored keys, and none does SHA-512.
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** Kafka's ScramMechanism enum on the wire (Describe/AlterUserScramCredentials). */
export const SCRAM_MECHANISM_TYPE: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export function scramMechanismOfType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => SCRAM_MECHANISM_TYPE[m] === type);
}

/** Kafka's bounds on iterations (ScramMechanism.minIterations / maxIterations). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;
export const DEFAULT_ITERATIONS = 4096;

const HASH: Record<ScramMechanism, { name: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer => createHmac(HASH[m].name, key).update(data).digest();
const hash = (m: ScramMechanism, data: Buffer): Buffer => createHash(HASH[m].name).update(data).digest();

/** Hi(password, salt, i): PBKDF2 with the mechanism's HMAC. Synchronous: for the CLI and tests. */
export function saltedPasswordSync(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH[m].bytes, HASH[m].name);
}

/** Hi() on libuv's thread pool (the broker's main thread never runs thousands of HMACs itself). */
export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, HASH[m].bytes, HASH[m].name, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** What is stored for a salted password (the salted password itself is dropped). */
export function credentialFromSaltedPassword(m: ScramMechanism, salt: Buffer, iterations: number, salted: Buffer): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, iterations, storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key') };
}

/** A new credential for a password: random salt, as `strata users create` and Kafka's tools make. */
export function newScramCredential(m: ScramMechanism, password: string, iterations = DEFAULT_ITERATIONS): ScramCredential {
  const salt = randomBytes(32);
  return credentialFromSaltedPassword(m, salt, iterations, saltedPasswordSync(m, password, salt, iterations));
}

/** Whether `password` matches the credential (PLAIN checks against the SCRAM credentials). */
export async function passwordMatches(m: ScramMechanism, password: string, cred: ScramCredential): Promise<boolean> {
  const salted = await saltedPassword(m, password, cred.salt, cred.iterations);
  const storedKey = hash(m, hmac(m, salted, 'Client Key'));
  return storedKey.length === cred.storedKey.length && timingSafeEqual(storedKey, cred.storedKey);
}

/** A failed exchange; the message is for logs (clients get a generic one). */
export class ScramError extends Error {}

/** `=2C` → `,`, `=3D` → `=` (RFC 5802 saslname); any other `=` escape is invalid. */
function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new ScramError('invalid escape in username');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function text(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ScramError('message is not UTF-8');
  }
}

export interface ClientFirst {
  username: string;
  clientNonce: string;
  gs2Header: string;
  bare: string;
}

/** Parses client-first-message. */
export function parseClientFirst(bytes: Buffer): ClientFirst {
  const msg = text(bytes);
  const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(msg);
  if (m === null) throw new ScramError('malformed client-first-message');
  if (m[1]!.startsWith('p=')) throw new ScramError('channel binding is not supported');
  const bare = m[3]!;
  const attrs = bare.split(',');
  if (attrs[0]?.startsWith('m=')) throw new ScramError('mandatory extensions are not supported');
  if (!attrs[0]?.startsWith('n=') || !attrs[1]?.startsWith('r=')) throw new ScramError('client-first-message needs n= and r=');
  const username = decodeSaslName(attrs[0].slice(2));
  const clientNonce = attrs[1].slice(2);
  if (username === '' || clientNonce === '' || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) throw new ScramError('empty username or bad nonce');
  for (const ext of attrs.slice(2)) if (ext.startsWith('tokenauth=')) throw new ScramError('delegation tokens are not supported');
  if (m[2] !== undefined && decodeSaslName(m[2].slice(2)) !== username) throw new ScramError('authorization id differs from the username');
  return { username, clientNonce, gs2Header: `${m[1]},${m[2] ?? ''},`, bare };
}

/**
 * One SCRAM exchange on the server. `credential` undefined (an unknown user) still answers a
 * server-first-message with a salt derived from the name, so an unknown user looks like a wrong
 * password and fails only at the proof.
 */
export class ScramServerExchange {
  private readonly serverFirst: string;
  private readonly nonce: string;
  private readonly serverNonce: string;
  private readonly cred: ScramCredential;
  private readonly known: boolean;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly first: ClientFirst,
    credential: ScramCredential | undefined,
    serverNonce: string = randomBytes(24).toString('base64'),
  ) {
    this.known = credential !== undefined;
    this.cred = credential ?? unknownUserCredential(mechanism, first.username);
    this.serverNonce = serverNonce;
    this.nonce = first.clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.cred.salt.toString('base64')},i=${this.cred.iterations}`;
  }

  get username(): string {
    return this.first.username;
  }

  serverFirstMessage(): Buffer {
    return Buffer.from(this.serverFirst, 'utf8');
  }

  /** Checks client-final-message; returns server-final-message, or throws ScramError. */
  clientFinal(bytes: Buffer): Buffer {
    const msg = text(bytes);
    const at = msg.lastIndexOf(',p=');
    if (at < 0) throw new ScramError('client-final-message has no proof');
    const withoutProof = msg.slice(0, at);
    const attrs = withoutProof.split(',');
    if (attrs[0] !== `c=${Buffer.from(this.first.gs2Header, 'utf8').toString('base64')}`) throw new ScramError('channel binding does not match the gs2 header');
    // As Kafka's ScramSaslServer: the nonce must end with the server's part. librdkafka 2.x sends
    // its own nonce once more in front (client nonce + the whole combined nonce); Kafka accepts
    // that, so Strata does too — the proof covers the message exactly as sent.
    const nonce = attrs[1]?.startsWith('r=') ? attrs[1].slice(2) : '';
    if (!nonce.startsWith(this.first.clientNonce) || !nonce.endsWith(this.serverNonce)) throw new ScramError('nonce does not match');
    const proof = Buffer.from(msg.slice(at + 3), 'base64');
    const authMessage = `${this.first.bare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, this.cred.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('proof has the wrong length');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const ok = timingSafeEqual(hash(this.mechanism, clientKey), this.cred.storedKey);
    if (!ok || !this.known) throw new ScramError(this.known ? 'invalid proof (wrong password)' : 'unknown user');
    return Buffer.from(`v=${hmac(this.mechanism, this.cred.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}

/** Per-process secret for the decoy salts of unknown users. */
const decoySecret = randomBytes(32);

function unknownUserCredential(m: ScramMechanism, username: string): ScramCredential {
  const size = HASH[m].bytes;
  return { salt: hmac(m, decoySecret, `salt:${username}`), iterations: DEFAULT_ITERATIONS, storedKey: randomBytes(size), serverKey: randomBytes(size) };
}
