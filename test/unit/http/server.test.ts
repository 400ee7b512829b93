import { describe, expect, it } from 'vitest';
import { parseHttpListeners } from '../../../src/http/server.js';
import { brokerConfigSchema } from '../../../src/config/broker-config.js';

describe('http.listeners', () => {
  it('parses host:port lists, optional http://, IPv6 and empty (disabled)', () => {
    expect(parseHttpListeners('127.0.0.1:8080')).toEqual([{ host: '127.0.0.1', port: 8080 }]);
    expect(parseHttpListeners('http://0.0.0.0:0, [::1]:9000')).toEqual([
      { host: '0.0.0.0', port: 0 },
      { host: '::1', port: 9000 },
    ]);
    expect(parseHttpListeners(':8080')).toEqual([{ host: '0.0.0.0', port: 8080 }]);
    expect(parseHttpListeners('')).toEqual([]);
  });

  it('is validated by the config schema with default 127.0.0.1:8080', () => {
    expect(brokerConfigSchema.parse({})['http.listeners']).toBe('127.0.0.1:8080');
    expect(brokerConfigSchema.safeParse({ 'http.listeners': 'nonsense' }).success).toBe(false);
    expect(brokerConfigSchema.safeParse({ 'http.listeners': '' }).success).toBe(true);
  });
});
