// Thread: main. Cluster mode: the console of the broker that leads a partition (or coordinates
// a group) answers for it. A Kafka read of a partition led elsewhere answers
// NOT_LEADER_OR_FOLLOWER, so the console forwards such API requests to that broker's console
// (its registered httpPort) once — a forwarded request carries FORWARDED_HEADER and is never
// forwarded again — and passes its answer, status and error code included, back.
import { ConsoleError } from './console-error.js';

export const FORWARDED_HEADER = 'x-strata-console-forwarded';
const FORWARD_TIMEOUT_MS = 15_000;
/** A peer's answer larger than this is refused (message pages are bounded well below it). */
const MAX_FORWARDED_BYTES = 32 * 1024 * 1024;

export interface Peer {
  nodeId: number;
  url: string;
}

/** GETs `/console/api${pathAndQuery}` from the peer; its JSON body, or its error as a ConsoleError. */
export async function forwardGet(peer: Peer, pathAndQuery: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${peer.url}/console/api${pathAndQuery}`, { headers: { [FORWARDED_HEADER]: '1' }, redirect: 'error', signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
  } catch (err) {
    throw new ConsoleError(502, 'BROKER_UNREACHABLE', `broker ${peer.nodeId} (${peer.url}) did not answer: ${(err as Error).message}`);
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_FORWARDED_BYTES) throw new ConsoleError(502, 'BROKER_UNREACHABLE', `broker ${peer.nodeId} answered ${declared} bytes`);
  const text = await res.text();
  let body: { error?: string; code?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ConsoleError(502, 'BROKER_UNREACHABLE', `broker ${peer.nodeId} answered ${res.status} without JSON`);
  }
  if (!res.ok) throw new ConsoleError(res.status, body.code ?? 'ERROR', `broker ${peer.nodeId}: ${body.error ?? res.status}`);
  return body;
}
