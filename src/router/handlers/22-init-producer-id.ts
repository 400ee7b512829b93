// Thread: main. InitProducerId (key 22), versions 0–5.
// Idempotent producers (null transactional id) get a fresh producer id at epoch 0 from the
// persisted allocator. v3+ with an existing id and epoch (KIP-360 epoch bump after an
// error) keeps the id and bumps the epoch; at the maximum epoch a new id is issued.
// Transactional ids are not supported yet: TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  initProducerIdApi,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../protocol/generated/messages/22-init-producer-id.js';
import { defineHandler } from './types.js';

const MAX_EPOCH = 32767;

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: initProducerIdApi.apiKey,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeInitProducerIdRequest,
  encodeResponse: encodeInitProducerIdResponse,
  handle(ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    if (req.producerId >= 0n && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
    }
    const producerId = ctx.broker.metadata.allocateProducerId();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: BigInt(producerId), producerEpoch: 0 };
  },
});
