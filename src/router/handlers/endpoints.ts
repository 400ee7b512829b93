// Thread: main. Which host:port a client is told for a broker: as Kafka, the advertised
// endpoint of the listener the request came in on (a client on the SASL_SSL listener is sent
// to the other brokers' SASL_SSL listeners); a broker that has no such listener, or a caller
// that is not on a Kafka listener (the HTTP front), gets the inter-broker endpoint.
import type { AdvertisedEndpoint, BrokerContext } from '../../broker-context.js';
import type { BrokerInfo } from '../../cluster/broker-info.js';
import type { ConnectionInfo } from '../connection.js';

/** This broker's endpoint for a client on `conn`'s listener. */
export function selfEndpoint(broker: BrokerContext, conn: ConnectionInfo): AdvertisedEndpoint {
  return broker.listenerEndpoints?.get(conn.listenerName) ?? broker.advertised;
}

/** A registered broker's endpoint for a client on `conn`'s listener. */
export function brokerEndpoint(b: Pick<BrokerInfo, 'host' | 'port' | 'endpoints'>, conn: ConnectionInfo): AdvertisedEndpoint {
  return b.endpoints?.[conn.listenerName] ?? { host: b.host, port: b.port };
}
