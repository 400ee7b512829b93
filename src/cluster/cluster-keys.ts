// Thread: main. The Redis keys of cluster membership, all under `redis.key.prefix`:
//   <prefix>cluster:broker:<nodeId>      string JSON BrokerInfo, TTL broker.session.timeout.ms
//   <prefix>cluster:controller           string JSON ControllerLeaseValue, TTL = session timeout
//   <prefix>cluster:controller-epoch     integer, INCR'd by each new controller (no TTL)

export function brokerKey(prefix: string, nodeId: number): string {
  return `${prefix}cluster:broker:${nodeId}`;
}

/** SCAN MATCH pattern of every broker registration (glob characters of the prefix escaped). */
export function brokerKeyPattern(prefix: string): string {
  return `${escapeGlob(prefix)}cluster:broker:*`;
}

export function controllerKey(prefix: string): string {
  return `${prefix}cluster:controller`;
}

export function controllerEpochKey(prefix: string): string {
  return `${prefix}cluster:controller-epoch`;
}

/** Escapes Redis glob characters (`* ? [ ] \`) so a prefix matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
