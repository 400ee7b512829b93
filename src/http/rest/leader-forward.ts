// Thread: main. Cluster mode: a partition led by another broker answers NOT_LEADER_OR_FOLLOWER
// to this broker's Produce handler, so the REST proxy forwards that partition's records once
// to the leader's REST proxy (its registered httpPort) as a v2 binary produce to
// /topics/{t}/partitions/{p}. A forwarded request carries FORWARDED_HEADER and is never
// forwarded again; it carries the caller's Authorization header, so the leader authenticates the
// same user and applies the same ACLs. An unreachable leader leaves the retriable error in place. Record
// timestamps are the leader's (v2 carries none).
import type { BrokerContext } from '../../broker-context.js';
import { partitionId } from '../../ipc/partition-id.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import type { ProduceRecord, RecordResult } from './rest-producer.js';

export const FORWARDED_HEADER = 'x-strata-rest-forwarded';
const FORWARD_TIMEOUT_MS = 30_000;

interface ForwardAnswer {
  offsets?: Array<{ partition: number; offset: number | null; error_code: number | null; error: string | null }>;
}

/** The leader's URL when another live broker leads the partition and serves HTTP. */
export function leaderUrl(broker: BrokerContext, topic: string, partition: number): string | undefined {
  const t = broker.topics.get(topic);
  if (t === undefined || broker.leadership === undefined || broker.cluster === undefined) return undefined;
  const leader = broker.leadership.leadership(partitionId(t.topicId, partition))?.leader;
  if (leader === undefined || leader === broker.nodeId) return undefined;
  const peer = broker.cluster.liveBrokers().find((b) => b.nodeId === leader && b.httpPort !== undefined);
  if (peer === undefined) return undefined;
  return `http://${peer.host.includes(':') ? `[${peer.host}]` : peer.host}:${peer.httpPort}`;
}

/** Produces the records of one partition through its leader's REST proxy; undefined when that fails. */
export async function forwardToLeader(url: string, topic: string, partition: number, records: ProduceRecord[], authorization?: string): Promise<RecordResult[] | undefined> {
  const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'));
  const body = JSON.stringify({
    records: records.map((r) => ({ key: b64(r.key), value: b64(r.value), ...(r.headers ? { headers: r.headers.map((h) => ({ name: h.key, value: b64(h.value) })) } : {}) })),
  });
  try {
    const res = await fetch(`${url}/topics/${encodeURIComponent(topic)}/partitions/${partition}`, {
      method: 'POST',
      // The caller's credentials go along: the leader authenticates it and applies its ACLs, as here.
      headers: { 'content-type': 'application/vnd.kafka.binary.v2+json', [FORWARDED_HEADER]: '1', ...(authorization !== undefined ? { authorization } : {}) },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    if (res.status !== 200) return undefined;
    const answer = (await res.json()) as ForwardAnswer;
    if (answer.offsets?.length !== records.length) return undefined;
    const now = Date.now();
    return answer.offsets.map((o) => ({
      partition,
      offset: o.offset ?? -1,
      errorCode: o.error_code === null ? ErrorCode.NONE : o.error_code === 2 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_SERVER_ERROR,
      error: o.error,
      timestamp: now,
    }));
  } catch {
    return undefined;
  }
}
