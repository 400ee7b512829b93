import { describe, expect, it } from 'vitest';
import { credentialFromSaltedPassword, newScramCredential, parseClientFirst, passwordMatches, saltedPasswordSync, ScramError, ScramServerExchange } from '../../../src/security/scram.js';
import { parsePlain } from '../../../src/security/sasl-plain.js';

// RFC 7677 section 3: user "user", password "pencil".
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

const rfcCredential = () => credentialFromSaltedPassword('SCRAM-SHA-256', SALT, 4096, saltedPasswordSync('SCRAM-SHA-256', 'pencil', SALT, 4096));

describe('SCRAM-SHA-256 against the RFC 7677 example', () => {
  it('answers the server-first and server-final messages of the RFC byte for byte', () => {
    const exchange = new ScramServerExchange('SCRAM-SHA-256', parseClientFirst(Buffer.from(CLIENT_FIRST)), rfcCredential(), SERVER_NONCE);
    expect(exchange.serverFirstMessage().toString()).toBe(SERVER_FIRST);
    expect(exchange.clientFinal(Buffer.from(CLIENT_FINAL)).toString()).toBe(SERVER_FINAL);
  });

  it('refuses a wrong proof, a changed nonce or channel binding, and an unknown user (after the proof)', () => {
    const fresh = (cred = rfcCredential()) => new ScramServerExchange('SCRAM-SHA-256', parseClientFirst(Buffer.from(CLIENT_FIRST)), cred, SERVER_NONCE);
    const wrong = newScramCredential('SCRAM-SHA-256', 'not-pencil');
    const withSalt = { ...wrong, salt: SALT, iterations: 4096 };
    expect(() => fresh(withSalt).clientFinal(Buffer.from(CLIENT_FINAL))).toThrow(ScramError);
    expect(() => fresh().clientFinal(Buffer.from(CLIENT_FINAL.replace('r=rOpr', 'r=xOpr')))).toThrow(/nonce/);
    expect(() => fresh().clientFinal(Buffer.from(CLIENT_FINAL.replace('c=biws', 'c=eSws')))).toThrow(/channel binding/);
    const unknown = new ScramServerExchange('SCRAM-SHA-256', parseClientFirst(Buffer.from(CLIENT_FIRST)), undefined, SERVER_NONCE);
    expect(unknown.serverFirstMessage().toString()).toMatch(/^r=.*,s=[A-Za-z0-9+/=]+,i=4096$/);
    expect(() => unknown.clientFinal(Buffer.from(CLIENT_FINAL))).toThrow(/unknown user/);
  });

  it('parses client-first messages as RFC 5802 says and refuses what Strata does not do', () => {
    expect(parseClientFirst(Buffer.from('n,,n=al=2Cice=3D,r=abc'))).toMatchObject({ username: 'al,ice=', clientNonce: 'abc', gs2Header: 'n,,' });
    expect(parseClientFirst(Buffer.from('y,a=bob,n=bob,r=abc,ext=1')).gs2Header).toBe('y,a=bob,');
    for (const bad of ['p=tls-unique,,n=u,r=a', 'n,,m=x,n=u,r=a', 'n,,n=u', 'n,,n=,r=a', 'n,,n=u,r=a,tokenauth=true', 'n,a=eve,n=u,r=a', 'n,,n=u=41,r=a', 'garbage']) {
      expect(() => parseClientFirst(Buffer.from(bad)), bad).toThrow(ScramError);
    }
    expect(() => parseClientFirst(Buffer.from([0x6e, 0x2c, 0x2c, 0xff]))).toThrow(/UTF-8/);
  });

  it('PLAIN checks a password against the stored SCRAM credential', async () => {
    const cred = newScramCredential('SCRAM-SHA-512', 's3cret', 4096);
    expect(await passwordMatches('SCRAM-SHA-512', 's3cret', cred)).toBe(true);
    expect(await passwordMatches('SCRAM-SHA-512', 's3cret!', cred)).toBe(false);
  });
});

describe('PLAIN messages (RFC 4616)', () => {
  it('parses authzid NUL authcid NUL passwd', () => {
    expect(parsePlain(Buffer.from('\u0000alice\u0000pw'))).toEqual({ user: 'alice', password: 'pw' });
    expect(parsePlain(Buffer.from('alice\u0000alice\u0000p\u00e4ss'))).toEqual({ user: 'alice', password: 'p\u00e4ss' });
  });

  it('refuses another authzid, empty parts, wrong part counts and bad UTF-8', () => {
    for (const bad of ['bob\u0000alice\u0000pw', '\u0000\u0000pw', '\u0000alice\u0000', 'alice\u0000pw', '\u0000a\u0000b\u0000c']) expect(parsePlain(Buffer.from(bad)), JSON.stringify(bad)).toBeUndefined();
    expect(parsePlain(Buffer.from([0, 0x61, 0, 0xff]))).toBeUndefined();
  });
});
