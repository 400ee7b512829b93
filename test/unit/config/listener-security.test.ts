import { describe, expect, it } from 'vitest';
import { brokerConfigSchema } from '../../../src/config/broker-config.js';
import { interBrokerListenerName, listenerSecurityProblems, parseSecurityProtocolMap, resolveListeners } from '../../../src/config/listener-security.js';
import { ConfigError, loadBrokerConfig } from '../../../src/config/load-config.js';

function problemsFor(settings: Record<string, string>): string[] {
  return listenerSecurityProblems(brokerConfigSchema.parse(settings));
}

function configErrorOf(argv: string[]): ConfigError {
  try {
    loadBrokerConfig({ argv, env: {} });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no ConfigError for ${argv.join(' ')}`);
}

const KEYSTORE = { 'ssl.keystore.location': '/etc/strata/server.pem' };

describe('listener security protocols', () => {
  it('accepts PLAINTEXT listeners and names mapped to PLAINTEXT', () => {
    expect(problemsFor({})).toEqual([]);
    expect(problemsFor({ listeners: 'PLAINTEXT://0.0.0.0:9092', 'advertised.listeners': 'PLAINTEXT://broker-1:9092' })).toEqual([]);
    expect(
      problemsFor({
        listeners: 'INTERNAL://:9092,external://0.0.0.0:9094',
        'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:plaintext',
      }),
    ).toEqual([]);
  });

  it('accepts SSL, SASL_PLAINTEXT and SASL_SSL listeners once a keystore is set, and resolves each protocol', () => {
    const settings = { listeners: 'PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093,SASL_PLAINTEXT://:9094,client://h:9095', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,CLIENT:SASL_SSL', ...KEYSTORE };
    expect(problemsFor(settings)).toEqual([]);
    expect(resolveListeners(brokerConfigSchema.parse(settings)).map((l) => `${l.name}=${l.protocol}@${l.host}:${l.port}`)).toEqual([
      'PLAINTEXT=PLAINTEXT@127.0.0.1:9092',
      'SSL=SSL@127.0.0.1:9093',
      'SASL_PLAINTEXT=SASL_PLAINTEXT@0.0.0.0:9094',
      'CLIENT=SASL_SSL@h:9095',
    ]);
  });

  it('refuses TLS without a keystore, half an inline keystore, and client auth without a truststore', () => {
    expect(problemsFor({ listeners: 'SSL://127.0.0.1:9093' })).toEqual([expect.stringMatching(/^a listener uses SSL or SASL_SSL but no keystore is set: set ssl.keystore.location/)]);
    expect(problemsFor({ listeners: 'SSL://127.0.0.1:9093', 'ssl.keystore.key': 'PEM' })).toEqual([
      'ssl.keystore.key and ssl.keystore.certificate.chain go together: set both (inline PEM) or neither',
    ]);
    expect(problemsFor({ listeners: 'SSL://127.0.0.1:9093', ...KEYSTORE, 'ssl.client.auth': 'required' })).toEqual([
      'ssl.client.auth=required needs the CAs of client certificates: set ssl.truststore.location to a PEM file of CA certificates',
    ]);
    expect(problemsFor({ listeners: 'SSL://127.0.0.1:9093', ...KEYSTORE, 'ssl.client.auth': 'required', 'ssl.truststore.location': '/ca.pem' })).toEqual([]);
    expect(problemsFor({ listeners: 'SASL_PLAINTEXT://127.0.0.1:9093', 'sasl.enabled.mechanisms': '' })).toEqual([expect.stringMatching(/sasl.enabled.mechanisms is empty/)]);
  });

  it('refuses duplicate names, advertised names that are not listeners and an unknown inter-broker listener', () => {
    expect(problemsFor({ listeners: 'PLAINTEXT://:9092,PLAINTEXT://:9093' })).toEqual([expect.stringMatching(/^listeners: listener name PLAINTEXT appears twice/)]);
    expect(problemsFor({ 'advertised.listeners': 'SSL://public:9093' })).toEqual([
      'advertised.listeners: "SSL://public:9093" names listener SSL, which is not in listeners (PLAINTEXT)',
    ]);
    expect(problemsFor({ 'inter.broker.listener.name': 'internal' })).toEqual(['inter.broker.listener.name: INTERNAL is not one of the listeners (PLAINTEXT)']);
  });

  it('the inter-broker listener is the named one, else the first', () => {
    expect(interBrokerListenerName(brokerConfigSchema.parse({ listeners: 'a://:1,b://:2' }))).toBe('A');
    expect(interBrokerListenerName(brokerConfigSchema.parse({ listeners: 'a://:1,b://:2', 'inter.broker.listener.name': 'b' }))).toBe('B');
  });

  it('rejects a listener name the map does not know, saying how to map it', () => {
    expect(problemsFor({ listeners: 'INTERNAL://127.0.0.1:9092' })).toEqual([
      'listeners: "INTERNAL://127.0.0.1:9092": no security protocol for listener name INTERNAL; map it in listener.security.protocol.map (e.g. INTERNAL:PLAINTEXT)',
    ]);
  });

  it('parses the map case-insensitively and the schema rejects unknown protocols', () => {
    expect([...parseSecurityProtocolMap(' a:ssl , B:PLAINTEXT')]).toEqual([
      ['A', 'SSL'],
      ['B', 'PLAINTEXT'],
    ]);
    expect(brokerConfigSchema.safeParse({ 'listener.security.protocol.map': 'A:TLS' }).success).toBe(false);
    expect(brokerConfigSchema.safeParse({ 'listener.security.protocol.map': 'nonsense' }).success).toBe(false);
    expect(brokerConfigSchema.safeParse({ 'ssl.enabled.protocols': 'TLSv1' }).success).toBe(false);
    expect(brokerConfigSchema.safeParse({ 'sasl.enabled.mechanisms': 'GSSAPI' }).success).toBe(false);
  });

  it('loadBrokerConfig stops with a ConfigError listing the problems', () => {
    const error = configErrorOf(['--listeners=SSL://127.0.0.1:9093', '--advertised.listeners=SASL_SSL://example.com:9093']);
    expect(error.problems).toEqual([
      'advertised.listeners: "SASL_SSL://example.com:9093" names listener SASL_SSL, which is not in listeners (SSL)',
      expect.stringMatching(/^a listener uses SSL or SASL_SSL but no keystore is set/),
    ]);
  });
});
