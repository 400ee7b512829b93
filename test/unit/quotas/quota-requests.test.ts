// Thread: vitest worker. DescribeClientQuotas filters and AlterClientQuotas validation, table-driven.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/generated/error-codes.js';
import { entityKey, parseEntityKey, type QuotaEntity } from '../../../src/quotas/quota-entity.js';
import { matchesFilter, parseAlterEntity, parseAlterOps, parseFilter, QuotaRequestError } from '../../../src/quotas/quota-requests.js';

const exact = (entityType: string, match: string) => ({ entityType, matchType: 0, match });
const dflt = (entityType: string) => ({ entityType, matchType: 1, match: null });
const any = (entityType: string) => ({ entityType, matchType: 2, match: null });

const entities: Record<string, QuotaEntity> = {
  alice: { user: 'alice' },
  defaultUser: { user: null },
  aliceC: { user: 'alice', clientId: 'c' },
  c: { clientId: 'c' },
  defaultClient: { clientId: null },
};

function matching(components: Parameters<typeof parseFilter>[0], strict: boolean): string[] {
  const f = parseFilter(components, strict);
  return Object.entries(entities)
    .filter(([, e]) => matchesFilter(e, f))
    .map(([n]) => n);
}

describe('filters', () => {
  it.each([
    [[exact('user', 'alice')], false, ['alice', 'aliceC']],
    [[exact('user', 'alice')], true, ['alice']],
    [[dflt('user')], false, ['defaultUser']],
    [[any('user')], true, ['alice', 'defaultUser']],
    [[any('client-id')], false, ['aliceC', 'c', 'defaultClient']],
    [[exact('user', 'alice'), any('client-id')], false, ['aliceC']],
    [[], false, Object.keys(entities)],
    [[], true, []],
  ] as const)('%j strict=%s', (components, strict, expected) => {
    expect(matching([...components], strict)).toEqual(expected);
  });

  it.each([
    [[exact('user', 'a'), exact('user', 'b')]],
    [[{ entityType: 'topic', matchType: 0, match: 'x' }]],
    [[{ entityType: '', matchType: 0, match: 'x' }]],
    [[{ entityType: 'user', matchType: 0, match: null }]],
    [[{ entityType: 'user', matchType: 7, match: null }]],
    [[any('ip'), any('user')]],
  ])('rejects %j with INVALID_REQUEST', (components) => {
    expect(() => parseFilter(components, false)).toThrow(QuotaRequestError);
    try {
      parseFilter(components, false);
    } catch (err) {
      expect((err as QuotaRequestError).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    }
  });
});

describe('alterations', () => {
  it('parses entities with defaults and round-trips their keys', () => {
    const e = parseAlterEntity([
      { entityType: 'client-id', entityName: null },
      { entityType: 'user', entityName: 'alice' },
    ]);
    expect(e).toEqual({ user: 'alice', clientId: null });
    expect(parseEntityKey(entityKey(e))).toEqual(e);
    expect(entityKey(e)).toBe(entityKey({ user: 'alice', clientId: null }));
    expect(parseEntityKey('{"topic":"x"}')).toBeUndefined();
    expect(parseEntityKey('not json')).toBeUndefined();
  });

  it.each([
    [[]],
    [[{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }]],
    [[{ entityType: 'ip', entityName: '1.2.3.4' }]],
    [[{ entityType: 'topic', entityName: 'x' }]],
    [[{ entityType: 'user', entityName: '' }]],
  ])('rejects entity %j', (components) => {
    expect(() => parseAlterEntity(components)).toThrow(QuotaRequestError);
  });

  it('parses set and remove ops', () => {
    expect(
      parseAlterOps([
        { key: 'producer_byte_rate', value: 1024, remove: false },
        { key: 'request_percentage', value: 12.5, remove: false },
        { key: 'consumer_byte_rate', value: 0, remove: true },
      ]),
    ).toEqual({ set: [['producer_byte_rate', 1024], ['request_percentage', 12.5]], remove: ['consumer_byte_rate'] });
  });

  it.each([
    [{ key: 'connection_creation_rate', value: 1, remove: false }],
    [{ key: 'producer_byte_rate', value: 1.5, remove: false }],
    [{ key: 'producer_byte_rate', value: 0, remove: false }],
    [{ key: 'consumer_byte_rate', value: -5, remove: false }],
    [{ key: 'request_percentage', value: Number.NaN, remove: false }],
  ])('rejects op %j', (op) => {
    expect(() => parseAlterOps([op])).toThrow(/not valid|Invalid configuration key/);
  });

  it('rejects a key twice', () => {
    expect(() =>
      parseAlterOps([
        { key: 'producer_byte_rate', value: 1, remove: false },
        { key: 'producer_byte_rate', value: 2, remove: false },
      ]),
    ).toThrow(/Duplicate/);
  });
});
