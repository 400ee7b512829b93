import { describe, expect, it } from 'vitest';
import { LogError, LogErrorCode, toErrorCode, toTaskError } from '../../../workers/errors.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import { WorkerError } from '../../../src/ipc/tasks.js';

function errno(code: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: failed`) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

describe('toErrorCode', () => {
  const table: Array<[string, unknown, number]> = [
    ['corrupt batch', new LogError(LogErrorCode.CORRUPT_MESSAGE, 'x'), ErrorCode.CORRUPT_MESSAGE],
    ['invalid record', new LogError(LogErrorCode.INVALID_RECORD, 'x'), ErrorCode.INVALID_RECORD],
    ['too large', new LogError(LogErrorCode.MESSAGE_TOO_LARGE, 'x'), ErrorCode.MESSAGE_TOO_LARGE],
    ['sequence gap', new LogError(LogErrorCode.OUT_OF_ORDER_SEQUENCE, 'x'), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER],
    ['fenced epoch', new LogError(LogErrorCode.INVALID_PRODUCER_EPOCH, 'x'), ErrorCode.INVALID_PRODUCER_EPOCH],
    ['out of range', new LogError(LogErrorCode.OFFSET_OUT_OF_RANGE, 'x'), ErrorCode.OFFSET_OUT_OF_RANGE],
    ['not open', new LogError(LogErrorCode.PARTITION_NOT_OPEN, 'x'), WorkerError.PARTITION_NOT_OPEN],
    ['closed', new LogError(LogErrorCode.LOG_CLOSED, 'x'), ErrorCode.NOT_LEADER_OR_FOLLOWER],
    ['storage', new LogError(LogErrorCode.STORAGE, 'x'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['bad task', new LogError(LogErrorCode.INVALID_TASK, 'x'), ErrorCode.INVALID_REQUEST],
    ['EIO', errno('EIO'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['ENOSPC', errno('ENOSPC'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['EROFS', errno('EROFS'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['ENOENT', errno('ENOENT'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['EBADF', errno('EBADF'), ErrorCode.KAFKA_STORAGE_ERROR],
    ['plain Error', new Error('boom'), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['RangeError', new RangeError('bad'), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['string', 'weird', ErrorCode.UNKNOWN_SERVER_ERROR],
    ['null', null, ErrorCode.UNKNOWN_SERVER_ERROR],
  ];
  it.each(table)('%s', (_name, err, code) => {
    expect(toErrorCode(err)).toBe(code);
  });

  it('builds plain task errors', () => {
    const e = toTaskError(new LogError(LogErrorCode.STORAGE, 'disk gone'));
    expect(e).toEqual({ code: ErrorCode.KAFKA_STORAGE_ERROR, message: 'disk gone' });
    expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
  });

  it('every internal code is mapped and prefixed', () => {
    for (const code of Object.values(LogErrorCode)) {
      expect(code.startsWith('STRATA_ERR_')).toBe(true);
      expect(typeof toErrorCode(new LogError(code, ''))).toBe('number');
    }
  });
});
