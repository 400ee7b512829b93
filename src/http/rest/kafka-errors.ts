// Thread: main. A Kafka error code answered by a handler → the REST proxy's error: unknown
// topic 40401, topic exists 40903, invalid arguments 400 (40002), refused by the ACLs 403 (40301),
// retriable 503 (50003),
// anything else 500 (50002).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { isRetriable, kafkaErrorName } from './rest-producer.js';
import { RestError, RestErrors } from './rest-errors.js';

const INVALID_ARGUMENT = new Set<number>([
  ErrorCode.INVALID_TOPIC_EXCEPTION,
  ErrorCode.INVALID_PARTITIONS,
  ErrorCode.INVALID_REPLICATION_FACTOR,
  ErrorCode.INVALID_CONFIG,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.POLICY_VIOLATION,
]);

const AUTHORIZATION_FAILED = new Set<number>([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);

export function restErrorOf(code: number, message: string | null, topic?: string): RestError {
  const text = `${kafkaErrorName(code)}${message ? `: ${message}` : ''}`;
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && topic !== undefined) return RestErrors.topicNotFound(topic);
  if (code === ErrorCode.TOPIC_ALREADY_EXISTS && topic !== undefined) return RestErrors.topicExists(topic);
  if (INVALID_ARGUMENT.has(code)) return new RestError(400, 40002, text);
  // ACLs (issue 18): the HTTP caller's principal may not do this — Confluent's 40301.
  if (AUTHORIZATION_FAILED.has(code)) return new RestError(403, 40301, text);
  return isRetriable(code) ? RestErrors.kafkaRetriable(text) : RestErrors.kafka(text);
}
