// Thread: main (CLI process). `strata acls add | list | remove`: ACLs over CreateAcls,
// DescribeAcls and DeleteAcls, so it works against Kafka too. One resource per call:
// --topic T, --group G, --transactional-id X or --cluster, literal unless --prefixed.
//   add     --allow|--deny PRINCIPAL --operation OP [--operation OP …] [--host H]
//   list    [--principal P] [resource] — every ACL without filters
//   remove  as add (--operation and --allow/--deny optional: any), or --principal P
import {
  AclOperation,
  CLUSTER_RESOURCE,
  PatternType,
  PermissionType,
  ResourceType,
  operationName,
  patternTypeName,
  permissionName,
  resourceTypeName,
  type AclBinding,
  type AclFilter,
} from '../../auth/acl-model.js';
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import type { KafkaClient } from '../client/kafka-client.js';
import { json, out, table, type OutputFormat } from '../output.js';

const usage = (msg: string) => new CliError(msg, 'STRATA_ERR_CLI_USAGE');
const OPERATIONS = Object.keys(AclOperation).filter((k) => k !== 'UNKNOWN' && k !== 'ANY');

interface Resource {
  resourceType: number;
  resourceName: string | null;
}

/** The one resource named (undefined: none, allowed for list/remove). */
function resourceOf(o: Options): Resource | undefined {
  const named: Resource[] = [];
  const topic = o.str('topic');
  const group = o.str('group');
  const txn = o.str('transactional-id');
  if (topic !== undefined) named.push({ resourceType: ResourceType.TOPIC, resourceName: topic });
  if (group !== undefined) named.push({ resourceType: ResourceType.GROUP, resourceName: group });
  if (txn !== undefined) named.push({ resourceType: ResourceType.TRANSACTIONAL_ID, resourceName: txn });
  if (o.flag('cluster')) named.push({ resourceType: ResourceType.CLUSTER, resourceName: CLUSTER_RESOURCE });
  if (named.length > 1) throw usage('name one resource: --topic, --group, --transactional-id or --cluster');
  const r = named[0];
  if (r !== undefined && r.resourceName === '') throw usage('the resource name is empty');
  return r;
}

function principalOf(o: Options): { principal: string | undefined; permission: number | undefined } {
  const allow = o.str('allow');
  const deny = o.str('deny');
  const principal = o.str('principal');
  if ([allow, deny, principal].filter((v) => v !== undefined).length > 1) throw usage('give one of --allow, --deny and --principal');
  const p = allow ?? deny ?? principal;
  if (p !== undefined && !/^[^:]+:.+$/.test(p)) throw usage(`"${p}" is not a principal: TYPE:NAME, e.g. User:alice (User:* for everyone)`);
  return { principal: p, permission: allow !== undefined ? PermissionType.ALLOW : deny !== undefined ? PermissionType.DENY : undefined };
}

function operationsOf(o: Options): number[] {
  return o.all('operation').flatMap((raw) =>
    raw.split(',').map((name) => {
      const key = name.trim().toUpperCase().replace(/-/g, '_');
      if (!OPERATIONS.includes(key)) throw usage(`--operation: one of ${OPERATIONS.join(', ')}, got "${name}"`);
      return AclOperation[key as keyof typeof AclOperation];
    }),
  );
}

function print(bindings: AclBinding[], format: OutputFormat): void {
  const rows = bindings.map((b) => ({
    resourceType: resourceTypeName(b.resourceType),
    resourceName: b.resourceName,
    patternType: patternTypeName(b.patternType),
    principal: b.principal,
    host: b.host,
    operation: operationName(b.operation),
    permission: permissionName(b.permissionType),
  }));
  if (format === 'json') {
    out(json(rows) + '\n');
    return;
  }
  out(table(['RESOURCE', 'NAME', 'PATTERN', 'PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION'], rows.map((r) => [r.resourceType, r.resourceName, r.patternType, r.principal, r.host, r.operation, r.permission])));
}

export async function aclsCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const [action] = o.positional;
  const prefixed = o.flag('prefixed');
  switch (action) {
    case 'add': {
      const { principal, permission } = principalOf(o);
      const resource = resourceOf(o);
      const operations = operationsOf(o);
      const host = o.str('host') ?? '*';
      o.rejectUnknown('acls add');
      if (principal === undefined || permission === undefined) throw usage('strata acls add: give --allow PRINCIPAL or --deny PRINCIPAL');
      if (resource === undefined) throw usage('strata acls add: name the resource: --topic T, --group G, --transactional-id X or --cluster');
      if (operations.length === 0) throw usage('strata acls add: give --operation (e.g. READ, WRITE, DESCRIBE, ALL)');
      const bindings = operations.map((operation) => ({
        resourceType: resource.resourceType,
        resourceName: resource.resourceName!,
        patternType: prefixed ? PatternType.PREFIXED : PatternType.LITERAL,
        principal,
        host,
        operation,
        permissionType: permission,
      }));
      await client.createAcls(bindings);
      print(bindings, format);
      return;
    }
    case 'list':
    case undefined: {
      const { principal, permission } = principalOf(o);
      const resource = resourceOf(o);
      const operations = operationsOf(o);
      o.rejectUnknown('acls list');
      print(await client.describeAcls(filterOf(resource, prefixed, principal, permission, operations[0], undefined)), format);
      return;
    }
    case 'remove': {
      const { principal, permission } = principalOf(o);
      const resource = resourceOf(o);
      const operations = operationsOf(o);
      const host = o.str('host');
      o.rejectUnknown('acls remove');
      if (resource === undefined && principal === undefined) throw usage('strata acls remove: name a resource or a principal (removing every ACL takes --topic/--group/… or --principal)');
      const removed: AclBinding[] = [];
      for (const op of operations.length > 0 ? operations : [undefined]) removed.push(...(await client.deleteAcls(filterOf(resource, prefixed, principal, permission, op, host))));
      print(removed, format);
      return;
    }
    default:
      throw usage(`strata acls: unknown action "${action}" (add, list, remove)`);
  }
}

function filterOf(resource: Resource | undefined, prefixed: boolean, principal: string | undefined, permission: number | undefined, operation: number | undefined, host: string | undefined): AclFilter {
  return {
    resourceTypeFilter: resource?.resourceType ?? ResourceType.ANY,
    resourceNameFilter: resource?.resourceName ?? null,
    patternTypeFilter: resource === undefined ? PatternType.ANY : prefixed ? PatternType.PREFIXED : PatternType.LITERAL,
    principalFilter: principal ?? null,
    hostFilter: host ?? null,
    operation: operation ?? AclOperation.ANY,
    permissionType: permission ?? PermissionType.ANY,
  };
}
