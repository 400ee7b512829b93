// Thread: main. The Lua scripts behind every cluster-membership write, so that checking who
// holds a key and changing it is one atomic step in Redis. A key is held by the process whose
// random `incarnation` is in its JSON value; only that process may refresh or delete it.
// Scripts answer `{status, currentValue|false}`.

/** `holds(key, incarnation)`: the value at key is JSON with that incarnation. */
const HOLDS = `
local function holds(cur, incarnation)
  if not cur then return false end
  local ok, decoded = pcall(cjson.decode, cur)
  return ok and type(decoded) == 'table' and decoded.incarnation == incarnation
end
`;

/**
 * Broker registration heartbeat. KEYS[1] registration key; ARGV[1] incarnation, ARGV[2] TTL ms,
 * ARGV[3] full registration JSON. 1 = refreshed; 2 = the key was gone (expired, Redis flushed)
 * and is registered again; 0 = another live process holds this node id (left alone).
 */
export const REFRESH_REGISTRATION_LUA = `${HOLDS}
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
  return {2, false}
end
if holds(cur, ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, cur}
end
return {0, cur}
`;

/** Compare-and-delete. KEYS[1] key; ARGV[1] incarnation. 1 = deleted; 0 = not ours (left alone). */
export const DELETE_IF_HOLDER_LUA = `${HOLDS}
local cur = redis.call('GET', KEYS[1])
if holds(cur, ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return {1, false}
end
return {0, cur or false}
`;

/** Compare-and-renew. KEYS[1] key; ARGV[1] incarnation, ARGV[2] TTL ms. 1 = renewed; 0 = not ours. */
export const RENEW_IF_HOLDER_LUA = `${HOLDS}
local cur = redis.call('GET', KEYS[1])
if holds(cur, ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, cur}
end
return {0, cur or false}
`;

/**
 * Take the controller lease if nobody holds it. KEYS[1] controller key, KEYS[2] epoch counter;
 * ARGV[1] node id, ARGV[2] incarnation, ARGV[3] lease ms, ARGV[4] highest epoch the caller has
 * seen. The new epoch is INCR of the counter, but never at or below ARGV[4], so a Redis that
 * lost its data cannot make the epoch go back. 1 = taken (value is ours); 0 = held by someone
 * (their value).
 */
export const ACQUIRE_LEASE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
local epoch = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[4])
if epoch <= floor then
  epoch = floor + 1
  redis.call('SET', KEYS[2], epoch)
end
local value = cjson.encode({nodeId = tonumber(ARGV[1]), incarnation = ARGV[2], epoch = epoch})
redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
return {1, value}
`;

/** A script's `{status, value}` answer as ioredis returns it. */
export function scriptAnswer(raw: unknown): { status: number; value: string | undefined } {
  if (!Array.isArray(raw)) throw new Error(`unexpected script answer ${JSON.stringify(raw)}`);
  const [status, value] = raw as [unknown, unknown];
  return { status: Number(status), value: typeof value === 'string' ? value : undefined };
}
