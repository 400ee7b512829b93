// Integration: named listeners and TLS with real clients. One broker with a PLAINTEXT and an
// SSL listener: kcat and KafkaJS produce and consume over TLS (CA-verified, hostname checked
// by librdkafka), Metadata answers each client with the endpoint of the listener it came in
// on, a plaintext client on the TLS port fails cleanly and the broker serves on, and a renewed
// certificate written over the keystore file is served without a restart (a broken one is
// refused and the old one kept). A second broker requires client certificates (mTLS): the
// certificate's subject is the principal (logged), and no certificate, an expired one or one
// from another CA is refused. A keystore with an encrypted key is read with ssl.key.password.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { fingerprintOf, makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { ConfigResourceTypes, kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeFormat, kcatProduce, runKcat } from '../helpers/kcat.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { listenerPort, tlsProbe } from '../helpers/security.js';
import { uniqueTopic } from '../helpers/topics.js';

let certs: TestCerts;
let broker: BrokerHandle;
let sslPort: number;
let keystore: string;

beforeAll(async () => {
  certs = makeTestCerts();
  keystore = `${certs.dir}/live-keystore.pem`;
  fs.copyFileSync(certs.serverKeystore, keystore);
  broker = await startBroker({
    args: [
      '--listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
      `--ssl.keystore.location=${keystore}`,
      '--ssl.keystore.reload.interval.ms=200',
      '--num.partitions=1',
    ],
  });
  sslPort = listenerPort(broker, 'SSL');
}, 60_000);

const sslConfig = () => ({ 'security.protocol': 'SSL', 'ssl.ca.location': certs.ca });

describe('an SSL listener beside a PLAINTEXT one', () => {
  it('kcat produces and consumes over TLS', async () => {
    const topic = uniqueTopic('tls-kcat');
    const lines = Array.from({ length: 50 }, (_, i) => `tls-${i}`);
    await kcatProduce(`127.0.0.1:${sslPort}`, topic, lines.join('\n') + '\n', { config: sslConfig() });
    const consumed = await kcatConsumeFormat(`127.0.0.1:${sslPort}`, topic, '%s\n', { config: sslConfig() });
    expect(consumed.stdout).toBe(lines.join('\n') + '\n');
  });

  it('Metadata answers each client with the endpoint of its own listener', async () => {
    const overTls = await runKcat(['-L', '-J', '-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`], { timeoutMs: 20_000 });
    expect(overTls.code, overTls.stderr).toBe(0);
    expect((JSON.parse(overTls.stdout) as { brokers: Array<{ name: string }> }).brokers.map((b) => b.name)).toEqual([`127.0.0.1:${sslPort}`]);
    const plain = await runKcat(['-L', '-J', '-b', broker.bootstrap], { timeoutMs: 20_000 });
    expect((JSON.parse(plain.stdout) as { brokers: Array<{ name: string }> }).brokers.map((b) => b.name)).toEqual([broker.bootstrap]);
  });

  it('KafkaJS produces and consumes over TLS', async () => {
    const topic = uniqueTopic('tls-kafkajs');
    const kafka = kafkaClient(`127.0.0.1:${sslPort}`, { ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], servername: 'localhost' } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= 20, { timeoutMs: 20_000, what: '20 records over TLS' });
    await consumer.disconnect();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  it('a plaintext client on the TLS port fails cleanly and the broker serves on', async () => {
    const plainOnTls = await runKcat(['-L', '-b', `127.0.0.1:${sslPort}`, '-m', '3'], { timeoutMs: 20_000 });
    expect(plainOnTls.code).not.toBe(0);
    expect(broker.running).toBe(true);
    expect((await tlsProbe(sslPort, { ca: certs.ca })).ok).toBe(true);
    const metrics = await scrapeMetrics(httpPortOf(broker));
    expect(metrics.get('strata_authentications_total{listener="SSL",mechanism="TLS",result="failure"}')).toBeGreaterThanOrEqual(1);
  });

  it('a renewed certificate written over the keystore is served without a restart; a broken one is refused and the old one kept', async () => {
    const before = await tlsProbe(sslPort, { ca: certs.ca });
    expect(before.fingerprint256).toBe(fingerprintOf(certs.serverKeystore));
    fs.writeFileSync(keystore, fs.readFileSync(certs.serverKeystore2));
    const renewed = fingerprintOf(certs.serverKeystore2);
    await waitFor(async () => (await tlsProbe(sslPort, { ca: certs.ca })).fingerprint256 === renewed, { timeoutMs: 10_000, what: 'the renewed certificate' });
    await waitFor(() => broker.logLines().some((l) => l.msg === 'TLS keystore reloaded'), { what: 'the reload log line' });
    // A key that does not match the certificate: refused, the renewed certificate stays.
    const key1 = fs.readFileSync(certs.serverKeystore, 'utf8').split('-----BEGIN CERTIFICATE-----')[0]!;
    const cert2 = '-----BEGIN CERTIFICATE-----' + fs.readFileSync(certs.serverKeystore2, 'utf8').split('-----BEGIN CERTIFICATE-----')[1]!;
    fs.writeFileSync(keystore, key1 + cert2);
    await waitFor(() => broker.logLines().some((l) => l.msg === 'TLS keystore changed but is not usable; keeping the previous certificate'), { what: 'the refused reload' });
    expect((await tlsProbe(sslPort, { ca: certs.ca })).fingerprint256).toBe(renewed);
    const consumed = await kcatProduce(`127.0.0.1:${sslPort}`, uniqueTopic('after-reload'), 'x\n', { config: sslConfig() });
    expect(consumed.code).toBe(0);
  });
});

describe('mTLS: ssl.client.auth=required', () => {
  let mtls: BrokerHandle;
  let port: number;
  beforeAll(async () => {
    mtls = await startBroker({
      args: [
        '--listeners=SSL://127.0.0.1:0',
        `--ssl.keystore.location=${certs.serverKeystoreEncrypted}`,
        `--ssl.key.password=${certs.keyPassword}`,
        `--ssl.truststore.location=${certs.ca}`,
        '--ssl.client.auth=required',
      ],
    });
    port = listenerPort(mtls, 'SSL');
  }, 60_000);
  afterAll(async () => {
    await mtls?.stop();
  });

  it('a client certificate from the trusted CA gets in; its subject is the principal', async () => {
    const topic = uniqueTopic('mtls');
    const config = { ...sslConfig(), 'ssl.certificate.location': certs.client.cert, 'ssl.key.location': certs.client.key };
    await kcatProduce(`127.0.0.1:${port}`, topic, 'a\nb\n', { config });
    const consumed = await kcatConsumeFormat(`127.0.0.1:${port}`, topic, '%s\n', { config });
    expect(consumed.stdout).toBe('a\nb\n');
    const authenticated = mtls.logLines().filter((l) => l.msg === 'client certificate authenticated');
    expect(authenticated.length).toBeGreaterThan(0);
    expect(new Set(authenticated.map((l) => l.principal))).toEqual(new Set([certs.clientPrincipal]));
  });

  it('DescribeConfigs marks ssl.key.password sensitive and never answers its value', async () => {
    const kafka = kafkaClient(`127.0.0.1:${port}`, {
      ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], cert: fs.readFileSync(certs.client.cert, 'utf8'), key: fs.readFileSync(certs.client.key, 'utf8'), servername: 'localhost' },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['ssl.key.password', 'ssl.client.auth'] }], includeSynonyms: true });
      const entries = res.resources[0]!.configEntries;
      expect(entries.find((e) => e.configName === 'ssl.key.password')).toMatchObject({ isSensitive: true, configValue: null });
      expect(entries.find((e) => e.configName === 'ssl.client.auth')).toMatchObject({ isSensitive: false, configValue: 'required' });
      expect(JSON.stringify(res)).not.toContain(certs.keyPassword);
    } finally {
      await admin.disconnect();
    }
  });

  it('no certificate, an expired one and one from another CA are refused; the broker serves on', async () => {
    expect(await tlsProbe(port, { ca: certs.ca })).toMatchObject({ ok: false });
    expect(await tlsProbe(port, { ca: certs.ca, ...certs.expiredClient })).toMatchObject({ ok: false });
    expect(await tlsProbe(port, { ca: certs.ca, ...certs.untrustedClient })).toMatchObject({ ok: false });
    const noCert = await runKcat(['-L', '-b', `127.0.0.1:${port}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`, '-m', '3'], { timeoutMs: 20_000 });
    expect(noCert.code).not.toBe(0);
    expect(await tlsProbe(port, { ca: certs.ca, ...certs.client })).toMatchObject({ ok: true });
    const failures = mtls.logLines().filter((l) => l.msg === 'TLS handshake failed');
    expect(failures.length).toBeGreaterThanOrEqual(3);
  });
});
