// Thread: main. What a request handler may use of the broker: its identity, config and
// collaborators. The Broker (broker.ts) implements it; handlers and the dispatcher depend on
// this interface only, so they can be tested against a fake.
import type { Logger } from 'pino';
import type { ClusterView } from './cluster/cluster-membership.js';
import type { LeadershipView } from './cluster/cluster-placement.js';
import type { Reassignments } from './cluster/reassignments.js';
import type { Durability } from './wal/durable-appends.js';
import type { BrokerConfig } from './config/broker-config.js';
import type { GroupCoordinator } from './groups/index.js';
import type { MetadataStore } from './metadata/metadata-store.js';
import type { TopicManager } from './metadata/topic-manager.js';
import type { PartitionEngine } from './partitions/partition-engine.js';
import type { FetchSessionCache } from './router/fetch-sessions.js';
import type { TierManager } from './tier/tier-manager.js';
import type { CredentialStore } from './security/credential-store.js';
import type { SchemaRegistry } from './schema-registry/index.js';
import type { Authorizer } from './auth/authorizer.js';
import type { ClientQuotas } from './quotas/client-quotas.js';

export interface AdvertisedEndpoint {
  host: string;
  port: number;
}

/** Everything a request handler may use. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  /** Broker settings given explicitly (file, env or flag) rather than defaulted. */
  readonly explicitKeys: ReadonlySet<string>;
  readonly nodeId: number;
  readonly clusterId: string;
  /** Advertised endpoint of the inter-broker listener (inter.broker.listener.name, else the first). */
  readonly advertised: AdvertisedEndpoint;
  /** Advertised endpoint of each Kafka listener by upper-cased name: clients are answered with their own listener's. */
  readonly listenerEndpoints?: ReadonlyMap<string, AdvertisedEndpoint>;
  readonly metadata: MetadataStore;
  readonly topics: TopicManager;
  readonly engine: PartitionEngine;
  /** KIP-227 incremental fetch sessions of every client (src/router/fetch-sessions.ts). */
  readonly fetchSessions: FetchSessionCache;
  /** Consumer groups and committed offsets (src/groups). */
  readonly groups: GroupCoordinator;
  /** Tiered storage (src/tier); undefined without remote.storage.s3.bucket. */
  readonly tier: TierManager | undefined;
  readonly logger: Logger;
  /** Cluster mode's live brokers and controller (src/cluster); undefined for a single broker. */
  readonly cluster?: ClusterView | undefined;
  /** Cluster mode's partition leadership (src/cluster/cluster-placement.ts); undefined for a single broker. */
  readonly leadership?: LeadershipView | undefined;
  /** Cluster mode with partition leadership: moving partitions between brokers by hand. */
  readonly reassignments?: Reassignments | undefined;
  /** Cluster mode with object storage: write-ahead objects of remote-storage topics (src/wal). */
  readonly durability?: Durability | undefined;
  /** The schema registry (src/schema-registry): broker-side validation of produced records. */
  readonly schemaRegistry?: SchemaRegistry | undefined;
  /** SCRAM credentials (src/security): Redis with cluster.metadata.store=redis, else a file in the log dir. */
  readonly credentials?: CredentialStore | undefined;
  /** ACLs (src/auth); undefined or disabled (no authorizer.class.name): every check passes. */
  readonly authorizer?: Authorizer | undefined;
  /** Client quotas (src/quotas): DescribeClientQuotas/AlterClientQuotas and their enforcement. */
  readonly quotas?: ClientQuotas | undefined;
  /** True once SIGTERM arrived: long polls answer at once. */
  readonly shuttingDown: boolean;
}
