import { describe, expect, it } from 'vitest';
import type { BrokerContext } from '../../../../src/broker-context.js';
import { advertisedEndpoints } from '../../../../src/broker.js';
import type { ConnectionInfo } from '../../../../src/router/connection.js';
import { brokerEndpoint, selfEndpoint } from '../../../../src/router/handlers/endpoints.js';

const conn = (listenerName: string) => ({ listenerName }) as ConnectionInfo;

describe('advertised endpoints per listener', () => {
  it('advertised.listeners wins per name (port 0 = bound); others advertise their bound address, a wildcard as 127.0.0.1', () => {
    const bound = [
      { name: 'INTERNAL', protocol: 'PLAINTEXT' as const, host: '0.0.0.0', port: 0, boundPort: 40001 },
      { name: 'EXTERNAL', protocol: 'SASL_SSL' as const, host: '10.0.0.5', port: 9093, boundPort: 9093 },
      { name: 'ADMIN', protocol: 'SSL' as const, host: '10.0.0.5', port: 0, boundPort: 40003 },
    ];
    const endpoints = advertisedEndpoints(bound, 'external://kafka.example.com:443,ADMIN://admin.example.com:0');
    expect(Object.fromEntries(endpoints)).toEqual({
      INTERNAL: { host: '127.0.0.1', port: 40001 },
      EXTERNAL: { host: 'kafka.example.com', port: 443 },
      ADMIN: { host: 'admin.example.com', port: 40003 },
    });
  });

  it('a client is answered with the endpoint of its own listener, else the inter-broker one', () => {
    const broker = { advertised: { host: 'inter', port: 1 }, listenerEndpoints: new Map([['EXTERNAL', { host: 'ext', port: 2 }]]) } as unknown as BrokerContext;
    expect(selfEndpoint(broker, conn('EXTERNAL'))).toEqual({ host: 'ext', port: 2 });
    expect(selfEndpoint(broker, conn('HTTP'))).toEqual({ host: 'inter', port: 1 });
    const other = { host: 'b2', port: 9092, endpoints: { EXTERNAL: { host: 'b2.example.com', port: 443 } } };
    expect(brokerEndpoint(other, conn('EXTERNAL'))).toEqual({ host: 'b2.example.com', port: 443 });
    expect(brokerEndpoint(other, conn('INTERNAL'))).toEqual({ host: 'b2', port: 9092 });
    expect(brokerEndpoint({ host: 'old', port: 9 }, conn('EXTERNAL'))).toEqual({ host: 'old', port: 9 });
  });
});
