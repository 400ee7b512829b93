// Thread: main. The REST proxy's errors: one class carrying the HTTP status and the proxy's
// error code, and the catalogue of codes (Confluent REST Proxy's where it has them). v2 answers
// `{"error_code": 40401, "message": ...}`; v3 answers the HTTP status as error_code
// (`{"error_code": 404, "message": ...}`), as Confluent's v3 does.
export class RestError extends Error {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** The proxy's error code (v2 body); v3 bodies carry `status` instead. */
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Every error code the proxy answers with (README "REST proxy" → "Errors" lists them). */
export const RestErrors = {
  routeNotFound: (path: string) => new RestError(404, 404, `HTTP 404 Not Found: no REST route ${path}`),
  methodNotAllowed: (method: string) => new RestError(405, 405, `HTTP 405 Method Not Allowed: ${method}`),
  topicNotFound: (topic: string) => new RestError(404, 40401, `Topic ${topic} not found.`),
  partitionNotFound: (topic: string, partition: number) => new RestError(404, 40402, `Partition ${partition} of topic ${topic} not found.`),
  instanceNotFound: (group: string, instance: string) => new RestError(404, 40403, `Consumer instance not found: ${group}/${instance} (unknown, deleted or expired).`),
  groupNotFound: (group: string) => new RestError(404, 40404, `Consumer group ${group} not found.`),
  clusterNotFound: (id: string) => new RestError(404, 40405, `Cluster ${id} not found.`),
  configNotFound: (name: string) => new RestError(404, 40406, `Config ${name} not found.`),
  formatMismatch: (format: string, wanted: string) =>
    new RestError(406, 40601, `The requested embedded data format (${wanted}) does not match the format of this consumer instance (${format}).`),
  timeout: (what: string) => new RestError(408, 40801, what),
  schemaRegistryUnavailable: () => new RestError(408, 40801, 'Schema registry not available: schema-based embedded formats (avro, jsonschema, protobuf) need the schema registry.'),
  instanceExists: (group: string, name: string) => new RestError(409, 40901, `Consumer with specified consumer ID ${name} already exists in group ${group}.`),
  illegalState: (message: string) => new RestError(409, 40902, message),
  topicExists: (topic: string) => new RestError(409, 40903, `Topic ${topic} already exists.`),
  tooLarge: (maxBytes: number) => new RestError(413, 413, `Request body larger than rest.max.request.bytes (${maxBytes} bytes).`),
  unsupportedMediaType: (contentType: string) => new RestError(415, 415, `HTTP 415 Unsupported Media Type: ${contentType || '(none)'}`),
  badBody: (message: string) => new RestError(422, 42201, message),
  schemaMissing: (message: string) => new RestError(422, 42202, message),
  tooManyRecords: (count: number, max: number) => new RestError(422, 42203, `Request carries ${count} records; rest.max.records.per.request is ${max}.`),
  invalidConsumerConfig: (message: string) => new RestError(422, 42204, message),
  tooManyInstances: (max: number) => new RestError(429, 42901, `Too many consumer instances (rest.consumer.max.instances = ${max}).`),
  kafka: (message: string) => new RestError(500, 50002, message),
  kafkaRetriable: (message: string) => new RestError(503, 50003, message),
} as const;

/** The v2 error body. */
export function v2ErrorBody(err: RestError): { error_code: number; message: string } {
  return { error_code: err.errorCode, message: err.message };
}

/** The v3 error body: error_code is the HTTP status. */
export function v3ErrorBody(err: RestError): { error_code: number; message: string } {
  return { error_code: err.status, message: err.message };
}
