// Thread: either (pure: imports only the generated Kafka error codes, so workers/ may use it).
// The one catalogue of Strata's internal error codes, as fastify's lib/errors.js: every
// `STRATA_ERR_*` code with its meaning, the Kafka error code a client gets for it (or none,
// for failures that never reach a Kafka client: CLI, start-up, internal signals) and whether
// retrying can help. `toKafkaErrorCode` is the ONE mapping from any internal failure to a
// Kafka error code; docs/errors.md is rendered from this table (test/unit/errors.test.ts
// fails when it drifts; `UPDATE_ERROR_DOCS=1 npx vitest run test/unit/errors.test.ts` rewrites it).
import { ErrorCode, errorTable } from './protocol/generated/error-codes.js';

/** Where a code is raised: the docs table groups by it. */
export type ErrorArea = 'partition log' | 'partition engine' | 'protocol' | 'groups' | 'metadata' | 'tiered storage' | 'config' | 'start-up' | 'cluster' | 'cli';

export interface ErrorDefinition {
  readonly area: ErrorArea;
  /** What went wrong, in one sentence (docs/errors.md). */
  readonly meaning: string;
  /**
   * The Kafka error code a client gets; null when this failure never reaches a Kafka client
   * (CLI, start-up, internal signals such as STRATA_ERR_PARTITION_NOT_OPEN). A null code that
   * escapes to a handler anyway answers UNKNOWN_SERVER_ERROR (and is logged as the bug it is).
   */
  readonly kafka: number | null;
  /** Retrying the same operation can succeed (for Kafka-facing codes: Kafka's own flag). */
  readonly retriable: boolean;
}

const E = ErrorCode;

export const ERRORS = {
  // ---- partition log (workers/)
  STRATA_ERR_CORRUPT_MESSAGE: { area: 'partition log', meaning: 'A record batch has bad framing or a CRC-32C mismatch.', kafka: E.CORRUPT_MESSAGE, retriable: true },
  STRATA_ERR_INVALID_RECORD: { area: 'partition log', meaning: 'A record batch breaks a rule for client batches, or uses message format v0/v1.', kafka: E.INVALID_RECORD, retriable: false },
  STRATA_ERR_MESSAGE_TOO_LARGE: { area: 'partition log', meaning: 'A record batch is larger than the topic\'s max.message.bytes.', kafka: E.MESSAGE_TOO_LARGE, retriable: false },
  STRATA_ERR_OUT_OF_ORDER_SEQUENCE: { area: 'partition log', meaning: 'An idempotent producer\'s sequence number leaves a gap.', kafka: E.OUT_OF_ORDER_SEQUENCE_NUMBER, retriable: false },
  STRATA_ERR_INVALID_PRODUCER_EPOCH: { area: 'partition log', meaning: 'A producer epoch older than the last one seen for that producer id.', kafka: E.INVALID_PRODUCER_EPOCH, retriable: false },
  STRATA_ERR_PARTITION_NOT_OPEN: {
    area: 'partition log',
    meaning: 'Internal signal, never on the wire: the worker slot does not hold the partition (its thread was replaced); the router reopens it and retries.',
    kafka: null,
    retriable: true,
  },
  STRATA_ERR_LOG_CLOSED: { area: 'partition log', meaning: 'The partition was closed (deleted or moved) while the task ran.', kafka: E.NOT_LEADER_OR_FOLLOWER, retriable: true },
  STRATA_ERR_STORAGE: { area: 'partition log', meaning: 'Disk I/O on the log failed (also any EIO, ENOSPC, EROFS... errno).', kafka: E.KAFKA_STORAGE_ERROR, retriable: true },
  STRATA_ERR_INVALID_TASK: { area: 'partition log', meaning: 'The router sent a malformed task to a worker (a broker bug).', kafka: E.INVALID_REQUEST, retriable: false },
  STRATA_ERR_TIER_BACKLOG: {
    area: 'partition log',
    meaning: 'Produce refused: more local bytes than remote.storage.local.pending.max.bytes await upload to object storage.',
    kafka: E.KAFKA_STORAGE_ERROR,
    retriable: true,
  },
  // ---- partition engine (router side of the workers)
  STRATA_ERR_PARTITION_NOT_PLACED: { area: 'partition engine', meaning: 'No worker slot holds the partition (it was never opened, or was deleted).', kafka: E.UNKNOWN_TOPIC_OR_PARTITION, retriable: true },
  STRATA_ERR_WORKER_FAILED: { area: 'partition engine', meaning: 'A worker thread died mid-task (it is replaced and reopens its partitions on demand).', kafka: E.NOT_LEADER_OR_FOLLOWER, retriable: true },
  STRATA_ERR_REOPEN_FAILED: { area: 'partition engine', meaning: 'Partitions could not be reopened on a replaced worker thread after several attempts.', kafka: E.NOT_LEADER_OR_FOLLOWER, retriable: true },
  STRATA_ERR_PARTITION_MOVING: { area: 'partition engine', meaning: 'The partition was moving between worker slots for longer than partition.move.timeout.ms; the client retries.', kafka: E.NOT_LEADER_OR_FOLLOWER, retriable: true },
  STRATA_ERR_NOT_CONTROLLER: { area: 'cluster', meaning: 'A controller-only write (partition leadership) came from a broker that does not hold the controller lease; nothing was written.', kafka: E.NOT_CONTROLLER, retriable: true },
  STRATA_ERR_STALE_LEADER_EPOCH: { area: 'cluster', meaning: 'A partition-leadership write whose leader epoch does not grow (a stale plan or a deposed controller); nothing was written.', kafka: E.FENCED_LEADER_EPOCH, retriable: true },
  STRATA_ERR_MOVE_REFUSED: { area: 'partition engine', meaning: 'A partition move was asked for that cannot be made (unknown partition or slot, already moving, same slot).', kafka: E.INVALID_REQUEST, retriable: false },
  // ---- protocol (src/protocol)
  STRATA_ERR_DECODE: { area: 'protocol', meaning: 'A request (or a structure inside one) is malformed or truncated; a bad request frame closes the connection.', kafka: E.INVALID_REQUEST, retriable: false },
  STRATA_ERR_ENCODE: { area: 'protocol', meaning: 'A response cannot be represented in the requested version (a broker bug).', kafka: E.UNKNOWN_SERVER_ERROR, retriable: false },
  // ---- groups (src/groups)
  STRATA_ERR_OFFSET_STORE_UNAVAILABLE: { area: 'groups', meaning: 'The offset store (Redis or the local file) cannot be reached.', kafka: E.COORDINATOR_NOT_AVAILABLE, retriable: true },
  // ---- metadata (src/metadata)
  STRATA_ERR_METADATA_STORE_UNAVAILABLE: {
    area: 'metadata',
    meaning: 'The shared metadata store (Redis, cluster.metadata.store=redis) cannot be reached: topic changes and producer-id blocks fail, reads keep serving the last snapshot; at start-up the broker refuses to start.',
    kafka: E.REQUEST_TIMED_OUT,
    retriable: true,
  },
  STRATA_ERR_CLUSTER_ID_MISMATCH: {
    area: 'metadata',
    meaning: 'The configured cluster.id differs from the cluster id stored in the metadata store (the local file or Redis under redis.key.prefix): start-up refuses.',
    kafka: null,
    retriable: false,
  },
  // ---- tiered storage (src/tier)
  STRATA_ERR_TIER_CONFLICT: { area: 'tiered storage', meaning: 'A conditional write lost: another writer created that object first (HTTP 412/409).', kafka: E.KAFKA_STORAGE_ERROR, retriable: true },
  STRATA_ERR_TIER_NOT_FOUND: { area: 'tiered storage', meaning: 'The object does not exist in object storage (HTTP 404).', kafka: E.KAFKA_STORAGE_ERROR, retriable: true },
  STRATA_ERR_TIER_UNAVAILABLE: { area: 'tiered storage', meaning: 'Object storage failed (network, 5xx, throttling); retried with backoff.', kafka: E.KAFKA_STORAGE_ERROR, retriable: true },
  STRATA_ERR_TIER_NO_CONDITIONAL_WRITES: { area: 'tiered storage', meaning: 'The object store ignores If-None-Match, so manifests cannot be fenced: start-up refuses.', kafka: null, retriable: false },
  STRATA_ERR_TIER_CORRUPT: {
    area: 'tiered storage',
    meaning: 'An object read back from object storage does not match the CRC-32C recorded when it was uploaded (manifest v2); its bytes are never served.',
    kafka: E.KAFKA_STORAGE_ERROR,
    retriable: true,
  },
  STRATA_ERR_TIER_SEGMENT_FILE: { area: 'tiered storage', meaning: "A sealed segment's local files are not as the log describes them (missing, other size); the upload is retried.", kafka: E.KAFKA_STORAGE_ERROR, retriable: true },
  // ---- config (src/config)
  STRATA_ERR_CONFIG: { area: 'config', meaning: 'Broker settings are invalid; start-up stops and lists every problem.', kafka: null, retriable: false },
  // ---- start-up (src/util)
  STRATA_ERR_LISTEN: { area: 'start-up', meaning: 'A Kafka listener cannot bind its address (in use, no permission, no such address): start-up stops (exit 1).', kafka: null, retriable: false },
  STRATA_ERR_LOG_DIR_LOCKED: { area: 'start-up', meaning: 'Another running broker holds the log directory\'s .lock: start-up refuses (exit 1).', kafka: null, retriable: false },
  // ---- cluster (src/cluster)
  STRATA_ERR_NODE_ID_IN_USE: {
    area: 'cluster',
    meaning: 'Cluster mode: a live broker is already registered with this node.id under the same Redis prefix: start-up refuses (exit 1).',
    kafka: null,
    retriable: false,
  },
  STRATA_ERR_CLUSTER_REDIS_UNAVAILABLE: { area: 'cluster', meaning: 'Cluster mode: Redis cannot be reached at start-up, so the broker cannot register: start-up stops (exit 1).', kafka: null, retriable: true },
  // ---- cli (src/cli)
  STRATA_ERR_CLI: { area: 'cli', meaning: 'The strata command failed.', kafka: null, retriable: false },
  STRATA_ERR_CLI_USAGE: { area: 'cli', meaning: 'Bad command line (exit code 2).', kafka: null, retriable: false },
  STRATA_ERR_CLI_KAFKA: { area: 'cli', meaning: 'The broker answered a Kafka error code.', kafka: null, retriable: false },
  STRATA_ERR_CLI_CONNECTION: { area: 'cli', meaning: 'Cannot connect to the broker, or it closed the connection.', kafka: null, retriable: true },
  STRATA_ERR_CLI_UNSUPPORTED: { area: 'cli', meaning: 'The broker does not support an API (version) the command needs.', kafka: null, retriable: false },
  STRATA_ERR_CLI_TIMEOUT: { area: 'cli', meaning: 'The broker did not answer in time.', kafka: null, retriable: true },
  STRATA_ERR_CLI_DECODE: { area: 'cli', meaning: 'Records fetched from the broker cannot be decoded.', kafka: null, retriable: false },
  STRATA_ERR_CLI_GROUP_ACTIVE: { area: 'cli', meaning: 'The group has active members: stop its consumers first.', kafka: null, retriable: true },
  STRATA_ERR_CLI_GROUP_NOT_FOUND: { area: 'cli', meaning: 'The group does not exist (no members, no committed offsets).', kafka: null, retriable: false },
  STRATA_ERR_CLI_OFFSET_OUT_OF_RANGE: { area: 'cli', meaning: 'consume: the requested offsets are outside the log, so nothing was consumed (exit 1).', kafka: null, retriable: false },
} as const satisfies Record<`STRATA_ERR_${string}`, ErrorDefinition>;

export type StrataErrorCode = keyof typeof ERRORS;

/** An internal failure with a stable catalogue code. */
export class StrataError extends Error {
  constructor(
    readonly code: StrataErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StrataError';
  }
}

export function isStrataErrorCode(code: unknown): code is StrataErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** A catalogue code that must never be answered to a Kafka client (an internal signal). */
export function isInternalOnly(code: StrataErrorCode): boolean {
  return ERRORS[code].kafka === null;
}

/** errno codes of a failing disk, full disk, or a log dir that went away. */
const STORAGE_ERRNOS: ReadonlySet<string> = new Set(['EIO', 'ENOSPC', 'EROFS', 'EDQUOT', 'ENOENT', 'EACCES', 'EPERM', 'EBADF', 'EMFILE', 'ENFILE', 'ENOTDIR', 'EISDIR', 'EFBIG']);

/**
 * The ONE mapping from any failure to the Kafka error code a client is answered with, in order:
 * 1. an error whose `code` is a catalogue code → the catalogue's Kafka code (an internal-only
 *    code → UNKNOWN_SERVER_ERROR: it should never get this far);
 * 2. an error that already carries a Kafka `errorCode` (mapped on the other side of the thread
 *    boundary, e.g. EngineError) → that code;
 * 3. a Node errno of a failing disk (EIO, ENOSPC, ...) → KAFKA_STORAGE_ERROR;
 * 4. anything else → UNKNOWN_SERVER_ERROR.
 * Never returns NONE nor a value that is not a Kafka error code.
 */
export function toKafkaErrorCode(err: unknown): number {
  if (err === null || typeof err !== 'object') return E.UNKNOWN_SERVER_ERROR;
  const { code, errorCode } = err as { code?: unknown; errorCode?: unknown };
  if (isStrataErrorCode(code)) return ERRORS[code].kafka ?? E.UNKNOWN_SERVER_ERROR;
  if (typeof errorCode === 'number' && errorCode !== E.NONE && errorTable.has(errorCode)) return errorCode;
  if (typeof code === 'string' && STORAGE_ERRNOS.has(code)) return E.KAFKA_STORAGE_ERROR;
  return E.UNKNOWN_SERVER_ERROR;
}

/** The catalogue code of a failure, when it has one. */
export function strataCodeOf(err: unknown): StrataErrorCode | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return isStrataErrorCode(code) ? code : undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** One line for a log field: `STRATA_ERR_X: message` for a catalogued failure (the code comes from its field, never from the message). */
export function describeError(err: unknown): string {
  const code = strataCodeOf(err);
  return code === undefined ? errorMessage(err) : `${code}: ${errorMessage(err)}`;
}

/** docs/errors.md, rendered from ERRORS. */
export function renderErrorDocs(): string {
  const lines = [
    '# Strata error codes',
    '',
    '<!-- Generated from src/errors.ts by test/unit/errors.test.ts (UPDATE_ERROR_DOCS=1). Do not edit. -->',
    '',
    'Every internal failure carries one stable `STRATA_ERR_*` code (in logs, in `code` fields,',
    'and in CLI messages). Kafka clients never see these codes: they get the Kafka error code in',
    'the table. "—" means the failure never reaches a Kafka client (CLI, start-up, or an',
    'internal signal the broker handles itself). Any failure without a code answers',
    '`UNKNOWN_SERVER_ERROR`, except disk errors (`EIO`, `ENOSPC`, …) which answer',
    '`KAFKA_STORAGE_ERROR`; every `UNKNOWN_SERVER_ERROR` is logged with its stack.',
    '',
    '| code | area | meaning | Kafka error code | retriable |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [code, def] of Object.entries(ERRORS) as Array<[StrataErrorCode, ErrorDefinition]>) {
    const kafka = def.kafka === null ? '—' : `\`${errorTable.get(def.kafka)!.name}\` (${def.kafka})`;
    lines.push(`| \`${code}\` | ${def.area} | ${def.meaning.replace(/\|/g, '\\|')} | ${kafka} | ${def.retriable ? 'yes' : 'no'} |`);
  }
  return lines.join('\n') + '\n';
}

/** The Kafka error code of a catalogue code (internal-only codes: UNKNOWN_SERVER_ERROR). */
export function kafkaCodeFor(code: StrataErrorCode): number {
  return ERRORS[code].kafka ?? E.UNKNOWN_SERVER_ERROR;
}
