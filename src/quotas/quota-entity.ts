// Thread: main. Client-quota entities and keys as Kafka names them. An entity is a user, a
// client id, or both; a name of null is the default (`<default>`) of its type. The quotas are
// `producer_byte_rate` and `consumer_byte_rate` (bytes per second) and `request_percentage`
// (percent of one thread's time per quota window). The entity's canonical key is a JSON text
// with the types in a fixed order, so one entity is one key in every store.

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
export type QuotaValues = Partial<Record<QuotaKey, number>>;

export function isQuotaKey(key: string): key is QuotaKey {
  return (QUOTA_KEYS as readonly string[]).includes(key);
}

/** A user and/or a client id; null = the default entity of that type, absent = not part of the entity. */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
}

export function entityKey(e: QuotaEntity): string {
  const o: Record<string, string | null> = {};
  if (e.user !== undefined) o[USER] = e.user;
  if (e.clientId !== undefined) o[CLIENT_ID] = e.clientId;
  return JSON.stringify(o);
}

/** The entity of a key written by entityKey; undefined for anything else (a foreign store entry). */
export function parseEntityKey(key: string): QuotaEntity | undefined {
  let o: unknown;
  try {
    o = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const rec = o as Record<string, unknown>;
  const e: QuotaEntity = {};
  for (const [type, name] of Object.entries(rec)) {
    if (name !== null && typeof name !== 'string') return undefined;
    if (type === USER) e.user = name;
    else if (type === CLIENT_ID) e.clientId = name;
    else return undefined;
  }
  if (e.user === undefined && e.clientId === undefined) return undefined;
  return e;
}

/** The entity as Kafka's response lists it: (type, name) pairs, user first. */
export function entityComponents(e: QuotaEntity): Array<{ entityType: string; entityName: string | null }> {
  const out: Array<{ entityType: string; entityName: string | null }> = [];
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId });
  return out;
}

/**
 * Kafka's precedence (ClientQuotaManager / DefaultQuotaCallback), most specific first, with the
 * tags of the sensor a match is metered on: a default entity still meters each user and client
 * id on its own, so `<default>` means "every user gets this much", not "all users share it".
 *   1 /users/<user>/clients/<client-id>       4 /users/<default>/clients/<client-id>
 *   2 /users/<user>/clients/<default>         5 /users/<default>/clients/<default>
 *   3 /users/<user>                           6 /users/<default>
 *   7 /clients/<client-id>                    8 /clients/<default>
 */
export function precedence(user: string, clientId: string): Array<{ key: string; userTag: string; clientTag: string }> {
  return [
    { key: entityKey({ user, clientId }), userTag: user, clientTag: clientId },
    { key: entityKey({ user, clientId: null }), userTag: user, clientTag: clientId },
    { key: entityKey({ user }), userTag: user, clientTag: '' },
    { key: entityKey({ user: null, clientId }), userTag: user, clientTag: clientId },
    { key: entityKey({ user: null, clientId: null }), userTag: user, clientTag: clientId },
    { key: entityKey({ user: null }), userTag: user, clientTag: '' },
    { key: entityKey({ clientId }), userTag: '', clientTag: clientId },
    { key: entityKey({ clientId: null }), userTag: '', clientTag: clientId },
  ];
}

/** The user name Kafka's user quotas match: the principal's name without `User:` (`ANONYMOUS` before authentication). */
export function quotaUser(principal: string): string {
  return principal.startsWith('User:') ? principal.slice(5) : principal;
}
