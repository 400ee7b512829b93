// Thread: main. What the console reads from the broker beyond Kafka's APIs (which it calls
// through the KafkaBridge): the worker slot of each hosted partition (the /admin/placement
// view), tiered-storage bytes per partition (the partition manifests of src/tier), and the
// cluster counters of /metrics, and the other brokers' consoles (cluster mode). The Broker
// implements it in broker.ts; tests may fake it.
export interface BrokerView {
  readonly nodeId: number;
  /** Worker slot per hosted partition, keyed `${topic}:${partition}`. */
  slots(): Map<string, number>;
  /** Bytes of a partition's segments in object storage; undefined without tiered storage or manifest. */
  remoteBytes(topic: string, partition: number): number | undefined;
  /** Cluster mode's counters (metrics.ts clusterStats); undefined for a single broker. */
  clusterStats(): { liveBrokers: number; controller: boolean; partitionsLed: number; partitionsWithoutLeader: number } | undefined;
  /** Cluster mode: the other live brokers' HTTP base URLs (their registered httpPort); empty for a single broker. */
  peers(): Array<{ nodeId: number; url: string }>;
}
