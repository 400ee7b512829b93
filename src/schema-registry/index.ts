// Thread: main. The schema registry's public surface — stable for the REST proxy (embedded
// avro/jsonschema/protobuf formats), the console and the produce-path validation:
//   SchemaRegistry: getById(id), register(subject, {schema, schemaType, references}),
//     lookup(subject, input), getVersion(subject, version | 'latest'), isRegisteredFresh(subject, id);
//   RegistryError (Confluent error_code + HTTP status); the wire format helpers
//     (magic byte 0 + 4-byte big-endian schema id: encodeWireHeader / readWireSchemaId);
//   createSchemaRegistry(config, logDir, logger): the store the broker's settings pick.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { resolveRedisUrl } from '../groups/index.js';
import { LocalRegistryStore } from './local-registry-store.js';
import { RedisRegistryStore } from './redis-registry-store.js';
import { SchemaRegistry } from './registry.js';

export { SchemaRegistry, parseVersion, type SchemaInput, type SchemaView, type VersionSpec } from './registry.js';
export { RegistryError, RegistryErrorCode } from './errors.js';
export { SchemaRegistryApp } from './http-app.js';
export type { SchemaType, SchemaReference } from './formats/index.js';
export type { CompatibilityLevel } from './compatibility.js';
export { encodeWireHeader, readWireSchemaId, WIRE_HEADER_BYTES } from './wire-format.js';

/** Redis (shared by every broker on redis.url + redis.key.prefix) when a Redis is configured, else a local file. */
export function createSchemaRegistry(config: BrokerConfig, logDir: string, logger: Logger): SchemaRegistry {
  const url = resolveRedisUrl(config);
  const store =
    url === undefined
      ? new LocalRegistryStore(logDir)
      : new RedisRegistryStore({ url, keyPrefix: config['redis.key.prefix'], commandTimeoutMs: config['redis.command.timeout.ms'], logger: logger.child({ component: 'schema-registry' }) });
  return new SchemaRegistry(store);
}
