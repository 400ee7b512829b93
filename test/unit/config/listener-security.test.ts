import { describe, expect, it } from 'vitest';
import { brokerConfigSchema } from '../../../src/config/broker-config.js';
import { listenerSecurityProblems, parseSecurityProtocolMap } from '../../../src/config/listener-security.js';
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

  it('rejects SSL, SASL_PLAINTEXT and SASL_SSL listeners, one problem per listener', () => {
    const problems = problemsFor({ listeners: 'PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093,SASL_PLAINTEXT://:9094,SASL_SSL://h:9095' });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe(
      'listeners: "SSL://127.0.0.1:9093" uses security protocol SSL, but Strata serves only PLAINTEXT (TLS and SASL are not implemented yet); use PLAINTEXT://127.0.0.1:9093',
    );
    expect(problems[1]).toMatch(/^listeners: "SASL_PLAINTEXT:\/\/:9094" uses security protocol SASL_PLAINTEXT/);
    expect(problems[2]).toMatch(/^listeners: "SASL_SSL:\/\/h:9095" uses security protocol SASL_SSL/);
  });

  it('resolves names through listener.security.protocol.map and checks advertised.listeners too', () => {
    const problems = problemsFor({
      listeners: 'CLIENT://127.0.0.1:9092',
      'advertised.listeners': 'CLIENT://public:9092',
      'listener.security.protocol.map': 'CLIENT:SASL_SSL',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^listeners: "CLIENT:\/\/127.0.0.1:9092" uses security protocol SASL_SSL/),
      expect.stringMatching(/^advertised.listeners: "CLIENT:\/\/public:9092" uses security protocol SASL_SSL/),
    ]);
    expect(problemsFor({ 'advertised.listeners': 'SSL://public:9093' })).toEqual([
      expect.stringMatching(/^advertised.listeners: "SSL:\/\/public:9093" uses security protocol SSL/),
    ]);
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
  });

  it('loadBrokerConfig stops with a ConfigError listing the offending listeners', () => {
    const error = configErrorOf(['--listeners=SSL://127.0.0.1:9093', '--advertised.listeners=SASL_SSL://example.com:9093']);
    expect(error.problems).toEqual([
      expect.stringMatching(/^listeners: "SSL:\/\/127.0.0.1:9093" uses security protocol SSL/),
      expect.stringMatching(/^advertised.listeners: "SASL_SSL:\/\/example.com:9093" uses security protocol SASL_SSL/),
    ]);
    expect(error.message).toContain('Strata serves only PLAINTEXT');
  });
});
