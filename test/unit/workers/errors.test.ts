import { describe, expect, it } from 'vitest';
import { notOpenError, toTaskError } from '../../../workers/errors.js';
import { StrataError } from '../../../src/errors.js';
import { isPartitionNotOpen } from '../../../src/ipc/tasks.js';
import { ErrorCode, errorTable } from '../../../src/protocol/generated/error-codes.js';

describe('toTaskError', () => {
  it('an expected failure crosses as plain data with its catalogue code and no stack', () => {
    const e = toTaskError(new StrataError('STRATA_ERR_OUT_OF_ORDER_SEQUENCE', 'gap'));
    expect(e).toEqual({ code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, strataCode: 'STRATA_ERR_OUT_OF_ORDER_SEQUENCE', message: 'gap' });
    expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
    expect(structuredClone(e)).toEqual(e);
  });

  it('an unexpected failure carries its stack so the router can log the cause', () => {
    const bug = new TypeError('cannot read properties of undefined');
    const e = toTaskError(bug);
    expect(e.code).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(e.strataCode).toBeUndefined();
    expect(e.stack).toBe(bug.stack);
    expect(e.stack).toContain('errors.test.ts');
  });

  it('a disk failure maps to KAFKA_STORAGE_ERROR and keeps its stack', () => {
    const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    expect(toTaskError(eio)).toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR, stack: eio.stack });
    const storage = new StrataError('STRATA_ERR_STORAGE', 'opening partition', { cause: eio });
    expect(toTaskError(storage)).toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR, strataCode: 'STRATA_ERR_STORAGE', stack: storage.stack });
  });

  it('non-Error throwables still become a task error', () => {
    expect(toTaskError('weird')).toEqual({ code: ErrorCode.UNKNOWN_SERVER_ERROR, message: 'weird' });
  });
});

describe('notOpenError', () => {
  it('is a real Kafka code plus the internal signal, never a fake Kafka code', () => {
    const e = notOpenError('t:0');
    expect(isPartitionNotOpen(e)).toBe(true);
    expect(isPartitionNotOpen({ cause: e })).toBe(true);
    expect(isPartitionNotOpen({ errorCode: e.code })).toBe(false);
    expect(errorTable.has(e.code)).toBe(true);
    expect(e.code).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});
