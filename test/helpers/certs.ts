// Thread: vitest test worker. Test certificates made with the openssl CLI in a temp dir: a CA,
// a server certificate for 127.0.0.1/localhost (SAN) as a PEM keystore (key + chain), a second
// one for reload tests, a client certificate (subject O=Acme, OU=eng, CN=alice), an expired
// client certificate and a client certificate from a CA the broker does not trust. EC P-256
// keys keep generation fast. Every openssl run is bounded by a timeout.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export interface TestCerts {
  dir: string;
  /** CA certificate (PEM file): the truststore, and the clients' ssl.ca.location. */
  ca: string;
  /** Server keystore: private key + certificate (PEM file). */
  serverKeystore: string;
  /** Another server keystore from the same CA (a renewed certificate). */
  serverKeystore2: string;
  /** Server keystore whose private key is encrypted with `keyPassword`. */
  serverKeystoreEncrypted: string;
  keyPassword: string;
  client: { key: string; cert: string };
  expiredClient: { key: string; cert: string };
  untrustedClient: { key: string; cert: string };
  /** The principal Kafka derives from the client certificate. */
  clientPrincipal: string;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

function newKey(cwd: string, name: string): void {
  openssl(cwd, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name]);
}

export function fingerprintOf(certPemFile: string): string {
  return new X509Certificate(fs.readFileSync(certPemFile)).fingerprint256;
}

/** Makes the whole set in a fresh temp dir (removed after the test file). */
export function makeTestCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-certs-'));
  dirs.push(dir);
  const sign = (ca: string, csr: string, out: string, ext?: string) => {
    const extArgs = ext ? ['-extfile', ext] : [];
    openssl(dir, ['x509', '-req', '-in', csr, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', out, '-days', '2', ...extArgs]);
  };
  const ca = (name: string, cn: string) => {
    newKey(dir, `${name}.key`);
    openssl(dir, ['req', '-x509', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`]);
  };
  ca('ca', 'Strata Test CA');
  ca('other-ca', 'Untrusted CA');
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const server = (name: string) => {
    newKey(dir, `${name}.key`);
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost']);
    sign('ca', `${name}.csr`, `${name}.pem`, 'server.ext');
    fs.writeFileSync(path.join(dir, `${name}-keystore.pem`), fs.readFileSync(path.join(dir, `${name}.key`), 'utf8') + fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'));
  };
  server('server');
  server('server2');
  const keyPassword = 'keystore-secret';
  openssl(dir, ['pkcs8', '-topk8', '-in', 'server.key', '-out', 'server-enc.key', '-v2', 'aes-256-cbc', '-passout', `pass:${keyPassword}`]);
  fs.writeFileSync(path.join(dir, 'server-enc-keystore.pem'), fs.readFileSync(path.join(dir, 'server-enc.key'), 'utf8') + fs.readFileSync(path.join(dir, 'server.pem'), 'utf8'));
  const client = (name: string, caName: string) => {
    newKey(dir, `${name}.key`);
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', '/O=Acme/OU=eng/CN=alice']);
    sign(caName, `${name}.csr`, `${name}.pem`);
    return { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.pem`) };
  };
  // An expired certificate needs explicit dates: `openssl ca` takes them (x509 -req does not in OpenSSL 3.0).
  newKey(dir, 'expired.key');
  openssl(dir, ['req', '-new', '-key', 'expired.key', '-out', 'expired.csr', '-subj', '/O=Acme/OU=eng/CN=alice']);
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    ['[ca]', 'default_ca = test', '[test]', `dir = ${dir}`, `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`, `serial = ${dir}/serial`, 'default_md = sha256', 'policy = any', '[any]', 'commonName = supplied', 'organizationName = optional', 'organizationalUnitName = optional', ''].join('\n'),
  );
  openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext']);
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    serverKeystore: path.join(dir, 'server-keystore.pem'),
    serverKeystore2: path.join(dir, 'server2-keystore.pem'),
    serverKeystoreEncrypted: path.join(dir, 'server-enc-keystore.pem'),
    keyPassword,
    client: client('client', 'ca'),
    expiredClient: { key: path.join(dir, 'expired.key'), cert: path.join(dir, 'expired.pem') },
    untrustedClient: client('untrusted', 'other-ca'),
    clientPrincipal: 'User:CN=alice,OU=eng,O=Acme',
  };
}
