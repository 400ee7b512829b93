// Thread: main. InitProducerId (key 22), versions 0–5.
// Idempotent producers (null transactional id) always get a fresh producer id at epoch 0 from
// the persisted allocator, whatever producerId/producerEpoch the request carries: that is
// Kafka's TransactionCoordinator.handleInitProducerId ("if the transactional id is null,
// blindly accept the request and return a new producerId"). The v3+ fields are only meant
// for a transactional id's KIP-360 epoch bump; idempotent clients bump their epoch locally
// (Java) or send -1/-1, and @platformatic/kafka sends 0/0 — answering that with "producer 0,
// epoch 1" gave every such producer the same id, so a second producer's sequence 0 collided
// with the first one's state (OUT_OF_ORDER_SEQUENCE_NUMBER, or a silent "duplicate").
//
// A producer id that cannot be allocated (a new block could not be reserved in the metadata
// store: Redis unreachable, disk error) answers COORDINATOR_NOT_AVAILABLE, which every client
// retries for InitProducerId.
//
// Transactional ids are not supported yet: UNSUPPORTED_VERSION (35), plus one warning line per
// refused request. Why this code: clients treat it as a final "the broker cannot do this" —
// KafkaJS marks it non-retriable (KafkaJSProtocolError "The version of API is not supported"),
// the Java client's InitProducerIdHandler makes any unexpected non-retriable code a fatal
// KafkaException naming it, and librdkafka treats unhandled InitProducerId errors as permanent
// — and it is what a client gets from a broker that lacks the transaction APIs. The codes
// clients retry (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS)
// would hang them; TRANSACTIONAL_ID_AUTHORIZATION_FAILED sent users hunting for ACLs.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): IDEMPOTENT_WRITE on the cluster or WRITE on any topic (KIP-679), else CLUSTER_AUTHORIZATION_FAILED; WRITE on a transactional id.
import { describeError } from '../../errors.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  initProducerIdApi,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../protocol/generated/messages/22-init-producer-id.js';
import { AclOperation, CLUSTER_RESOURCE, ResourceType, authorize, authorizeAny, permits } from './authz.js';
import { defineHandler } from './types.js';

export const TRANSACTIONS_NOT_SUPPORTED_MESSAGE = 'transactions are not supported by this broker yet';

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: initProducerIdApi.apiKey,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeInitProducerIdRequest,
  encodeResponse: encodeInitProducerIdResponse,
  handle(ctx, req) {
    const refused = (errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    // ACLs (as Kafka): WRITE on the transactional id; without one (idempotence), IDEMPOTENT_WRITE
    // on the cluster or WRITE on any topic (KIP-679).
    if (req.transactionalId !== null && !authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return refused(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (req.transactionalId === null && !permits(ctx, AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, CLUSTER_RESOURCE) && !authorizeAny(ctx, AclOperation.WRITE, ResourceType.TOPIC)) {
      return refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    if (req.transactionalId !== null) {
      ctx.broker.logger.warn(
        { api: 'InitProducerId', apiVersion: ctx.apiVersion, clientId: ctx.clientId, transactionalId: req.transactionalId },
        `${TRANSACTIONS_NOT_SUPPORTED_MESSAGE}: refusing transactional producer with UNSUPPORTED_VERSION`,
      );
      return { throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_VERSION, producerId: -1n, producerEpoch: -1 };
    }
    return ctx.broker.metadata.allocateProducerId().then(
      (producerId): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: BigInt(producerId), producerEpoch: 0 }),
      (err: unknown): InitProducerIdResponse => {
        // A new block could not be reserved (shared store unreachable, disk error). Clients
        // look for another coordinator and retry on COORDINATOR_NOT_AVAILABLE.
        ctx.broker.logger.warn({ api: 'InitProducerId', err: describeError(err) }, 'no producer id could be allocated');
        return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
      },
    );
  },
});
