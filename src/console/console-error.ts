// Thread: main. The console API's one error type: an HTTP status, a stable code and a message,
// answered as {"error": message, "code": code}. Kafka errors keep their Kafka names as codes
// (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_ALREADY_EXISTS, ...); the API's own are BAD_REQUEST,
// NOT_FOUND, METHOD_NOT_ALLOWED, FORBIDDEN, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, INTERNAL
// and BROKER_UNREACHABLE (a peer's console did not answer a forwarded request).
import { ErrorCode, errorTable } from '../protocol/generated/error-codes.js';

export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP status a Kafka error code answers with in the console API. */
function statusOfKafkaError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.UNKNOWN_TOPIC_ID:
    case ErrorCode.GROUP_ID_NOT_FOUND:
      return 404;
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return 409;
    case ErrorCode.INVALID_TOPIC_EXCEPTION:
    case ErrorCode.INVALID_PARTITIONS:
    case ErrorCode.INVALID_REPLICATION_FACTOR:
    case ErrorCode.INVALID_CONFIG:
    case ErrorCode.INVALID_REQUEST:
    case ErrorCode.OFFSET_OUT_OF_RANGE:
    case ErrorCode.POLICY_VIOLATION:
      return 400;
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
      return 403;
    default:
      return 503;
  }
}

export function kafkaErrorName(code: number): string {
  return errorTable.get(code)?.name ?? `KAFKA_ERROR_${code}`;
}

/** A ConsoleError for a non-zero Kafka error code. */
export function kafkaError(code: number, message: string | null | undefined, what: string): ConsoleError {
  const name = kafkaErrorName(code);
  return new ConsoleError(statusOfKafkaError(code), name, `${what}: ${message || name}`);
}
