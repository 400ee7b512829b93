// Thread: vitest test worker. Helpers for integration tests of a cluster of real brokers on
// 127.0.0.1 sharing the host Redis under one key prefix (cluster.enable, metadata in Redis,
// partition leadership): the broker flags, and each partition's leader as Metadata reports it.
import { expect } from 'vitest';
import type { BrokerHandle } from './broker.js';
import type { S3Target } from './s3/s3-target.js';
import { redisUrl } from './groups.js';
import { kcatConsumeJson, kcatMetadata } from './kcat.js';
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

/**
 * Flags of broker `nodeId` of a cluster sharing one bucket, its topics on remote storage (so
 * they move between brokers and are durable through write-ahead objects): fast heartbeats, a
 * 1.5 s session, no auto-creation, uploads every 200 ms. `extra` comes last (overrides).
 */
export function durableClusterArgs(o: { s3: S3Target; bucketPrefix: string; redisPrefix: string; nodeId: number; redisUrl?: string; extra?: string[] }): string[] {
  return [
    ...o.s3.brokerArgs(o.bucketPrefix),
    '--cluster.enable=true',
    `--redis.url=${o.redisUrl ?? redisUrl()}`,
    `--redis.key.prefix=${o.redisPrefix}`,
    `--node.id=${o.nodeId}`,
    '--broker.heartbeat.interval.ms=200',
    '--broker.session.timeout.ms=1500',
    '--auto.create.topics.enable=false',
    '--log.remote.storage.enable=true',
    '--log.segment.bytes=65536',
    '--remote.log.manager.task.interval.ms=200',
    ...(o.extra ?? []),
  ];
}

/** Leader of every partition of `topic` as `broker`'s Metadata reports it (-1: none). */
export async function leadersOf(b: BrokerHandle, topic: string): Promise<number[]> {
  return (await leaders(b, topic)).leaders;
}

/**
 * The numbered values (`v<n>`, streaming-clients.ts) of every partition read through `b`;
 * asserts each partition holds them in ascending order; returns them all, sorted.
 */
export async function readValues(b: BrokerHandle, topic: string, partitions: number): Promise<number[]> {
  const all: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const values = (await kcatConsumeJson(b.bootstrap, topic, { partition: p, timeoutMs: 30_000 })).map((r) => Number(r.payload!.slice(1)));
    expect(values, `partition ${p} in the order sent`).toEqual([...values].sort((x, y) => x - y));
    all.push(...values);
  }
  return all.sort((x, y) => x - y);
}

/** 0, 1, …, n-1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
