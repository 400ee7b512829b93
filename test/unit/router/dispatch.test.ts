import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BrokerContext } from '../../../src/broker-context.js';
import type { AppendItemResult, TaskError } from '../../../src/ipc/tasks.js';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import { encodeRequestHeader, requestHeaderVersion } from '../../../src/protocol/generated/headers.js';
import { decodeProduceResponse, encodeProduceRequest, produceApi } from '../../../src/protocol/generated/messages/00-produce.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import type { ConnectionInfo, FrameOutcome } from '../../../src/router/connection.js';
import { Dispatcher } from '../../../src/router/dispatch.js';
import { makeBatch } from '../workers/log-fixtures.js';

const TOPIC = 'orders';
const TOPIC_ID = 'ab'.repeat(16);
const CLIENT_ID = 'billing-service';
const VERSION = 9;

interface LogLine {
  level: number;
  msg: string;
  api?: string;
  apiVersion?: number;
  clientId?: string | null;
  topic?: string;
  partition?: number;
  answered?: string;
  err?: { message: string; stack: string };
}

type AppendFn = (acks: number, items: Array<{ key: string; records: Buffer }>) => Promise<AppendItemResult[]>;

function setup(append: AppendFn, topicsGet: (name: string) => unknown = () => ({ topicId: TOPIC_ID, partitions: 2, configs: {} })) {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const broker = { logger, engine: { append }, topics: { get: topicsGet }, tier: undefined, shuttingDown: false } as unknown as BrokerContext;
  const conn: ConnectionInfo = { id: 7, remote: '127.0.0.1:50000', closed: false, listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', principal: 'User:ANONYMOUS' };
  return { dispatcher: new Dispatcher(broker), lines, conn };
}

function produceFrame(partitions: number[]): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, requestHeaderVersion(produceApi.apiKey, VERSION), { requestApiKey: produceApi.apiKey, requestApiVersion: VERSION, correlationId: 42, clientId: CLIENT_ID });
  encodeProduceRequest(w, VERSION, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: TOPIC, partitionData: partitions.map((index) => ({ index, records: makeBatch(1) })) }],
  });
  return w.toBuffer();
}

function decodeProduce(outcome: FrameOutcome) {
  expect(outcome.kind).toBe('respond');
  const buf = Buffer.concat((outcome as { chunks: Buffer[] }).chunks);
  const r = new Reader(buf.subarray(4));
  expect(r.int32()).toBe(42); // correlation id
  r.uvarint(); // flexible response header: tagged fields
  return decodeProduceResponse(r, VERSION).responses[0]!.partitionResponses;
}

const errorLines = (lines: LogLine[]) => lines.filter((l) => l.level >= 50);

function ok(key: string): AppendItemResult {
  return { key: key as AppendItemResult['key'], errorCode: 0, errorMessage: null, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0, highWatermark: 1, recordErrors: [], written: false };
}

describe('Dispatcher: no error is answered silently (bug 2)', () => {
  it('an engine that fails unexpectedly: UNKNOWN_SERVER_ERROR, and one error line with api, version, client id and stack', async () => {
    const { dispatcher, lines, conn } = setup(() => Promise.reject(new TypeError('engine exploded')));
    const partitions = decodeProduce(await dispatcher.handleFrame(produceFrame([0, 1]), conn));
    expect(partitions.map((p) => p.errorCode)).toEqual([ErrorCode.UNKNOWN_SERVER_ERROR, ErrorCode.UNKNOWN_SERVER_ERROR]);
    const errors = errorLines(lines);
    expect(errors).toHaveLength(1); // once per failed request, not once per partition or layer
    expect(errors[0]).toMatchObject({ api: 'Produce', apiVersion: VERSION, clientId: CLIENT_ID, answered: 'UNKNOWN_SERVER_ERROR' });
    expect(errors[0]!.err!.stack).toContain('TypeError: engine exploded');
    expect(errors[0]!.err!.stack).toContain('dispatch.test.ts');
  });

  it('a worker-side failure of one partition: logged once with the partition and the worker stack', async () => {
    const workerStack = 'TypeError: x is undefined\n    at PartitionLog.append (workers/partition-log.ts:300:7)';
    const cause: TaskError = { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: 'x is undefined', stack: workerStack };
    const { dispatcher, lines, conn } = setup((_acks, items) =>
      Promise.resolve(items.map((item, i) => (i === 1 ? { ...ok(item.key), errorCode: cause.code, errorMessage: cause.message, cause } : ok(item.key)))),
    );
    const partitions = decodeProduce(await dispatcher.handleFrame(produceFrame([0, 1]), conn));
    expect(partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_SERVER_ERROR]);
    const errors = errorLines(lines);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ api: 'Produce', apiVersion: VERSION, clientId: CLIENT_ID, topic: TOPIC, partition: 1, answered: 'UNKNOWN_SERVER_ERROR' });
    expect(errors[0]!.err!.stack).toBe(workerStack);
  });

  it('an expected per-partition error (the client\'s business) is not logged as an error', async () => {
    const { dispatcher, lines, conn } = setup((_acks, items) =>
      Promise.resolve(items.map((item) => ({ ...ok(item.key), errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, errorMessage: 'gap', cause: { code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, strataCode: 'STRATA_ERR_OUT_OF_ORDER_SEQUENCE', message: 'gap' } }))),
    );
    const partitions = decodeProduce(await dispatcher.handleFrame(produceFrame([0]), conn));
    expect(partitions[0]!.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(errorLines(lines)).toEqual([]);
  });

  it('a response that cannot be encoded closes the connection, logged once (not an unhandled rejection)', async () => {
    const { dispatcher, lines, conn } = setup((_acks, items) => Promise.resolve(items.map((item) => ({ ...ok(item.key), errorMessage: 12345 as unknown as string }))));
    const outcome = await dispatcher.handleFrame(produceFrame([0]), conn);
    expect(outcome).toMatchObject({ kind: 'close', logged: true });
    const errors = errorLines(lines);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ api: 'Produce', apiVersion: VERSION, clientId: CLIENT_ID, answered: 'connection closed' });
    expect(errors[0]!.err!.stack).toMatch(/encodeProduceResponse|writer\.ts/);
  });

  it('a handler that throws closes the connection, logged once with api, version, client id and stack', async () => {
    const { dispatcher, lines, conn } = setup(
      () => Promise.resolve([]),
      () => {
        throw new RangeError('topic table corrupt');
      },
    );
    const outcome = await dispatcher.handleFrame(produceFrame([0]), conn);
    expect(outcome).toMatchObject({ kind: 'close', logged: true });
    expect((outcome as { reason: string }).reason).toContain('topic table corrupt');
    const errors = errorLines(lines);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ api: 'Produce', apiVersion: VERSION, clientId: CLIENT_ID, answered: 'connection closed' });
    expect(errors[0]!.err!.stack).toContain('RangeError: topic table corrupt');
  });
});
