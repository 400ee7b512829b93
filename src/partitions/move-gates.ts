// Thread: main. Partitions being moved between slots. Work for a moving partition waits here
// until the move is done — bounded by partition.move.timeout.ms, after which it fails with
// NOT_LEADER_OR_FOLLOWER, which every Kafka client retries (after refreshing metadata) rather
// than giving up.
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { PartitionId } from '../ipc/partition-id.js';
import { EngineError } from './engine-error.js';

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

export class MoveGates {
  private readonly gates = new Map<PartitionId, Gate>();

  /** Partitions moving now. */
  get size(): number {
    return this.gates.size;
  }

  isMoving(id: PartitionId): boolean {
    return this.gates.has(id);
  }

  /** The partition starts moving: work arriving for it from now on waits. */
  close(id: PartitionId): void {
    if (this.gates.has(id)) throw new Error(`partition ${id} is already moving`);
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(id, { promise, open });
  }

  /** The move is over (done or abandoned): waiting work goes on. */
  open(id: PartitionId): void {
    const gate = this.gates.get(id);
    if (gate === undefined) return;
    this.gates.delete(id);
    gate.open();
  }

  /**
   * Undefined when none of the items' partitions is moving (checked synchronously, so a caller
   * that then routes its work in the same turn cannot race a move that starts later); else a
   * promise that resolves when that move is over — check again then — or rejects with a
   * retriable NOT_LEADER_OR_FOLLOWER once `deadline` (Date.now() ms) passes.
   */
  blockerOf(items: ReadonlyArray<{ key: PartitionId }>, deadline: number): Promise<void> | undefined {
    let gate: Gate | undefined;
    for (let i = 0; i < items.length && gate === undefined; i++) gate = this.gates.get(items[i]!.key);
    if (gate === undefined) return undefined;
    const left = deadline - Date.now();
    const timeout = new EngineError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition is still moving between worker slots (partition.move.timeout.ms passed); retry', { strataCode: 'STRATA_ERR_PARTITION_MOVING' });
    if (left <= 0) return Promise.reject(timeout);
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      gate.promise,
      new Promise<void>((_, reject) => (timer = setTimeout(() => reject(timeout), left))),
    ]).finally(() => clearTimeout(timer));
  }
}
