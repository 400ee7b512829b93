// Thread: vitest test worker. Helpers for integration tests of a cluster of real brokers on
// 127.0.0.1 sharing the host Redis under one key prefix (cluster.enable, metadata in Redis,
// partition leadership): the broker flags, and each partition's leader as Metadata reports it.
import type { BrokerHandle } from './broker.js';
import { redisUrl } from './groups.js';
import { kcatMetadata } from './kcat.js';
import { withGroupWire } from './group-wire.js';

/** Flags of broker `nodeId` of the cluster under Redis prefix `prefix` (fast heartbeats, no auto-creation). */
export function clusterArgs(prefix: string, nodeId: number): string[] {
  return [
    '--cluster.enable=true',
    '--cluster.metadata.store=redis',
    '--cluster.partition.leadership.enable=true',
    `--redis.url=${redisUrl()}`,
    `--redis.key.prefix=${prefix}`,
    `--node.id=${nodeId}`,
    '--broker.heartbeat.interval.ms=200',
    '--broker.session.timeout.ms=1000',
    '--auto.create.topics.enable=false',
  ];
}

/** Leader of every partition of `topic` as `broker`'s Metadata reports it (-1: none), and the brokers it lists. */
export async function leaders(b: BrokerHandle, topic: string): Promise<{ leaders: number[]; brokerIds: number[] }> {
  const md = await kcatMetadata(b.bootstrap, topic);
  const t = md.topics.find((x) => x.topic === topic);
  const leaders = (t?.partitions ?? []).sort((x, y) => x.partition - y.partition).map((p) => (p.error ? -1 : p.leader));
  return { leaders, brokerIds: md.brokers.map((x) => x.id).sort() };
}

/** The node id `broker` names as the coordinator of `groupId` (FindCoordinator v2), -1 on an error. */
export async function findCoordinator(b: BrokerHandle, groupId: string): Promise<number> {
  const r = await withGroupWire(b.host, b.port, (w) => w.findCoordinator({ key: groupId, keyType: 0 }, 2));
  return r.errorCode === 0 ? r.nodeId : -1;
}
