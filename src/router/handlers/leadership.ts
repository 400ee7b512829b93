// Thread: main. Cluster mode's leadership check for the partition APIs (Produce, Fetch,
// ListOffsets, OffsetForLeaderEpoch) and the leader Metadata reports. A single broker leads
// every partition at epoch CURRENT_LEADER_EPOCH; in cluster mode the leadership snapshot
// (src/cluster/cluster-placement.ts) says who leads, and a request for a partition this broker
// does not lead is answered as Kafka does, so clients refresh their metadata and re-route:
//   no leader yet → LEADER_NOT_AVAILABLE; another leader, or led here but still being handed
//   over by the previous leader → NOT_LEADER_OR_FOLLOWER; a request
//   epoch above the leader's → UNKNOWN_LEADER_EPOCH, below → FENCED_LEADER_EPOCH.
import type { BrokerContext } from '../../broker-context.js';
import { partitionId } from '../../ipc/partition-id.js';
import { CURRENT_LEADER_EPOCH } from '../../ipc/tasks.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';

/** Kafka's "no epoch given" (-1) in currentLeaderEpoch fields. */
export const NO_LEADER_EPOCH = -1;

/** Leader node id (-1: none yet) and leader epoch of a partition, as Metadata reports them. */
export function leaderOf(broker: BrokerContext, topicId: string, partition: number): { leaderId: number; leaderEpoch: number } {
  if (broker.leadership === undefined) return { leaderId: broker.nodeId, leaderEpoch: CURRENT_LEADER_EPOCH };
  const l = broker.leadership.leadership(partitionId(topicId, partition));
  return l === undefined ? { leaderId: -1, leaderEpoch: -1 } : { leaderId: l.leader, leaderEpoch: l.epoch };
}

/** ErrorCode.NONE when this broker leads the partition (at `currentLeaderEpoch`, when given), else the code to answer. */
export function leadershipError(broker: BrokerContext, topicId: string, partition: number, currentLeaderEpoch = NO_LEADER_EPOCH): number {
  const { leaderId, leaderEpoch } = leaderOf(broker, topicId, partition);
  if (leaderId === -1) return ErrorCode.LEADER_NOT_AVAILABLE;
  if (leaderId !== broker.nodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  const id = partitionId(topicId, partition);
  // Led here, but not opened here yet (a topic created through another broker a moment ago).
  if (broker.engine.slotOf(id) === undefined) return ErrorCode.LEADER_NOT_AVAILABLE;
  // Led here, but still being handed over by its previous leader (src/cluster/partition-handoff.ts).
  if (broker.leadership !== undefined && !broker.leadership.serves(id)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (currentLeaderEpoch === NO_LEADER_EPOCH || currentLeaderEpoch === leaderEpoch) return ErrorCode.NONE;
  return currentLeaderEpoch > leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}
