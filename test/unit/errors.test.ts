import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRORS, StrataError, isInternalOnly, kafkaCodeFor, renderErrorDocs, strataCodeOf, toKafkaErrorCode, type StrataErrorCode } from '../../src/errors.js';
import { ErrorCode, errorTable } from '../../src/protocol/generated/error-codes.js';
import { ProtocolDecodeError, ProtocolEncodeError } from '../../src/protocol/errors.js';
import { OffsetStoreUnavailableError } from '../../src/groups/offset-store.js';
import { TierError, TierErrorCode } from '../../src/tier/object-store.js';
import { ConfigError } from '../../src/config/load-config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function errno(code: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: failed`) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

/** Expected Kafka code of every catalogue code: a code added to the catalogue must be added here. */
const EXPECTED: Record<StrataErrorCode, number | null> = {
  STRATA_ERR_CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  STRATA_ERR_INVALID_RECORD: ErrorCode.INVALID_RECORD,
  STRATA_ERR_MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  STRATA_ERR_OUT_OF_ORDER_SEQUENCE: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  STRATA_ERR_INVALID_PRODUCER_EPOCH: ErrorCode.INVALID_PRODUCER_EPOCH,
  STRATA_ERR_PARTITION_NOT_OPEN: null,
  STRATA_ERR_LOG_CLOSED: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  STRATA_ERR_STORAGE: ErrorCode.KAFKA_STORAGE_ERROR,
  STRATA_ERR_INVALID_TASK: ErrorCode.INVALID_REQUEST,
  STRATA_ERR_TIER_BACKLOG: ErrorCode.KAFKA_STORAGE_ERROR,
  STRATA_ERR_PARTITION_NOT_PLACED: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  STRATA_ERR_WORKER_FAILED: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  STRATA_ERR_REOPEN_FAILED: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  STRATA_ERR_PARTITION_MOVING: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  STRATA_ERR_MOVE_REFUSED: ErrorCode.INVALID_REQUEST,
  STRATA_ERR_NOT_CONTROLLER: ErrorCode.NOT_CONTROLLER,
  STRATA_ERR_STALE_LEADER_EPOCH: ErrorCode.FENCED_LEADER_EPOCH,
  STRATA_ERR_DECODE: ErrorCode.INVALID_REQUEST,
  STRATA_ERR_ENCODE: ErrorCode.UNKNOWN_SERVER_ERROR,
  STRATA_ERR_OFFSET_STORE_UNAVAILABLE: ErrorCode.COORDINATOR_NOT_AVAILABLE,
  STRATA_ERR_METADATA_STORE_UNAVAILABLE: ErrorCode.REQUEST_TIMED_OUT,
  STRATA_ERR_CLUSTER_ID_MISMATCH: null,
  STRATA_ERR_TIER_CONFLICT: ErrorCode.KAFKA_STORAGE_ERROR,
  STRATA_ERR_TIER_NOT_FOUND: ErrorCode.KAFKA_STORAGE_ERROR,
  STRATA_ERR_TIER_UNAVAILABLE: ErrorCode.KAFKA_STORAGE_ERROR,
  STRATA_ERR_TIER_NO_CONDITIONAL_WRITES: null,
  STRATA_ERR_TIER_CORRUPT: ErrorCode.KAFKA_STORAGE_ERROR,
  STRATA_ERR_TIER_SEGMENT_FILE: ErrorCode.KAFKA_STORAGE_ERROR,
  STRATA_ERR_CONFIG: null,
  STRATA_ERR_LISTEN: null,
  STRATA_ERR_LOG_DIR_LOCKED: null,
  STRATA_ERR_NODE_ID_IN_USE: null,
  STRATA_ERR_CLUSTER_REDIS_UNAVAILABLE: null,
  STRATA_ERR_CLI: null,
  STRATA_ERR_CLI_USAGE: null,
  STRATA_ERR_CLI_KAFKA: null,
  STRATA_ERR_CLI_CONNECTION: null,
  STRATA_ERR_CLI_UNSUPPORTED: null,
  STRATA_ERR_CLI_TIMEOUT: null,
  STRATA_ERR_CLI_DECODE: null,
  STRATA_ERR_CLI_GROUP_ACTIVE: null,
  STRATA_ERR_CLI_GROUP_NOT_FOUND: null,
  STRATA_ERR_CLI_OFFSET_OUT_OF_RANGE: null,
};

describe('error catalogue', () => {
  it.each(Object.entries(EXPECTED) as Array<[StrataErrorCode, number | null]>)('%s → Kafka %s', (code, kafka) => {
    expect(ERRORS[code].kafka).toBe(kafka);
    const err = new StrataError(code, 'x');
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(Error);
    // An internal-only code that escapes to a handler answers UNKNOWN_SERVER_ERROR, never itself.
    expect(toKafkaErrorCode(err)).toBe(kafka ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(kafkaCodeFor(code)).toBe(kafka ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(isInternalOnly(code)).toBe(kafka === null);
  });

  it('the expected table covers the whole catalogue', () => {
    expect(Object.keys(ERRORS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(ERRORS))('%s is documented and consistent with Kafka', (code, def) => {
    expect(code).toMatch(/^STRATA_ERR_[A-Z0-9_]+$/);
    expect(def.meaning.length).toBeGreaterThan(10);
    if (def.kafka !== null) {
      expect(errorTable.has(def.kafka)).toBe(true);
      expect(def.kafka).not.toBe(ErrorCode.NONE);
      // Kafka decides what its clients retry: the catalogue must not claim otherwise.
      if (def.kafka !== ErrorCode.UNKNOWN_SERVER_ERROR) expect(def.retriable).toBe(errorTable.get(def.kafka)!.retriable);
    }
  });

  it('every STRATA_ERR_ code used in src/ and workers/ is in the catalogue, and every catalogue code is used', () => {
    const used = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.name.endsWith('.ts') && p !== path.join(root, 'src/errors.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/STRATA_ERR_[A-Z0-9_]*[A-Z0-9]/g)) used.add(m[0]);
      }
    };
    walk(path.join(root, 'src'));
    walk(path.join(root, 'workers'));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((c) => !(c in ERRORS))).toEqual([]);
    // And the other way round: no catalogue entry for a code nothing raises.
    expect(Object.keys(ERRORS).filter((c) => !used.has(c))).toEqual([]);
  });

  it('docs/errors.md is rendered from the catalogue', () => {
    const file = path.join(root, 'docs/errors.md');
    const rendered = renderErrorDocs();
    if (process.env.UPDATE_ERROR_DOCS === '1') fs.writeFileSync(file, rendered);
    expect(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing)', 'docs/errors.md is stale: UPDATE_ERROR_DOCS=1 npx vitest run test/unit/errors.test.ts').toBe(rendered);
  });
});

describe('toKafkaErrorCode', () => {
  const table: Array<[string, unknown, number]> = [
    ['catalogue error', new StrataError('STRATA_ERR_OUT_OF_ORDER_SEQUENCE', 'gap'), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER],
    ['decode error (protocol layer)', new ProtocolDecodeError('short'), ErrorCode.INVALID_REQUEST],
    ['encode error (protocol layer)', new ProtocolEncodeError('v0 cannot carry it'), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['tier object failing its CRC-32C', new TierError(TierErrorCode.CORRUPT, 'object k: chunk 1', 'k'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['offset store down', new OffsetStoreUnavailableError('redis'), ErrorCode.COORDINATOR_NOT_AVAILABLE],
    ['tier unavailable', new TierError(TierErrorCode.UNAVAILABLE, 'HTTP 503'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['config error (never on the wire)', new ConfigError(['x']), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['internal signal that escaped', new StrataError('STRATA_ERR_PARTITION_NOT_OPEN', 'x'), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['already mapped across the thread boundary', Object.assign(new Error('slot'), { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }), ErrorCode.NOT_LEADER_OR_FOLLOWER],
    ['errorCode that is not a Kafka code', Object.assign(new Error('x'), { errorCode: -100 }), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['errorCode NONE is no error code', Object.assign(new Error('x'), { errorCode: 0 }), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['EIO', errno('EIO'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['ENOSPC', errno('ENOSPC'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['EROFS', errno('EROFS'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['EDQUOT', errno('EDQUOT'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['ENOENT', errno('ENOENT'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['EBADF', errno('EBADF'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['ECONNRESET is not a disk', errno('ECONNRESET'), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['plain Error', new Error('boom'), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['RangeError', new RangeError('bad'), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['string', 'weird', ErrorCode.UNKNOWN_SERVER_ERROR],
    ['null', null, ErrorCode.UNKNOWN_SERVER_ERROR],
    ['undefined', undefined, ErrorCode.UNKNOWN_SERVER_ERROR],
  ];
  it.each(table)('%s', (_name, err, code) => {
    expect(toKafkaErrorCode(err)).toBe(code);
  });

  it('always answers a real Kafka error code, never NONE, whatever it is given', () => {
    const anyCode = fc.oneof(fc.constantFrom(...Object.keys(ERRORS)), fc.string(), fc.integer());
    const failure = fc.oneof(
      fc.anything(),
      fc.record({ code: anyCode, errorCode: fc.oneof(fc.integer({ min: -200, max: 200 }), fc.anything()), message: fc.string() }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(failure, (err) => {
        const code = toKafkaErrorCode(err);
        return errorTable.has(code) && code !== ErrorCode.NONE && code >= -1;
      }),
      { numRuns: 2000 },
    );
  });

  it('strataCodeOf names catalogue codes only', () => {
    expect(strataCodeOf(new TierError(TierErrorCode.CONFLICT, 'x'))).toBe('STRATA_ERR_TIER_CONFLICT');
    expect(strataCodeOf(errno('EIO'))).toBeUndefined();
    expect(strataCodeOf(null)).toBeUndefined();
  });
});
