// Thread: main. SASL PLAIN (RFC 4616): `authzid NUL authcid NUL passwd`, checked against the
// user's SCRAM credentials (Hi() with the stored salt and iterations, StoredKey compared in
// constant time), so one credential store serves PLAIN and SCRAM and no password is stored.
// An authzid other than empty or the user itself is refused, as Kafka does.
export interface PlainMessage {
  user: string;
  password: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a PLAIN message; undefined when malformed. */
export function parsePlain(bytes: Buffer): PlainMessage | undefined {
  let msg: string;
  try {
    msg = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  const parts = msg.split('\u0000');
  if (parts.length !== 3) return undefined;
  const [authzid, user, password] = parts as [string, string, string];
  if (user === '' || password === '') return undefined;
  if (authzid !== '' && authzid !== user) return undefined;
  return { user, password };
}
