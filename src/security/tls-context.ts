// Thread: main. The TLS server settings of the SSL and SASL_SSL listeners (and https HTTP
// listeners) from Kafka's PEM keystore settings, and their reload without a restart: the
// keystore and truststore files are re-read every ssl.keystore.reload.interval.ms; when their
// bytes changed, a new secure context is built and swapped into every server with
// server.setSecureContext (new handshakes use it; open connections keep theirs). A reload that
// fails (a half-written file, a key that does not match) keeps the old context and logs an error.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type tls from 'node:tls';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { StrataError } from '../errors.js';

export type TlsSettings = Pick<
  BrokerConfig,
  | 'ssl.keystore.location'
  | 'ssl.keystore.key'
  | 'ssl.keystore.certificate.chain'
  | 'ssl.key.password'
  | 'ssl.truststore.location'
  | 'ssl.truststore.certificates'
  | 'ssl.client.auth'
  | 'ssl.enabled.protocols'
  | 'ssl.keystore.reload.interval.ms'
>;

/** The PEM text the context is built from. */
interface Material {
  keystore: string;
  truststore: string | undefined;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function pemBlocks(pem: string): Array<{ label: string; text: string }> {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
}

/** Server options for tls.createServer / setSecureContext from the keystore PEM (key + chain). */
function contextOptions(material: Material, settings: TlsSettings): tls.SecureContextOptions {
  const blocks = pemBlocks(material.keystore);
  const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (key === undefined) throw new Error('the keystore holds no PEM private key (-----BEGIN PRIVATE KEY-----)');
  if (certs.length === 0) throw new Error('the keystore holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  const versions = settings['ssl.enabled.protocols'].split(',').map((v) => v.trim()).sort() as tls.SecureVersion[];
  return {
    key: key.text,
    cert: certs.map((c) => c.text).join('\n'),
    ...(settings['ssl.key.password'] !== undefined ? { passphrase: settings['ssl.key.password'] } : {}),
    ...(material.truststore !== undefined ? { ca: material.truststore } : {}),
    minVersion: versions[0]!,
    maxVersion: versions[versions.length - 1]!,
  };
}

/** What a certificate is, for logs: serial, SHA-256 fingerprint, expiry. */
export function describeCertificate(pem: string): { serial: string; fingerprint256: string; validTo: string } | undefined {
  const first = pemBlocks(pem).find((b) => b.label === 'CERTIFICATE');
  if (first === undefined) return undefined;
  const x = new X509Certificate(first.text);
  return { serial: x.serialNumber, fingerprint256: x.fingerprint256, validTo: x.validTo };
}

export class TlsContext {
  private material: Material;
  private options: tls.SecureContextOptions;
  private readonly servers = new Set<tls.Server>();
  private timer: NodeJS.Timeout | undefined;
  private reloading = false;

  private constructor(
    private readonly settings: TlsSettings,
    private readonly logger: Logger,
    material: Material,
  ) {
    this.material = material;
    this.options = TlsContext.build(material, settings);
  }

  /** Reads and checks the keystore and truststore at start-up; a problem is a readable StrataError. */
  static load(settings: TlsSettings, logger: Logger): TlsContext {
    let material: Material;
    try {
      material = readMaterialSync(settings);
    } catch (err) {
      throw new StrataError('STRATA_ERR_CONFIG', `TLS: cannot read the keystore or truststore: ${(err as Error).message}`, { cause: err });
    }
    try {
      const ctx = new TlsContext(settings, logger, material);
      logger.info({ certificate: describeCertificate(material.keystore), clientAuth: settings['ssl.client.auth'] }, 'TLS keystore loaded');
      return ctx;
    } catch (err) {
      throw new StrataError('STRATA_ERR_CONFIG', `TLS: the keystore is not usable: ${(err as Error).message}`, { cause: err });
    }
  }

  private static build(material: Material, settings: TlsSettings): tls.SecureContextOptions {
    const options = contextOptions(material, settings);
    createSecureContext(options); // throws on a key that does not match, a wrong password, bad PEM
    return options;
  }

  /** Options for tls.createServer (mTLS as ssl.client.auth says). */
  serverOptions(): tls.TlsOptions {
    const clientAuth = this.settings['ssl.client.auth'];
    return { ...this.options, requestCert: clientAuth !== 'none', rejectUnauthorized: clientAuth === 'required', handshakeTimeout: 10_000 };
  }

  /** Options for https.createServer: the same keystore, no client certificates. */
  httpsOptions(): tls.TlsOptions {
    return { ...this.options, handshakeTimeout: 10_000 };
  }

  /** A server to swap the context of on reload. */
  attach(server: tls.Server): void {
    this.servers.add(server);
    this.startReloading();
  }

  private startReloading(): void {
    const interval = this.settings['ssl.keystore.reload.interval.ms'];
    if (this.timer !== undefined || interval === 0) return;
    this.timer = setInterval(() => void this.reloadIfChanged(), interval);
    this.timer.unref();
  }

  /** Re-reads the files; a changed, valid keystore or truststore replaces the context everywhere. */
  async reloadIfChanged(): Promise<boolean> {
    if (this.reloading) return false;
    this.reloading = true;
    try {
      const next = await readMaterial(this.settings);
      if (next.keystore === this.material.keystore && next.truststore === this.material.truststore) return false;
      let options: tls.SecureContextOptions;
      try {
        options = TlsContext.build(next, this.settings);
      } catch (err) {
        this.logger.error({ reason: (err as Error).message }, 'TLS keystore changed but is not usable; keeping the previous certificate');
        return false;
      }
      for (const server of this.servers) server.setSecureContext({ ...options });
      this.material = next;
      this.options = options;
      this.logger.info({ certificate: describeCertificate(next.keystore) }, 'TLS keystore reloaded');
      return true;
    } catch (err) {
      this.logger.error({ reason: (err as Error).message }, 'TLS keystore reload failed; keeping the previous certificate');
      return false;
    } finally {
      this.reloading = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.servers.clear();
  }
}

function readMaterialSync(s: TlsSettings): Material {
  const keystore = s['ssl.keystore.location'] !== undefined ? fs.readFileSync(s['ssl.keystore.location'], 'utf8') : `${s['ssl.keystore.key'] ?? ''}\n${s['ssl.keystore.certificate.chain'] ?? ''}`;
  const truststore = s['ssl.truststore.location'] !== undefined ? fs.readFileSync(s['ssl.truststore.location'], 'utf8') : s['ssl.truststore.certificates'];
  return { keystore, truststore };
}

async function readMaterial(s: TlsSettings): Promise<Material> {
  const keystore = s['ssl.keystore.location'] !== undefined ? await fs.promises.readFile(s['ssl.keystore.location'], 'utf8') : `${s['ssl.keystore.key'] ?? ''}\n${s['ssl.keystore.certificate.chain'] ?? ''}`;
  const truststore = s['ssl.truststore.location'] !== undefined ? await fs.promises.readFile(s['ssl.truststore.location'], 'utf8') : s['ssl.truststore.certificates'];
  return { keystore, truststore };
}
