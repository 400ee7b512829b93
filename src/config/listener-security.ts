// Thread: main. Named Kafka listeners and their security protocols, resolved as Kafka does:
// `listeners=PLAINTEXT://:9092,SASL_SSL://:9093` names each listener; the name maps to a
// protocol through `listener.security.protocol.map` (names and protocols case-insensitive);
// `advertised.listeners` gives, per name, the endpoint clients are told to use; and
// `inter.broker.listener.name` the one other brokers (and the cluster registration) use.
// Misconfiguration is refused at start-up with one readable problem each: a name the map does
// not know, a listener named twice, an advertised or inter-broker name that is not a listener,
// TLS without a keystore, client authentication without a truststore, SASL without mechanisms.
import { parseListeners, type BrokerConfig, type Listener } from './broker-config.js';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** A listener with its upper-cased name and security protocol. */
export interface ResolvedListener extends Listener {
  protocol: SecurityProtocol;
}

type ListenerSettings = Pick<
  BrokerConfig,
  | 'listeners'
  | 'advertised.listeners'
  | 'listener.security.protocol.map'
  | 'inter.broker.listener.name'
  | 'ssl.keystore.location'
  | 'ssl.keystore.key'
  | 'ssl.keystore.certificate.chain'
  | 'ssl.truststore.location'
  | 'ssl.truststore.certificates'
  | 'ssl.client.auth'
  | 'sasl.enabled.mechanisms'
  | 'http.listeners'
>;

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

export const usesTls = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

/** The configured listeners with upper-cased names and their protocols (call after listenerSecurityProblems is empty). */
export function resolveListeners(config: Pick<BrokerConfig, 'listeners' | 'listener.security.protocol.map'>): ResolvedListener[] {
  const map = parseSecurityProtocolMap(config['listener.security.protocol.map']);
  return parseListeners(config['listeners']).map((l) => {
    const protocol = securityProtocolOf(l, map);
    if (protocol === undefined) throw new Error(`no security protocol for listener ${l.name}`);
    return { ...l, name: l.name.toUpperCase(), protocol };
  });
}

/** The listener name other brokers use: inter.broker.listener.name, else the first listener. */
export function interBrokerListenerName(config: Pick<BrokerConfig, 'listeners' | 'inter.broker.listener.name'>): string {
  return (config['inter.broker.listener.name'] ?? parseListeners(config['listeners'])[0]!.name).toUpperCase();
}

/** One readable problem per thing Strata cannot serve as configured. */
export function listenerSecurityProblems(config: ListenerSettings): string[] {
  const map = parseSecurityProtocolMap(config['listener.security.protocol.map']);
  const problems: string[] = [];
  const names = new Set<string>();
  const protocols = new Set<SecurityProtocol>();
  const check = (setting: 'listeners' | 'advertised.listeners', value: string | undefined) => {
    if (value === undefined) return;
    const entries = value.split(',').map((e) => e.trim());
    const seen = new Set<string>();
    parseListeners(value).forEach((listener, i) => {
      const shown = entries[i]!;
      const name = listener.name.toUpperCase();
      if (seen.has(name)) problems.push(`${setting}: listener name ${name} appears twice; every listener needs its own name (e.g. INTERNAL://…,EXTERNAL://…)`);
      seen.add(name);
      const protocol = securityProtocolOf(listener, map);
      if (protocol === undefined) {
        problems.push(
          `${setting}: "${shown}": no security protocol for listener name ${name}; ` +
            `map it in listener.security.protocol.map (e.g. ${name}:PLAINTEXT)`,
        );
      } else if (setting === 'listeners') {
        names.add(name);
        protocols.add(protocol);
      } else if (!names.has(name)) {
        problems.push(`advertised.listeners: "${shown}" names listener ${name}, which is not in listeners (${[...names].join(', ')})`);
      }
    });
  };
  check('listeners', config['listeners']);
  check('advertised.listeners', config['advertised.listeners']);
  const inter = config['inter.broker.listener.name'];
  if (inter !== undefined && !names.has(inter.toUpperCase())) {
    problems.push(`inter.broker.listener.name: ${inter.toUpperCase()} is not one of the listeners (${[...names].join(', ')})`);
  }
  const httpsListeners = config['http.listeners'].split(',').some((e) => /^\s*https:\/\//i.test(e));
  const tls = [...protocols].some(usesTls) || httpsListeners;
  const keyFile = config['ssl.keystore.location'];
  const inlineKey = config['ssl.keystore.key'];
  const inlineChain = config['ssl.keystore.certificate.chain'];
  if ((inlineKey === undefined) !== (inlineChain === undefined)) {
    problems.push('ssl.keystore.key and ssl.keystore.certificate.chain go together: set both (inline PEM) or neither');
  }
  if (keyFile !== undefined && inlineKey !== undefined) {
    problems.push('ssl.keystore.location and ssl.keystore.key both set: use the file or the inline PEM, not both');
  }
  if (tls && keyFile === undefined && inlineKey === undefined) {
    problems.push(
      `a listener uses ${httpsListeners ? 'https (http.listeners)' : 'SSL or SASL_SSL'} but no keystore is set: set ssl.keystore.location to a PEM file holding the private key and certificate chain ` +
        '(or ssl.keystore.key with ssl.keystore.certificate.chain)',
    );
  }
  if ([...protocols].some(usesTls) && config['ssl.client.auth'] !== 'none' && config['ssl.truststore.location'] === undefined && config['ssl.truststore.certificates'] === undefined) {
    problems.push(`ssl.client.auth=${config['ssl.client.auth']} needs the CAs of client certificates: set ssl.truststore.location to a PEM file of CA certificates`);
  }
  if ([...protocols].some(usesSasl)) {
    const mechanisms = config['sasl.enabled.mechanisms'].split(',').map((m) => m.trim()).filter((m) => m !== '');
    if (mechanisms.length === 0) problems.push('a listener uses SASL_PLAINTEXT or SASL_SSL but sasl.enabled.mechanisms is empty: enable PLAIN, SCRAM-SHA-256 and/or SCRAM-SHA-512');
  }
  return problems;
}
