// Thread: main. What a broker registers about itself in cluster mode (BrokerInfo), and the
// parsing of registrations read back from Redis: a malformed one is skipped, never trusted.
import { z } from 'zod';

export const brokerInfoSchema = z.object({
  nodeId: z.number().int().min(0),
  /** Advertised Kafka listener. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** Advertised endpoint of every Kafka listener by upper-cased name (Metadata answers a client with those of the listener it came in on). */
  endpoints: z.record(z.string(), z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })).optional(),
  rack: z.string().optional(),
  /** First bound operator HTTP port, when the HTTP listener is on. */
  httpPort: z.number().int().min(1).max(65535).optional(),
  startedAtMs: z.number().int(),
  /** Random id of this broker process: only the process that registered may refresh or delete the key. */
  incarnation: z.string().min(1),
});

export type BrokerInfo = z.infer<typeof brokerInfoSchema>;

/** A registration value read from Redis, or undefined when it is not a BrokerInfo. */
export function parseBrokerInfo(json: string | null | undefined): BrokerInfo | undefined {
  if (json === null || json === undefined) return undefined;
  try {
    const parsed = brokerInfoSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Same brokers, same endpoints, same processes (order-insensitive). */
export function sameBrokerSet(a: readonly BrokerInfo[], b: readonly BrokerInfo[]): boolean {
  if (a.length !== b.length) return false;
  const key = (x: BrokerInfo) => `${x.nodeId}/${x.incarnation}/${x.host}:${x.port}/${x.rack ?? ''}/${JSON.stringify(x.endpoints ?? {})}`;
  const keys = new Set(a.map(key));
  return b.every((x) => keys.has(key(x)));
}
