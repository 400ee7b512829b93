import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BrokerContext } from '../../../../src/broker-context.js';
import { StrataError } from '../../../../src/errors.js';
import { PartitionCalls } from '../../../../src/router/handlers/partition-calls.js';
import type { RequestContext } from '../../../../src/router/handlers/types.js';
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.js';

function context(): { ctx: RequestContext; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const broker = { logger } as unknown as BrokerContext;
  const ctx = { broker, conn: { id: 1, remote: '127.0.0.1:1', closed: false }, apiKey: 21, apiName: 'DeleteRecords', apiVersion: 2, correlationId: 7, clientId: 'tool', ownedFrameBuffer: undefined } as unknown as RequestContext;
  return { ctx, lines };
}

describe('PartitionCalls', () => {
  it('makes no engine call when nothing was collected', async () => {
    const { ctx } = context();
    let called = false;
    await new PartitionCalls<number, { errorCode: number }>().run(ctx, async () => ((called = true), []), () => {});
    expect(called).toBe(false);
  });

  it('makes one call for every collected partition and applies the answers in order', async () => {
    const { ctx, lines } = context();
    const a = { errorCode: 0, v: 0 };
    const b = { errorCode: 0, v: 0 };
    const calls = new PartitionCalls<string, typeof a>();
    calls.add('t', 0, a, 'x');
    calls.add('t', 1, b, 'y');
    const seen: string[][] = [];
    await calls.run(
      ctx,
      async (items) => (seen.push(items), [{ errorCode: ErrorCode.NONE, v: 5 }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, v: 6 }]),
      (target, answer) => (target.v = answer.v),
    );
    expect(seen).toEqual([['x', 'y']]);
    expect(a).toEqual({ errorCode: 0, v: 5 });
    expect(b).toEqual({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, v: 6 });
    // The unexpected answer is logged once, naming the partition.
    expect(lines.filter((l) => l.level === 50)).toMatchObject([{ topic: 't', partition: 1, clientId: 'tool' }]);
  });

  it('answers every collected partition with the mapped code when the call fails, logged once', async () => {
    const { ctx, lines } = context();
    const targets = [{ errorCode: 0 }, { errorCode: 0 }];
    const calls = new PartitionCalls<number, { errorCode: number }>();
    targets.forEach((t, i) => calls.add('t', i, t, i));
    await calls.run(ctx, async () => { throw new StrataError('STRATA_ERR_WORKER_FAILED', 'slot 0 died'); }, () => {});
    expect(targets.map((t) => t.errorCode)).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER]);
    expect(lines.filter((l) => (l.level as number) >= 40)).toHaveLength(1);
  });
});
