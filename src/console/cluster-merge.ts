// Thread: main. Cluster mode: what one broker's console cannot see by itself, asked of the other
// brokers' consoles (peer-console.ts) and merged — a topic's offsets, worker slots and bytes
// come from each partition's leader, the group list is the union of every coordinator's, and a
// group's lag uses the end offsets of its partitions' leaders.
import type { ConsoleKafka } from './console-kafka.js';
import type { RemoteEndOffsets } from './consumer-groups.js';
import { forwardGet, type Peer } from './peer-console.js';
import type { TopicDetail } from './topics-view.js';

/** Replaces, for each partition led by a peer, the numbers only its leader knows with the leader's own. */
export async function mergeLeaderNumbers(detail: TopicDetail, self: number, peerOf: (nodeId: number) => Peer | undefined): Promise<TopicDetail> {
  const leaders = new Set(detail.partitions.map((p) => p.leader).filter((l) => l >= 0 && l !== self));
  const answers = await Promise.all(
    [...leaders].map(async (nodeId) => {
      const peer = peerOf(nodeId);
      if (peer === undefined) return undefined;
      try {
        return { nodeId, detail: (await forwardGet(peer, `/topics/${encodeURIComponent(detail.name)}`)) as TopicDetail };
      } catch {
        return undefined; // that broker's partitions keep what this one knows (nulls)
      }
    }),
  );
  const byPartition = new Map<number, TopicDetail['partitions'][number]>();
  for (const a of answers) {
    if (a === undefined) continue;
    for (const p of a.detail.partitions) if (p.leader === a.nodeId) byPartition.set(p.partition, p);
  }
  return {
    ...detail,
    partitions: detail.partitions.map((p) => {
      const theirs = byPartition.get(p.partition);
      if (p.leader === self || theirs === undefined) return p;
      return { ...p, slot: theirs.slot, logStartOffset: theirs.logStartOffset, highWatermark: theirs.highWatermark, localBytes: theirs.localBytes, remoteBytes: theirs.remoteBytes };
    }),
  };
}

export interface ListedGroup {
  groupId: string;
  state: string;
  protocolType: string;
}

/** This broker's groups and every peer's (each group has one coordinator), sorted; peers that did not answer are named. */
export async function mergeGroupLists(own: ListedGroup[], peers: Peer[]): Promise<{ groups: ListedGroup[]; unreachable: number[] }> {
  const byId = new Map(own.map((g) => [g.groupId, g]));
  const unreachable: number[] = [];
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const theirs = (await forwardGet(peer, '/groups')) as { groups: ListedGroup[] };
        for (const g of theirs.groups) if (!byId.has(g.groupId)) byId.set(g.groupId, g);
      } catch {
        unreachable.push(peer.nodeId);
      }
    }),
  );
  const groups = [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  return { groups, unreachable: unreachable.sort((a, b) => a - b) };
}

/** End offsets of partitions led by other brokers, from their consoles (one topic detail per leader). */
export function leaderEndOffsets(kafka: ConsoleKafka, peerOf: (nodeId: number) => Peer | undefined): RemoteEndOffsets {
  return async (topic, partitions) => {
    const out = new Map<number, number>();
    const { topic: t } = await kafka.topic(topic);
    const wanted = new Set(partitions);
    const leaders = new Set(t.partitions.filter((p) => wanted.has(p.partitionIndex)).map((p) => p.leaderId));
    await Promise.all(
      [...leaders].map(async (nodeId) => {
        const peer = peerOf(nodeId);
        if (peer === undefined) return;
        const detail = (await forwardGet(peer, `/topics/${encodeURIComponent(topic)}`).catch(() => undefined)) as TopicDetail | undefined;
        for (const p of detail?.partitions ?? []) {
          if (p.leader === nodeId && wanted.has(p.partition) && p.highWatermark !== null) out.set(p.partition, p.highWatermark);
        }
      }),
    );
    return out;
  };
}
