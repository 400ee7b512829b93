// Thread: main. The REST proxy's bounds, from the broker config (rest.* settings).
import type { BrokerConfig } from '../../config/broker-config.js';

export interface RestLimits {
  /** rest.max.request.bytes: largest request body read (413 past it). */
  maxRequestBytes: number;
  /** rest.max.records.per.request: most records one produce request may carry (42203). */
  maxRecordsPerRequest: number;
  /** rest.consumer.instance.timeout.ms: idle consumer instances are deleted after this long. */
  instanceTimeoutMs: number;
  /** rest.consumer.max.instances: most consumer instances alive at once (42901 past it). */
  maxInstances: number;
}

export function restLimits(config: BrokerConfig): RestLimits {
  return {
    maxRequestBytes: config['rest.max.request.bytes'],
    maxRecordsPerRequest: config['rest.max.records.per.request'],
    instanceTimeoutMs: config['rest.consumer.instance.timeout.ms'],
    maxInstances: config['rest.consumer.max.instances'],
  };
}
