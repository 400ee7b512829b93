// Integration: hostile input before authentication, and session lifetimes (KIP-368), against
// a broker with a PLAINTEXT and a SASL_PLAINTEXT listener. Fuzzed SaslHandshake and
// SaslAuthenticate frames (fast-check) and random frames get an answer or a closed connection,
// never a crash or a hang; frames larger than sasl.server.max.receive.size close the connection
// as soon as their size is read (nothing allocated for them); resident memory stays bounded.
// With connections.max.reauth.ms set, SaslAuthenticate answers the session lifetime; a raw
// client that does not re-authenticate is closed at its first request after it, one that does
// keeps going (but not as another user); KafkaJS re-authenticates by itself and keeps working;
// librdkafka 2.0.2 (Debian's kcat) has no KIP-368 and is disconnected at the end of its session.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { runKcat } from '../helpers/kcat.js';
import { httpPortOf, scrapeMetrics } from '../helpers/metrics.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { apiVersions, metadata } from '../helpers/raw-requests.js';
import { plainLogin, saslAuthenticate, saslHandshake } from '../helpers/sasl.js';
import { listenerPort } from '../helpers/security.js';
import { strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';
import { encodeSaslAuthenticateRequest, encodeSaslHandshakeRequest } from '../../src/protocol/generated/messages/index.js';
import { Writer } from '../../src/protocol/writer.js';

const LIFETIME_MS = 1500;
let broker: BrokerHandle;
let saslPort: number;

beforeAll(async () => {
  broker = await startBroker({
    args: [
      '--listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      `--connections.max.reauth.ms=${LIFETIME_MS}`,
      '--connection.failed.authentication.delay.ms=0',
      '--sasl.server.max.receive.size=524288',
    ],
  });
  saslPort = listenerPort(broker, 'SASL_PLAINTEXT');
  await strataOk(['users', 'create', 'alice', '--password', 'alice-pw', '--bootstrap-server', broker.bootstrap]);
  await strataOk(['users', 'create', 'bob', '--password', 'bob-pw', '--bootstrap-server', broker.bootstrap]);
}, 60_000);

/** After `frames`, the broker has answered every request or closed: wait for either, bounded. */
async function sendAndSettle(frames: Buffer[]): Promise<'closed' | 'answered'> {
  const c = await RawKafkaConnection.connect('127.0.0.1', saslPort);
  try {
    for (const f of frames) c.writeFrame(f);
    for (let i = 0; i < frames.length; i++) {
      try {
        await c.nextFrame(5_000);
      } catch (err) {
        if (c.closed) return 'closed';
        throw err;
      }
    }
    return 'answered';
  } finally {
    c.close();
  }
}

function frame(apiKey: number, version: number, correlationId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(-1, 8); // null client id
  const flexible = (apiKey === 36 && version >= 2) ? Buffer.from([0]) : Buffer.alloc(0); // empty tagged fields of header v2
  return Buffer.concat([header, flexible, body]);
}

describe('hostile input before authentication', () => {
  it('fuzzed SASL frames are answered or close the connection; the broker serves on with bounded memory', async () => {
    const port = httpPortOf(broker);
    const rssBefore = (await scrapeMetrics(port)).get('strata_process_resident_memory_bytes')!;
    const handshake = fc.record({ version: fc.integer({ min: 0, max: 1 }), mechanism: fc.oneof(fc.constantFrom('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'), fc.string({ maxLength: 40 })) });
    const token = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
      fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })).map(([u, r]) => Buffer.from(`n,,n=${u},r=${r}`)),
      fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })).map(([u, p]) => Buffer.from(`\u0000${u}\u0000${p}`)),
    );
    const step = fc.oneof(
      handshake.map(({ version, mechanism }) => ({ kind: 'handshake' as const, version, mechanism })),
      fc.record({ version: fc.integer({ min: 0, max: 2 }), token }).map(({ version, token }) => ({ kind: 'authenticate' as const, version, token })),
      fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => ({ kind: 'raw' as const, bytes: Buffer.from(a) })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        const frames = steps.map((s, i) => {
          if (s.kind === 'raw') return s.bytes;
          const w = new Writer();
          if (s.kind === 'handshake') {
            encodeSaslHandshakeRequest(w, s.version, { mechanism: s.mechanism });
            return frame(17, s.version, i + 1, Buffer.from(w.toBuffer()));
          }
          encodeSaslAuthenticateRequest(w, s.version, { authBytes: s.token });
          return frame(36, s.version, i + 1, Buffer.from(w.toBuffer()));
        });
        const outcome = await sendAndSettle(frames);
        expect(['closed', 'answered']).toContain(outcome);
        expect(broker.running).toBe(true);
      }),
      { numRuns: 60, seed: 18 },
    );
    // Still serving: a fresh client authenticates.
    const c = await RawKafkaConnection.connect('127.0.0.1', saslPort);
    expect((await plainLogin(c, 'alice', 'alice-pw')).errorCode).toBe(0);
    c.close();
    const rssAfter = (await scrapeMetrics(port)).get('strata_process_resident_memory_bytes')!;
    expect(rssAfter - rssBefore).toBeLessThan(128 * 1024 * 1024);
  }, 120_000);

  it('a frame larger than sasl.server.max.receive.size closes the connection as soon as its size is read', async () => {
    for (const size of [524_289, 100 * 1024 * 1024, 2 ** 31 - 1]) {
      const c = await RawKafkaConnection.connect('127.0.0.1', saslPort);
      const prefix = Buffer.alloc(4 + 16);
      prefix.writeInt32BE(size, 0);
      c.writeRaw(prefix); // 16 bytes of a frame announced as `size`: the broker must not wait for the rest
      expect(await c.waitClosed(3_000)).toBe(true);
    }
    // A PLAINTEXT connection still takes large frames (the limit is for unauthenticated SASL only).
    const plain = await RawKafkaConnection.connect('127.0.0.1', broker.port);
    expect((await apiVersions(plain)).errorCode).toBe(0);
    plain.close();
  });

  it('an authenticated connection is no longer limited to small frames', async () => {
    const c = await RawKafkaConnection.connect('127.0.0.1', saslPort);
    expect((await plainLogin(c, 'alice', 'alice-pw')).errorCode).toBe(0);
    // Metadata for a 600 KB topic list (over the unauthenticated limit) is answered.
    const names = Array.from({ length: 3000 }, (_, i) => `${'x'.repeat(190)}-${i}`);
    const md = await metadata(c, names, 12, { autoCreate: false });
    expect(md.topics).toHaveLength(3000);
    c.close();
  });
});

describe('session lifetime (KIP-368)', () => {
  it('SaslAuthenticate answers the lifetime; without re-authentication the next request after it closes the connection', async () => {
    const c = await RawKafkaConnection.connect('127.0.0.1', saslPort);
    const t0 = Date.now();
    const res = await plainLogin(c, 'alice', 'alice-pw', 1);
    expect(res.sessionLifetimeMs).toBe(BigInt(LIFETIME_MS));
    expect((await metadata(c, [])).brokers).toHaveLength(1);
    await waitFor(() => Date.now() > t0 + LIFETIME_MS + 100, { timeoutMs: LIFETIME_MS + 2_000, what: 'the session to expire' });
    await expect(metadata(c, [])).rejects.toThrow(/closed/);
  });

  it('a client that re-authenticates in time keeps going; re-authenticating as someone else closes the connection', async () => {
    const c = await RawKafkaConnection.connect('127.0.0.1', saslPort);
    const t0 = Date.now();
    expect((await plainLogin(c, 'alice', 'alice-pw', 1)).errorCode).toBe(0);
    await waitFor(() => Date.now() > t0 + LIFETIME_MS / 2, { timeoutMs: LIFETIME_MS, what: 'half the session' });
    expect((await plainLogin(c, 'alice', 'alice-pw', 1)).errorCode).toBe(0);
    await waitFor(() => Date.now() > t0 + LIFETIME_MS + 100, { timeoutMs: LIFETIME_MS + 2_000, what: 'the first session to expire' });
    expect((await metadata(c, [])).brokers).toHaveLength(1);
    expect((await saslHandshake(c, 'PLAIN')).errorCode).toBe(0);
    expect((await saslAuthenticate(c, Buffer.from('\u0000bob\u0000bob-pw'), 1)).errorCode).toBe(58);
    expect(await c.waitClosed()).toBe(true);
  });

  it('KafkaJS re-authenticates by itself and keeps working across several session lifetimes', async () => {
    const topic = uniqueTopic('reauth');
    const kafka = kafkaClient(`127.0.0.1:${saslPort}`, { sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-pw' }, reauthenticationThreshold: 500 });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // 25 sends on one connection, spread over more than two session lifetimes.
    for (let i = 0; i < 25; i++) {
      await producer.send({ topic, messages: [{ value: `r-${i}` }] });
      const next = Date.now() + 150;
      await waitFor(() => Date.now() >= next, { timeoutMs: 1_000, intervalMs: 20, what: 'the next send slot' });
    }
    await producer.disconnect();
    const read = await runKcat(['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-f', '%s\n'], { timeoutMs: 20_000 });
    expect(read.stdout).toBe(Array.from({ length: 25 }, (_, i) => `r-${i}\n`).join(''));
    const reauths = broker.logLines().filter((l) => l.msg === 're-authenticated' && l.principal === 'User:alice');
    expect(reauths.length).toBeGreaterThanOrEqual(2);
    expect(broker.logLines().some((l) => l.reason === 'SASL session expired without re-authentication (connections.max.reauth.ms)' && l.conn === reauths[0]!.conn)).toBe(false);
  }, 60_000);

  it('librdkafka 2.0.2 (kcat) does not re-authenticate (KIP-368 came in librdkafka 2.2): it is disconnected at the end of its session', async () => {
    const before = broker.logLines().filter((l) => l.reason === 'SASL session expired without re-authentication (connections.max.reauth.ms)').length;
    // A consumer that waits for records that never come: its fetches outlive the session.
    const topic = uniqueTopic('reauth-kcat');
    await createTopicOn(broker.bootstrap, topic, 1);
    const result = await runKcat(
      ['-C', '-b', `127.0.0.1:${saslPort}`, '-t', topic, '-o', 'end', '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=bob', '-X', 'sasl.password=bob-pw'],
      { timeoutMs: 15_000 },
    );
    expect(result.stderr).toMatch(/Disconnected \(after \d+ms in state UP\)/);
    expect(broker.logLines().filter((l) => l.reason === 'SASL session expired without re-authentication (connections.max.reauth.ms)').length).toBeGreaterThan(before);
    expect(broker.logLines().some((l) => l.msg === 'authenticated' && l.principal === 'User:bob' && l.mechanism === 'SCRAM-SHA-512')).toBe(true);
  }, 30_000);
});

