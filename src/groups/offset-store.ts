// Thread: main. The one contract of a durable store for consumer-group state: committed
// offsets (offset, leader epoch, metadata, commit time) and the group metadata the
// coordinator needs to resume a group after a restart. Two implementations: Redis
// (`redis-offset-store.ts`, shared by brokers) and a local file (`local-offset-store.ts`,
// the embedded default). Both must pass test/helpers/offset-store-contract.ts.
import { StrataError } from '../errors.js';

export interface CommittedOffset {
  /** int64 on the wire: kept as bigint end to end. */
  offset: bigint;
  /** -1 when the client did not send one. */
  leaderEpoch: number;
  /** Never null: Kafka stores a null metadata string as "". */
  metadata: string;
  commitTimestampMs: number;
}

export interface PartitionRef {
  topic: string;
  partition: number;
}

export interface PartitionOffset extends PartitionRef {
  committed: CommittedOffset;
}

/** One member of a group as persisted (a restored member gets a fresh session deadline). */
export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Every protocol the member offered: name → metadata (base64). */
  protocols: Array<{ name: string; metadata: string }>;
  /** The member's assignment of the current generation (base64). */
  assignment: string;
}

/** Group metadata as persisted: enough to resume a Stable group or know an Empty one. */
export interface StoredGroup {
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  /** When the group entered its current state (Empty: the start of offset retention). */
  stateTimestampMs: number;
  members: StoredMember[];
}

/** Thrown (or rejected) when the backing store cannot be reached: answer COORDINATOR_NOT_AVAILABLE. */
export class OffsetStoreUnavailableError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STRATA_ERR_OFFSET_STORE_UNAVAILABLE', message, options);
    this.name = 'OffsetStoreUnavailableError';
  }
}

export interface OffsetStore {
  /** 'redis' or 'local', for logs. */
  readonly kind: string;
  /** Loads or connects. Redis: resolves even when the server is down (it keeps reconnecting). */
  open(): Promise<void>;
  /** True while requests can be served. */
  available(): boolean;
  /** Called with the new value whenever `available()` changes. */
  onAvailabilityChange(listener: (available: boolean) => void): void;
  /** Every offset of one commit request is stored, or none is (atomic per call). */
  commitOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void>;
  /** Committed offsets of `partitions` (those without a commit are left out), or all when null. */
  fetchOffsets(groupId: string, partitions: PartitionRef[] | null): Promise<PartitionOffset[]>;
  /** Removes the named offsets; returns how many existed. */
  deleteOffsets(groupId: string, partitions: PartitionRef[]): Promise<number>;
  /** Removes the group's offsets and metadata. */
  deleteGroup(groupId: string): Promise<void>;
  /** Every group with stored offsets or metadata. */
  listGroups(): Promise<string[]>;
  saveGroup(groupId: string, group: StoredGroup): Promise<void>;
  loadGroup(groupId: string): Promise<StoredGroup | null>;
  /**
   * Raises the group's generation floor to `generationId` (never lowers it). The coordinator
   * records every generation it hands out, so a coordinator that takes the group over later
   * (another broker, or this one after a restart) starts above it.
   */
  recordGeneration(groupId: string, generationId: number): Promise<void>;
  /** The highest generation the group ever had: its floor or its stored metadata's, 0 when none. */
  generationFloor(groupId: string): Promise<number>;
  close(): Promise<void>;
}

/** `topic:partition`. Kafka topic names never contain ':', so the last ':' splits it. */
export function partitionField(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export function parsePartitionField(field: string): PartitionRef {
  const i = field.lastIndexOf(':');
  return { topic: field.slice(0, i), partition: Number(field.slice(i + 1)) };
}

/** Compact JSON form of a committed offset, shared by both stores. */
export interface OffsetJson {
  o: string;
  e: number;
  m: string;
  t: number;
}

export function offsetToJson(c: CommittedOffset): OffsetJson {
  return { o: c.offset.toString(), e: c.leaderEpoch, m: c.metadata, t: c.commitTimestampMs };
}

export function offsetFromJson(j: OffsetJson): CommittedOffset {
  return { offset: BigInt(j.o), leaderEpoch: j.e, metadata: j.m, commitTimestampMs: j.t };
}
