// Thread: main. Which security protocol each Kafka listener speaks, resolved as Kafka does
// through `listener.security.protocol.map` (listener name → protocol; names and protocols are
// case-insensitive). Strata serves PLAINTEXT only until TLS and SASL exist, so a listener or
// advertised listener that resolves to SSL, SASL_PLAINTEXT or SASL_SSL — or whose name the
// map does not know — is a configuration error: serving plaintext where a client expects TLS
// would be silently wrong.
import { parseListeners, type BrokerConfig, type Listener } from './broker-config.js';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** `PLAINTEXT:PLAINTEXT,internal:ssl` → Map { PLAINTEXT → PLAINTEXT, INTERNAL → SSL } (names upper-cased). */
export function parseSecurityProtocolMap(value: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of value.split(',')) {
    const [name, protocol] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (!name || !protocol || !(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new Error(`bad listener.security.protocol.map entry "${entry.trim()}"`);
    }
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

/** The security protocol of one listener, or undefined when the map does not name it. */
export function securityProtocolOf(listener: Listener, map: Map<string, SecurityProtocol>): SecurityProtocol | undefined {
  return map.get(listener.name.toUpperCase());
}

/** One readable problem per listener (and advertised listener) Strata cannot serve as configured. */
export function listenerSecurityProblems(config: Pick<BrokerConfig, 'listeners' | 'advertised.listeners' | 'listener.security.protocol.map'>): string[] {
  const map = parseSecurityProtocolMap(config['listener.security.protocol.map']);
  const problems: string[] = [];
  const check = (setting: 'listeners' | 'advertised.listeners', value: string | undefined) => {
    if (value === undefined) return;
    const entries = value.split(',').map((e) => e.trim());
    parseListeners(value).forEach((listener, i) => {
      const shown = entries[i]!;
      const protocol = securityProtocolOf(listener, map);
      if (protocol === undefined) {
        problems.push(
          `${setting}: "${shown}": no security protocol for listener name ${listener.name.toUpperCase()}; ` +
            `map it in listener.security.protocol.map (e.g. ${listener.name.toUpperCase()}:PLAINTEXT)`,
        );
      } else if (protocol !== 'PLAINTEXT') {
        problems.push(
          `${setting}: "${shown}" uses security protocol ${protocol}, but Strata serves only PLAINTEXT ` +
            `(TLS and SASL are not implemented yet); use ${shown.replace(/^[A-Za-z_]+:\/\//, 'PLAINTEXT://')}`,
        );
      }
    });
  };
  check('listeners', config['listeners']);
  check('advertised.listeners', config['advertised.listeners']);
  return problems;
}
