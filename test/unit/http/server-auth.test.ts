// The HTTP listeners' one authentication check (src/http/server.ts): basic auth against SCRAM
// credentials before any route or application runs, open probe paths, the principal handed to
// applications through principalOf(req), and https:// entries parsed.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer, parseHttpListeners, principalOf, type HttpApp } from '../../../src/http/server.js';
import { BasicAuthenticator } from '../../../src/security/basic-auth.js';
import { LocalCredentialStore } from '../../../src/security/local-credential-store.js';
import { newScramCredential } from '../../../src/security/scram.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-http-auth-'));
const store = new LocalCredentialStore(dir);
const seen: string[] = [];
const app: HttpApp = {
  name: 'probe',
  async handle(req, res, p) {
    if (p !== '/probe') return false;
    seen.push(principalOf(req));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(principalOf(req));
    return true;
  },
};

function server(metricsOpen: boolean): HttpServer {
  return new HttpServer([{ host: '127.0.0.1', port: 0 }], [], pino({ level: 'silent' }), undefined, undefined, [app], {
    authenticator: new BasicAuthenticator(store, 0, pino({ level: 'silent' })),
    metricsOpen,
  });
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

let open: HttpServer;
let closed: HttpServer;
let openPort: number;
let closedPort: number;

beforeAll(async () => {
  await store.upsert('alice', 'SCRAM-SHA-256', newScramCredential('SCRAM-SHA-256', 'pw'));
  open = server(true);
  closed = server(false);
  openPort = (await open.listen())[0]!.boundPort;
  closedPort = (await closed.listen())[0]!.boundPort;
});

afterAll(async () => {
  await open.close();
  await closed.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('HTTP basic authentication', () => {
  it('answers 401 with a Basic challenge without credentials, with a wrong password or an unknown user; the app never runs', async () => {
    for (const headers of [{}, basic('alice', 'nope'), basic('mallory', 'pw'), { authorization: 'Bearer x' }]) {
      const res = await fetch(`http://127.0.0.1:${openPort}/probe`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="strata"/);
    }
    expect(seen).toEqual([]);
  });

  it('lets a valid user through and gives the app its principal', async () => {
    const res = await fetch(`http://127.0.0.1:${openPort}/probe`, { headers: basic('alice', 'pw') });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('User:alice');
    expect(seen).toEqual(['User:alice']);
  });

  it('http.metrics.open keeps /metrics, /healthz and /readyz open; without it they need credentials too', async () => {
    for (const p of ['/metrics', '/healthz', '/readyz']) {
      expect((await fetch(`http://127.0.0.1:${openPort}${p}`)).status, p).toBe(200);
      expect((await fetch(`http://127.0.0.1:${closedPort}${p}`)).status, p).toBe(401);
      expect((await fetch(`http://127.0.0.1:${closedPort}${p}`, { headers: basic('alice', 'pw') })).status, p).toBe(200);
    }
  });

  it('parses https:// listener entries', () => {
    expect(parseHttpListeners('https://127.0.0.1:8443,http://127.0.0.1:8080')).toEqual([
      { host: '127.0.0.1', port: 8443, tls: true },
      { host: '127.0.0.1', port: 8080 },
    ]);
  });
});

