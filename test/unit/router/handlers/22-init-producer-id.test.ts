import { describe, expect, it } from 'vitest';
import { StrataError } from '../../../../src/errors.js';
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../../../src/protocol/generated/messages/22-init-producer-id.js';
import { initProducerIdHandler } from '../../../../src/router/handlers/22-init-producer-id.js';
import type { RequestContext } from '../../../../src/router/handlers/types.js';

function context(allocate?: () => Promise<number>) {
  let next = 0;
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const ctx = {
    broker: {
      metadata: { allocateProducerId: allocate ?? (async () => next++) },
      logger: { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) },
    },
    apiVersion: 4,
    clientId: 'client-x',
  } as unknown as RequestContext;
  return { ctx, warnings };
}

const request = (producerId: bigint, producerEpoch: number, transactionalId: string | null = null): InitProducerIdRequest => ({
  transactionalId,
  transactionTimeoutMs: 60_000,
  producerId,
  producerEpoch,
});

const handle = async (ctx: RequestContext, req: InitProducerIdRequest) => (await initProducerIdHandler.handle(ctx, req)) as InitProducerIdResponse;

describe('InitProducerId handler', () => {
  it('gives every idempotent producer a fresh id at epoch 0, whatever id/epoch it sends', async () => {
    const { ctx } = context();
    // -1/-1 (Java, KafkaJS, librdkafka) and 0/0 (@platformatic/kafka) alike.
    const answers = await Promise.all([request(-1n, -1), request(0n, 0), request(0n, 0), request(5n, 3)].map((r) => handle(ctx, r)));
    for (const a of answers) expect([a.errorCode, a.producerEpoch]).toEqual([ErrorCode.NONE, 0]);
    expect(new Set(answers.map((a) => a.producerId)).size).toBe(answers.length);
  });

  it('refuses a transactional id with UNSUPPORTED_VERSION and one warning naming the client', async () => {
    const { ctx, warnings } = context();
    const a = await handle(ctx, request(-1n, -1, 'tx-1'));
    expect([a.errorCode, a.producerId, a.producerEpoch]).toEqual([ErrorCode.UNSUPPORTED_VERSION, -1n, -1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/transactions are not supported/);
    expect(warnings[0]!.fields).toMatchObject({ clientId: 'client-x', transactionalId: 'tx-1' });
  });

  it('answers COORDINATOR_NOT_AVAILABLE (retriable) when no producer id can be allocated', async () => {
    const { ctx, warnings } = context(async () => {
      throw new StrataError('STRATA_ERR_METADATA_STORE_UNAVAILABLE', 'redis down');
    });
    const a = await handle(ctx, request(-1n, -1));
    expect([a.errorCode, a.producerId, a.producerEpoch]).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, -1n, -1]);
    expect(warnings[0]!.fields).toMatchObject({ err: 'STRATA_ERR_METADATA_STORE_UNAVAILABLE: redis down' });
  });
});
