// Thread: main. Small helpers shared by the consumer-group handlers (10–16, 42, 47).
import type { ConnectionInfo } from '../connection.js';

/** Kafka's member clientHost form: "/127.0.0.1" (the remote address without its port). */
export function clientHost(conn: ConnectionInfo): string {
  const remote = conn.remote;
  const i = remote.lastIndexOf(':');
  return '/' + (i > 0 ? remote.slice(0, i) : remote);
}

/** Group operations (READ, DELETE, DESCRIBE) as an ACL bit field; everything is allowed here. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
