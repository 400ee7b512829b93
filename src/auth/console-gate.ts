// Thread: main. The web console's authorizer hook (src/console ConsoleAuthorizer) with ACLs on:
// a mutating route (create or delete a topic) is refused with 403 before Kafka is called when
// the caller's principal may not create or delete any topic at all (a read-only user). What it
// may do exactly is then checked by the Kafka handlers the console calls through the bridge
// (CreateTopics: CREATE on the cluster or the topic; DeleteTopics: DELETE on the topic), whose
// authorization errors the console answers as 403 too.
import { AclOperation, CLUSTER_RESOURCE, ResourceType } from './acl-model.js';
import type { Authorizer } from './authorizer.js';

export interface GateRequest {
  socket: { remoteAddress?: string | undefined; remotePort?: number | undefined };
}

export function consoleGate<R extends GateRequest>(authorizer: Authorizer, principalOf: (req: R) => string): (req: R, route: { mutating: boolean }) => boolean {
  return (req, route) => {
    if (!route.mutating || !authorizer.enabled) return true;
    const who = { principal: principalOf(req), remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}` };
    return (
      authorizer.authorize(who, AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_RESOURCE) ||
      authorizer.authorizeAny(who, AclOperation.CREATE, ResourceType.TOPIC) ||
      authorizer.authorizeAny(who, AclOperation.DELETE, ResourceType.TOPIC)
    );
  };
}
