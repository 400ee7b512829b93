// Thread: main. The one way Strata opens a Redis connection (offset store, metadata store,
// cluster membership): connected explicitly (lazyConnect), no offline queue — a command while
// disconnected fails at once instead of waiting, so callers answer a retriable Kafka code —
// every command bounded by `commandTimeoutMs`, and reconnecting forever: 100 ms, 200 ms, …
// capped at 2 s.
import { Redis } from 'ioredis';

export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times - 1, 5), 2000),
  });
}
