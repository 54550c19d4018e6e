/**
 * The meter's Lua scripts. Each touches the keys of one customer only (they share the `{customerId}` hash tag),
 * so they run atomically on Redis and on Redis Cluster. Numbers go back as strings: Redis would truncate floats.
 */

/** Drops reservations whose process never settled them. KEYS: counter, reservations zset, reservation units. */
const EXPIRE = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, id in ipairs(expired) do
  local u = redis.call('HGET', KEYS[3], id)
  if u then
    redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -tonumber(u))
    redis.call('HDEL', KEYS[3], id)
  end
  redis.call('ZREM', KEYS[2], id)
end`;

/** Frees one reservation. KEYS: counter, zset, units hash. ARGV[1] = reservation id. */
const FREE = `
local function free(id)
  local u = redis.call('HGET', KEYS[3], id)
  if u then
    redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -tonumber(u))
    redis.call('HDEL', KEYS[3], id)
    redis.call('ZREM', KEYS[2], id)
  end
end`;

/**
 * KEYS: counter, zset, units hash, request key. ARGV: now, ttl, reservation id, units, limit (-1: none),
 * cached usage, period start ('' none), has request key ('1'/'0').
 */
export const RESERVE = `${EXPIRE}
local h = redis.call('HMGET', KEYS[1], 'reserved', 'pending', 'base', 'basePeriod')
local reserved = tonumber(h[1] or '0')
local pending = tonumber(h[2] or '0')
local base = tonumber(ARGV[6])
if (h[4] or '') == ARGV[7] then base = math.max(tonumber(h[3] or '0'), base) end
local usage = base + reserved + pending
if ARGV[8] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then return {'duplicate', tostring(usage)} end
local limit = tonumber(ARGV[5])
local units = tonumber(ARGV[4])
if limit >= 0 and usage + units > limit then return {'denied', tostring(usage)} end
redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', units)
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
return {'reserved', tostring(usage)}`;

/** KEYS: counter, zset, units hash, request key. ARGV: reservation id, units, has request key, request key ttl ms. */
export const COMMIT = `${FREE}
free(ARGV[1])
redis.call('HINCRBYFLOAT', KEYS[1], 'pending', ARGV[2])
redis.call('HINCRBYFLOAT', KEYS[1], 'open', ARGV[2])
if ARGV[3] == '1' then redis.call('SET', KEYS[4], '1', 'PX', ARGV[4]) end
return 1`;

/** KEYS: counter, zset, units hash. ARGV: reservation id. */
export const RELEASE = `${FREE}
free(ARGV[1])
return 1`;

/**
 * With ARGV[5] = '1', moves a counter's open units into a sealed record (its id is the idempotency key), unless
 * the counter was sealed less than ARGV[7] ms before ARGV[6] (now); then returns every sealed record of the
 * customer. KEYS: counter, sealed hash. ARGV: new record id, customerId, resourceId ('' none), featureId, seal
 * ('1'/'0'), now, interval.
 */
export const SEAL = `
local h = redis.call('HMGET', KEYS[1], 'open', 'sealedAt')
local open = tonumber(h[1] or '0')
local recent = tonumber(ARGV[6]) - tonumber(h[2] or '0') < tonumber(ARGV[7])
if ARGV[5] == '1' and open > 0 and not recent then
  redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({id = ARGV[1], customerId = ARGV[2], resourceId = ARGV[3], featureId = ARGV[4], units = tostring(open)}))
  redis.call('HSET', KEYS[1], 'open', '0', 'sealedAt', ARGV[6])
end
return redis.call('HVALS', KEYS[2])`;

/** KEYS: counter, sealed hash. ARGV: record id, units, Stigg's current usage ('' unknown), its period start. */
export const ACKNOWLEDGE = `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[1], 'pending', -tonumber(ARGV[2]))
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'base', ARGV[3], 'basePeriod', ARGV[4]) end
  return 1
end
return 0`;

/** KEYS: counter, sealed hash. ARGV: record id, units. */
export const DISCARD = `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[1], 'pending', -tonumber(ARGV[2]))
  return 1
end
return 0`;

/** KEYS: counter. Returns units committed and not yet sealed. */
export const OPEN = `return redis.call('HGET', KEYS[1], 'open') or '0'`;

/** KEYS: counter. Returns pending units. */
export const PENDING = `return redis.call('HGET', KEYS[1], 'pending') or '0'`;
