// Unit: the ACL matcher and authorizer (src/auth): Kafka's implied operations, literal /
// wildcard / prefixed patterns, DENY over ALLOW, wildcard principal and host, super users,
// allow.everyone.if.no.acl.found, authorizeByResourceType, and the DescribeAcls/DeleteAcls
// filter semantics.
import { describe, expect, it } from 'vitest';
import { AclIndex } from '../../../src/auth/acl-index.js';
import { AclOperation as Op, CLUSTER_RESOURCE, PatternType, PermissionType, ResourceType, filterMatches, invalidBindingReason, type AclBinding } from '../../../src/auth/acl-model.js';
import { Authorizer, hostOf, parseSuperUsers } from '../../../src/auth/authorizer.js';
import type { AclStore } from '../../../src/auth/acl-store.js';

const acl = (p: Partial<AclBinding>): AclBinding => ({
  resourceType: ResourceType.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.READ,
  permissionType: PermissionType.ALLOW,
  ...p,
});

const check = (index: AclIndex, op: number, name = 'orders', principal = 'User:alice', host = '10.0.0.1', type: number = ResourceType.TOPIC) => index.authorize(principal, host, op, type, name);

describe('AclIndex.authorize', () => {
  it('allows the operation granted and the operations it implies, nothing else', () => {
    const index = new AclIndex([acl({ operation: Op.READ })]);
    expect(check(index, Op.READ)).toBe('ALLOWED');
    expect(check(index, Op.DESCRIBE)).toBe('ALLOWED'); // READ implies DESCRIBE
    expect(check(index, Op.WRITE)).toBe('DENIED');
    expect(check(index, Op.DESCRIBE_CONFIGS)).toBe('DENIED');
  });

  it.each([
    [Op.WRITE, Op.DESCRIBE, true],
    [Op.DELETE, Op.DESCRIBE, true],
    [Op.ALTER, Op.DESCRIBE, true],
    [Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS, true],
    [Op.DESCRIBE, Op.READ, false],
    [Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, false],
    [Op.CREATE, Op.DESCRIBE, false],
    [Op.ALL, Op.ALTER_CONFIGS, true],
  ])('ALLOW %i implies %i: %s', (granted, asked, expected) => {
    expect(check(new AclIndex([acl({ operation: granted })]), asked) === 'ALLOWED').toBe(expected);
  });

  it('DENY wins over ALLOW, on the same operation or ALL, through any pattern', () => {
    expect(check(new AclIndex([acl({ operation: Op.ALL }), acl({ operation: Op.READ, permissionType: PermissionType.DENY })]), Op.READ)).toBe('DENIED');
    expect(check(new AclIndex([acl({ operation: Op.READ }), acl({ operation: Op.ALL, permissionType: PermissionType.DENY, resourceName: 'ord', patternType: PatternType.PREFIXED })]), Op.READ)).toBe('DENIED');
    expect(check(new AclIndex([acl({ operation: Op.READ }), acl({ operation: Op.READ, permissionType: PermissionType.DENY, resourceName: '*', principal: 'User:*' })]), Op.READ)).toBe('DENIED');
    // A DENY of READ does not deny the DESCRIBE that READ would imply.
    expect(check(new AclIndex([acl({ operation: Op.DESCRIBE }), acl({ operation: Op.READ, permissionType: PermissionType.DENY })]), Op.DESCRIBE)).toBe('ALLOWED');
  });

  it('matches literal names exactly, the literal wildcard and prefixes', () => {
    const index = new AclIndex([
      acl({ resourceName: 'orders', operation: Op.READ }),
      acl({ resourceName: '*', operation: Op.DESCRIBE }),
      acl({ resourceName: 'team-a.', patternType: PatternType.PREFIXED, operation: Op.WRITE }),
      acl({ resourceName: 'team-a.orders', patternType: PatternType.PREFIXED, operation: Op.DELETE }),
    ]);
    expect(check(index, Op.READ, 'orders')).toBe('ALLOWED');
    expect(check(index, Op.READ, 'orders2')).toBe('DENIED');
    expect(check(index, Op.DESCRIBE, 'anything')).toBe('ALLOWED');
    expect(check(index, Op.WRITE, 'team-a.x')).toBe('ALLOWED');
    expect(check(index, Op.WRITE, 'team-a.')).toBe('ALLOWED');
    expect(check(index, Op.WRITE, 'team-a')).toBe('DENIED');
    expect(check(index, Op.WRITE, 'team-b.x')).toBe('DENIED');
    expect(check(index, Op.DELETE, 'team-a.orders-eu')).toBe('ALLOWED');
    expect(check(index, Op.DELETE, 'team-a.other')).toBe('DENIED');
    // A prefixed ACL is not a literal one: `team-a.` literal is not `team-a.*`.
    expect(check(new AclIndex([acl({ resourceName: 'team-a.', operation: Op.WRITE })]), Op.WRITE, 'team-a.x')).toBe('NO_ACL');
  });

  it('matches the wildcard principal and host, and exact hosts only', () => {
    const index = new AclIndex([acl({ principal: 'User:*', operation: Op.READ }), acl({ principal: 'User:bob', host: '10.0.0.9', operation: Op.WRITE })]);
    expect(check(index, Op.READ, 'orders', 'User:anyone')).toBe('ALLOWED');
    expect(check(index, Op.WRITE, 'orders', 'User:bob', '10.0.0.9')).toBe('ALLOWED');
    expect(check(index, Op.WRITE, 'orders', 'User:bob', '10.0.0.10')).toBe('DENIED');
    expect(check(index, Op.WRITE, 'orders', 'User:carol', '10.0.0.9')).toBe('DENIED');
  });

  it('is NO_ACL only when the resource has no ACL of anyone', () => {
    const index = new AclIndex([acl({ principal: 'User:bob' })]);
    expect(check(index, Op.READ, 'orders')).toBe('DENIED');
    expect(check(index, Op.READ, 'payments')).toBe('NO_ACL');
    expect(check(index, Op.READ, 'orders', 'User:alice', '1.1.1.1', ResourceType.GROUP)).toBe('NO_ACL');
  });

  it('keeps resource types apart', () => {
    const index = new AclIndex([acl({ resourceType: ResourceType.GROUP, resourceName: 'orders' })]);
    expect(check(index, Op.READ, 'orders', 'User:alice', '1.1.1.1', ResourceType.GROUP)).toBe('ALLOWED');
    expect(check(index, Op.READ, 'orders')).toBe('NO_ACL');
  });

  it('allowedOnAny: an ALLOW somewhere not covered by a DENY (KIP-679)', () => {
    expect(new AclIndex([acl({ operation: Op.WRITE })]).allowedOnAny('User:alice', 'h', Op.WRITE, ResourceType.TOPIC)).toBe(true);
    expect(new AclIndex([acl({ operation: Op.READ })]).allowedOnAny('User:alice', 'h', Op.WRITE, ResourceType.TOPIC)).toBe(false);
    expect(new AclIndex([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permissionType: PermissionType.DENY, resourceName: '*' })]).allowedOnAny('User:alice', 'h', Op.WRITE, ResourceType.TOPIC)).toBe(false);
    expect(new AclIndex([acl({ operation: Op.WRITE, resourceName: 'a.x' }), acl({ operation: Op.WRITE, permissionType: PermissionType.DENY, resourceName: 'a.', patternType: PatternType.PREFIXED })]).allowedOnAny('User:alice', 'h', Op.WRITE, ResourceType.TOPIC)).toBe(false);
    expect(new AclIndex([acl({ operation: Op.ALL, resourceName: 'p', patternType: PatternType.PREFIXED })]).allowedOnAny('User:alice', 'h', Op.WRITE, ResourceType.TOPIC)).toBe(true);
  });

  it('answers quickly with many ACLs', () => {
    const bindings = Array.from({ length: 50_000 }, (_, i) => acl({ resourceName: `topic-${i}`, patternType: i % 2 === 0 ? PatternType.LITERAL : PatternType.PREFIXED, principal: `User:u${i % 100}` }));
    const index = new AclIndex(bindings);
    const start = performance.now();
    let allowed = 0;
    for (let i = 0; i < 20_000; i++) if (index.authorize(`User:u${i % 100}`, 'h', Op.READ, ResourceType.TOPIC, `topic-${i % 50_000}`) === 'ALLOWED') allowed++;
    expect(allowed).toBeGreaterThan(0);
    // Not a benchmark: a linear scan would take seconds here (50k ACLs × 20k checks).
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});

function fakeStore(bindings: AclBinding[]): AclStore {
  return { kind: 'local', start: async () => {}, close: async () => {}, bindings: () => bindings, add: async () => {}, remove: async () => {}, onChange: () => {} };
}

describe('Authorizer', () => {
  const who = (principal: string, remote = '10.0.0.1:5000') => ({ principal, remote });

  it('lets super users do anything and applies allow.everyone.if.no.acl.found only to resources without ACLs', async () => {
    const store = fakeStore([acl({ principal: 'User:bob' })]);
    const strict = new Authorizer({ enabled: true, superUsers: parseSuperUsers('User:admin; User:ops'), allowEveryoneIfNoAclFound: false }, store);
    await strict.start();
    expect(strict.authorize(who('User:admin'), Op.ALTER, ResourceType.CLUSTER, CLUSTER_RESOURCE)).toBe(true);
    expect(strict.authorize(who('User:ops'), Op.DELETE, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(strict.authorize(who('User:alice'), Op.READ, ResourceType.TOPIC, 'payments')).toBe(false);
    const open = new Authorizer({ enabled: true, superUsers: new Set(), allowEveryoneIfNoAclFound: true }, store);
    await open.start();
    expect(open.authorize(who('User:alice'), Op.READ, ResourceType.TOPIC, 'payments')).toBe(true);
    expect(open.authorize(who('User:alice'), Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(open.authorize(who('User:bob'), Op.READ, ResourceType.TOPIC, 'orders')).toBe(true);
  });

  it('passes everything when off', () => {
    const off = new Authorizer({ enabled: false, superUsers: new Set(), allowEveryoneIfNoAclFound: false }, undefined);
    expect(off.authorize(who('User:x'), Op.WRITE, ResourceType.TOPIC, 't')).toBe(true);
  });

  it('takes the host from the peer address (IPv4, IPv6, IPv4-mapped)', async () => {
    expect(hostOf('10.1.2.3:9092')).toBe('10.1.2.3');
    expect(hostOf('::1:5555')).toBe('::1');
    expect(hostOf('::ffff:127.0.0.1:5555')).toBe('127.0.0.1');
    const a = new Authorizer({ enabled: true, superUsers: new Set(), allowEveryoneIfNoAclFound: false }, fakeStore([acl({ host: '127.0.0.1' })]));
    await a.start();
    expect(a.authorize(who('User:alice', '::ffff:127.0.0.1:4000'), Op.READ, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(who('User:alice', '127.0.0.2:4000'), Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
  });
});

describe('ACL filters and validation', () => {
  const filter = (p: Partial<Parameters<typeof filterMatches>[0]>) => ({ resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: PermissionType.ANY, ...p });

  it('ANY and null match everything; fields compare exactly', () => {
    expect(filterMatches(filter({}), acl({}))).toBe(true);
    expect(filterMatches(filter({ principalFilter: 'User:bob' }), acl({}))).toBe(false);
    expect(filterMatches(filter({ operation: Op.WRITE }), acl({}))).toBe(false);
    expect(filterMatches(filter({ resourceNameFilter: 'orders', patternTypeFilter: PatternType.LITERAL }), acl({}))).toBe(true);
    expect(filterMatches(filter({ resourceNameFilter: 'orders', patternTypeFilter: PatternType.PREFIXED }), acl({}))).toBe(false);
  });

  it('MATCH selects every binding that applies to the name', () => {
    const f = filter({ resourceNameFilter: 'team-a.orders', patternTypeFilter: PatternType.MATCH });
    expect(filterMatches(f, acl({ resourceName: 'team-a.orders' }))).toBe(true);
    expect(filterMatches(f, acl({ resourceName: '*' }))).toBe(true);
    expect(filterMatches(f, acl({ resourceName: 'team-a.', patternType: PatternType.PREFIXED }))).toBe(true);
    expect(filterMatches(f, acl({ resourceName: 'team-b.', patternType: PatternType.PREFIXED }))).toBe(false);
    expect(filterMatches(f, acl({ resourceName: 'team-a.' }))).toBe(false);
  });

  it('refuses what Kafka refuses', () => {
    expect(invalidBindingReason(acl({}))).toBeUndefined();
    expect(invalidBindingReason(acl({ patternType: PatternType.MATCH }))).toMatch(/pattern/);
    expect(invalidBindingReason(acl({ operation: Op.ANY }))).toMatch(/operation/);
    expect(invalidBindingReason(acl({ permissionType: PermissionType.ANY }))).toMatch(/permission/);
    expect(invalidBindingReason(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'other' }))).toMatch(/kafka-cluster/);
    expect(invalidBindingReason(acl({ principal: 'alice' }))).toMatch(/TYPE:NAME/);
    expect(invalidBindingReason(acl({ resourceName: '' }))).toMatch(/name/);
  });
});
