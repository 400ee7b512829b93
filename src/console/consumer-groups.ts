// Thread: main. Consumer groups for the console: the list (ListGroups), and one group's state,
// members with their assigned partitions (DescribeGroups; the consumer protocol's assignment
// bytes decoded), committed offset, end offset and lag per partition (OffsetFetch + ListOffsets
// latest), all through the KafkaBridge.
import { ErrorCode } from '../protocol/generated/error-codes.js';
import { LATEST, type ConsoleKafka } from './console-kafka.js';
import type { LagPoint } from './lag-history.js';

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  /** High watermark; null when it cannot be read (topic deleted, partition led elsewhere). */
  endOffset: number | null;
  lag: number | null;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupDetail {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
  partitions: GroupPartitionLag[];
  totalLag: number;
}

/**
 * The topic partitions of a consumer-protocol assignment (version int16, [topic string,
 * [partition int32]], userData bytes); empty when the bytes are not one (another protocol type).
 */
export function decodeConsumerAssignment(buf: Buffer): Array<{ topic: string; partitions: number[] }> {
  try {
    let pos = 2;
    const need = (n: number) => {
      if (pos + n > buf.length) throw new RangeError('short assignment');
    };
    need(4);
    const topics = buf.readInt32BE(pos);
    pos += 4;
    if (topics < 0 || topics > buf.length) return [];
    const out: Array<{ topic: string; partitions: number[] }> = [];
    for (let i = 0; i < topics; i++) {
      need(2);
      const len = buf.readInt16BE(pos);
      pos += 2;
      need(len);
      const topic = buf.toString('utf8', pos, pos + len);
      pos += len;
      need(4);
      const n = buf.readInt32BE(pos);
      pos += 4;
      if (n < 0) throw new RangeError('negative partition count');
      need(4 * n);
      const partitions: number[] = [];
      for (let p = 0; p < n; p++) partitions.push(buf.readInt32BE(pos + 4 * p));
      pos += 4 * n;
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return [];
  }
}

export async function listGroups(kafka: ConsoleKafka): Promise<Array<{ groupId: string; state: string; protocolType: string }>> {
  const groups = await kafka.listGroups();
  return groups.map((g) => ({ groupId: g.groupId, state: g.groupState, protocolType: g.protocolType })).sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/** End offsets of partitions this broker does not lead (cluster mode: asked of their leaders). */
export type RemoteEndOffsets = (topic: string, partitions: number[]) => Promise<Map<number, number>>;

/**
 * Committed, end offset and lag of every partition the group committed. End offsets come from
 * ListOffsets here; partitions led elsewhere (NOT_LEADER_OR_FOLLOWER) from `remoteEnds`.
 */
export async function groupLag(kafka: ConsoleKafka, group: string, remoteEnds?: RemoteEndOffsets): Promise<GroupPartitionLag[]> {
  const committed = await kafka.committedOffsets(group);
  const byTopic = new Map<string, number[]>();
  for (const c of committed) byTopic.set(c.topic, [...(byTopic.get(c.topic) ?? []), c.partition]);
  const ends = new Map<string, number | null>();
  for (const [topic, partitions] of byTopic) {
    const answers = await kafka.listOffsets(topic, partitions, LATEST);
    const elsewhere: number[] = [];
    for (const p of partitions) {
      const a = answers.get(p);
      ends.set(`${topic}:${p}`, a !== undefined && a.errorCode === ErrorCode.NONE ? Number(a.offset) : null);
      if (a?.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) elsewhere.push(p);
    }
    if (elsewhere.length > 0 && remoteEnds !== undefined) {
      for (const [p, end] of await remoteEnds(topic, elsewhere).catch(() => new Map<number, number>())) ends.set(`${topic}:${p}`, end);
    }
  }
  return committed
    .map((c) => {
      const end = ends.get(`${c.topic}:${c.partition}`) ?? null;
      const offset = Number(c.offset);
      return { topic: c.topic, partition: c.partition, committedOffset: offset, endOffset: end, lag: end === null ? null : Math.max(0, end - offset) };
    })
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

export function lagPoint(partitions: GroupPartitionLag[], t: number): LagPoint {
  const topics: Record<string, number> = {};
  let lag = 0;
  for (const p of partitions) {
    if (p.lag === null) continue;
    lag += p.lag;
    topics[p.topic] = (topics[p.topic] ?? 0) + p.lag;
  }
  return { t, lag, topics };
}

export async function describeGroup(kafka: ConsoleKafka, group: string, remoteEnds?: RemoteEndOffsets): Promise<GroupDetail> {
  const g = await kafka.describeGroup(group);
  const partitions = await groupLag(kafka, group, remoteEnds);
  const consumer = g.protocolType === 'consumer' || g.protocolType === '';
  return {
    groupId: g.groupId,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: consumer ? decodeConsumerAssignment(m.memberAssignment) : [],
    })),
    partitions,
    totalLag: partitions.reduce((s, p) => s + (p.lag ?? 0), 0),
  };
}
