// Integration: the HTTP listeners with TLS and basic authentication on a real broker, driven by
// curl as the README shows. https:// serves the broker's keystore (CA-verified); plain HTTP on
// the TLS port fails; with http.authentication.enable the REST proxy answers 401 without a
// user and serves with one; /metrics, /healthz and /readyz stay open (http.metrics.open); a
// successful and a failed login are counted in /metrics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { httpPortOf } from '../helpers/metrics.js';
import { runProcess, strataOk } from '../helpers/strata-cli.js';

let certs: TestCerts;
let broker: BrokerHandle;
let port: number;

beforeAll(async () => {
  certs = makeTestCerts();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-https-'));
  await strataOk(['users', 'create', 'alice', '--password', 'alice-secret', '--data-dir', dataDir]);
  broker = await startBroker({
    dataDir,
    args: ['--http.listeners=https://127.0.0.1:0', `--ssl.keystore.location=${certs.serverKeystore}`, '--http.authentication.enable=true', '--connection.failed.authentication.delay.ms=0'],
  });
  port = httpPortOf(broker);
}, 60_000);

/** curl with the test CA; returns status code and body. */
async function curl(url: string, extra: string[] = []): Promise<{ code: number | null; status: number; body: string; stderr: string }> {
  const r = await runProcess('curl', ['-sS', '--max-time', '10', '--cacert', certs.ca, '-o', '-', '-w', '\n%{http_code}', ...extra, url], { timeoutMs: 20_000 });
  const at = r.stdout.lastIndexOf('\n');
  return { code: r.code, status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at), stderr: r.stderr };
}

describe('HTTPS with basic authentication', () => {
  it('the REST proxy needs a user: 401 without, with a wrong password; 200 with alice', async () => {
    const url = `https://localhost:${port}/v3/clusters`;
    const none = await curl(url);
    expect(none.status).toBe(401);
    expect((await curl(url, ['-u', 'alice:wrong'])).status).toBe(401);
    const ok = await curl(url, ['-u', 'alice:alice-secret']);
    expect(ok.status, ok.body).toBe(200);
    expect((JSON.parse(ok.body) as { kind: string }).kind).toBe('KafkaClusterList');
  });

  it('probes and metrics stay open; logins are counted', async () => {
    expect((await curl(`https://localhost:${port}/healthz`)).status).toBe(200);
    expect((await curl(`https://localhost:${port}/readyz`)).status).toBe(200);
    const metrics = await curl(`https://localhost:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/strata_authentications_total\{listener="HTTP",mechanism="BASIC",result="success"\} [1-9]/);
    expect(metrics.body).toMatch(/strata_authentications_total\{listener="HTTP",mechanism="BASIC",result="failure"\} [1-9]/);
  });

  it('plain HTTP on the TLS port fails and the broker serves on', async () => {
    const plain = await runProcess('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${port}/healthz`], { timeoutMs: 20_000 });
    expect(plain.code).not.toBe(0);
    expect((await curl(`https://localhost:${port}/healthz`)).status).toBe(200);
  });
});

describe('the HTTP principal reaches the Kafka calls (console, authorizer on)', () => {
  let acl: BrokerHandle;
  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-http-acl-'));
    await strataOk(['users', 'create', 'alice', '--password', 'alice-secret', '--data-dir', dataDir]);
    await strataOk(['users', 'create', 'bob', '--password', 'bob-secret', '--data-dir', dataDir]);
    acl = await startBroker({ dataDir, args: ['--http.authentication.enable=true', '--authorizer.class.name=strata', '--super.users=User:alice', '--connection.failed.authentication.delay.ms=0'] });
  }, 60_000);

  it('alice (a super user) creates a topic through the console; bob, without ACLs, is refused', async () => {
    const create = (user: string, password: string, name: string) =>
      fetch(`http://127.0.0.1:${httpPortOf(acl)}/console/api/topics`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, partitions: 1 }),
      });
    const byAlice = await create('alice', 'alice-secret', 'http-principal-alice');
    expect(byAlice.status, await byAlice.text()).toBeLessThan(300);
    const byBob = await create('bob', 'bob-secret', 'http-principal-bob');
    expect(byBob.status).toBe(403);
  });
});
