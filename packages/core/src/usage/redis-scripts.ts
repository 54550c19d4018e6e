/**
 * The meter's Lua scripts. Each touches the keys of one customer only (they share the customer's hash tag), so
 * they run atomically on Redis and on Redis Cluster. Numbers go back as strings: Redis would truncate floats.
 *
 * A reservation is an entry of the units hash (its units) scored in the zset by when it expires. Settling it
 * (commit, release) leaves a tombstone ('done', kept TOMBSTONE_MS) so that a command repeated after a timeout, or
 * one that Redis runs late, finds it settled and does nothing: every script is idempotent by reservation id.
 * Expiring it leaves 'expired': its units are free again, but a commit that comes late still counts (the request
 * did succeed), once.
 */

/** How long a settled reservation's tombstone is kept: longer than any retry of a timed-out meter call. */
export const TOMBSTONE_MS = 5 * 60_000;

/** Expires reservations whose process never settled them; forgets old tombstones. KEYS: counter, zset, units. ARGV[1] = now. */
const EXPIRE = `
local now = tonumber(ARGV[1])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local u = redis.call('HGET', KEYS[3], id)
  if u and u ~= 'done' and u ~= 'expired' then
    redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -tonumber(u))
    redis.call('HSET', KEYS[3], id, 'expired')
    redis.call('ZADD', KEYS[2], now + ${TOMBSTONE_MS}, id)
  else
    redis.call('HDEL', KEYS[3], id)
    redis.call('ZREM', KEYS[2], id)
  end
end`;

/** Settles one reservation: frees its units, leaves a tombstone. Returns false when it was already settled. */
const SETTLE = `
local function settle(id, now)
  local u = redis.call('HGET', KEYS[3], id)
  if u == 'done' then return false end
  if u and u ~= 'expired' then redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -tonumber(u)) end
  redis.call('HSET', KEYS[3], id, 'done')
  redis.call('ZADD', KEYS[2], now + ${TOMBSTONE_MS}, id)
  return true
end`;

/** Committed units become pending and open (to be sealed into the next record); KEYS[1] is the counter. */
const ADD_OPEN = `
local function addOpen(units, now)
  if units <= 0 then return end
  local open = tonumber(redis.call('HGET', KEYS[1], 'open') or '0')
  if open <= 0 then redis.call('HSET', KEYS[1], 'openSince', now) end
  redis.call('HINCRBYFLOAT', KEYS[1], 'pending', units)
  redis.call('HINCRBYFLOAT', KEYS[1], 'open', units)
end`;

/**
 * The counter's usage as limits see it: Stigg's (the cached usage, or the last one Stigg acknowledged in this
 * period, whichever is higher), plus reserved and not yet reported units. ARGV[6]: cached usage, ARGV[7]: period.
 */
const USAGE = `
local h = redis.call('HMGET', KEYS[1], 'reserved', 'pending', 'base', 'basePeriod')
local reserved = tonumber(h[1] or '0')
local pending = tonumber(h[2] or '0')
local base = tonumber(ARGV[6])
if (h[4] or '') == ARGV[7] then base = math.max(tonumber(h[3] or '0'), base) end
local usage = base + reserved + pending`;

/**
 * KEYS: counter, zset, units hash, request key. ARGV: now, ttl, reservation id, units, limit (-1: none),
 * cached usage, period ('' none), has request key ('1'/'0'), request key's in-flight ttl.
 * The limit rule is `fitsLimit` in decide.ts: usage + units <= limit.
 * A request key holds 'i:<reservation id>' while that reservation lives, then what its commit kept (a recorded
 * response, or '1').
 */
export const RESERVE = `${EXPIRE}${USAGE}
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 1 then return {'stale', tostring(usage)} end
if ARGV[8] == '1' then
  local seen = redis.call('GET', KEYS[4])
  if seen and string.sub(seen, 1, 2) == 'i:' then
    -- In flight only while its reservation lives: one its process never settled (it died) frees the key with it.
    local held = redis.call('HGET', KEYS[3], string.sub(seen, 3))
    if held and held ~= 'done' and held ~= 'expired' then return {'in-flight', tostring(usage)} end
  elseif seen then
    return {'duplicate', tostring(usage), seen}
  end
end
local limit = tonumber(ARGV[5])
local units = tonumber(ARGV[4])
if limit >= 0 and usage + units > limit then return {'denied', tostring(usage)} end
redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', units)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
if ARGV[8] == '1' then redis.call('SET', KEYS[4], 'i:' .. ARGV[3], 'PX', ARGV[9]) end
-- Reservations and tombstones of a counter that goes quiet go with it (no reservation lives an hour).
redis.call('PEXPIRE', KEYS[2], 3600000)
redis.call('PEXPIRE', KEYS[3], 3600000)
return {'reserved', tostring(usage)}`;

/**
 * An allowance lease: a block of the counter's remaining allowance reserved for one process, which spends it on
 * its requests without a call each. KEYS: counter, zset, units hash. ARGV: now, ttl, block id, units (the request
 * it is granted for), limit (-1: none), cached usage, period ('' none), most units, share of what is left.
 * The block is at least the request's units (denied if they do not fit: the rule of `fitsLimit`), at most the
 * given share of what is left and the most units. Returns {status, usage before it, its size}.
 */
export const GRANT = `${EXPIRE}${USAGE}
local limit = tonumber(ARGV[5])
local units = tonumber(ARGV[4])
if limit >= 0 and usage + units > limit then return {'denied', tostring(usage), '0'} end
local size = tonumber(ARGV[8])
if limit >= 0 then size = math.min(size, math.floor((limit - usage) * tonumber(ARGV[9]))) end
size = math.max(units, size)
redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', size)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], tostring(size))
redis.call('PEXPIRE', KEYS[2], 3600000)
redis.call('PEXPIRE', KEYS[3], 3600000)
return {'reserved', tostring(usage), tostring(size)}`;

/**
 * KEYS: counter, zset, units hash, request key. ARGV: reservation id, units, has request key, request key ttl ms,
 * now, what the request key keeps (a recorded response, or '1'). Returns 1 when the units were counted, 0 when the
 * reservation was already settled (a repeat: nothing is counted again), 2 when another request with the same key
 * was committed first (a process metering apart while Redis was down, or one whose reservation had expired): the
 * request is counted once, so these units are not.
 */
export const COMMIT = `${SETTLE}${ADD_OPEN}
local now = tonumber(ARGV[5])
if not settle(ARGV[1], now) then return 0 end
if ARGV[3] == '1' then
  local seen = redis.call('GET', KEYS[4])
  if seen and string.sub(seen, 1, 2) ~= 'i:' then return 2 end
end
addOpen(tonumber(ARGV[2]), ARGV[5])
if ARGV[3] == '1' then redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[4]) end
return 1`;

/**
 * Requests committed through one block since the last write, in one call: their reserved units leave the block
 * (and the counter's reserved units), their committed units become pending. Idempotent by the write's id (a
 * tombstone, as a reservation's), so a call that timed out is repeated, never doubled. A block that expired or went
 * back meanwhile holds nothing any more: the units are counted all the same (the requests did succeed).
 * KEYS: counter, zset, units hash. ARGV: write id, now, block id, reserved units, committed units.
 * Returns 1, or 0 for a repeat.
 */
export const SPEND = `${SETTLE}${ADD_OPEN}
local now = tonumber(ARGV[2])
if not settle(ARGV[1], now) then return 0 end
local held = redis.call('HGET', KEYS[3], ARGV[3])
if held and held ~= 'done' and held ~= 'expired' then
  local d = math.min(tonumber(held), tonumber(ARGV[4]))
  redis.call('HSET', KEYS[3], ARGV[3], tostring(tonumber(held) - d))
  redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -d)
end
addOpen(tonumber(ARGV[5]), ARGV[2])
return 1`;

/**
 * Units a process committed while Redis was down, handed to Redis in one call per counter: `plain` units, and
 * requests with an idempotency key, each counted unless another request with its key was committed first (then it
 * was counted there: its units are not). Idempotent by the hand-over's id (a tombstone, as a reservation's), so a
 * call that timed out is repeated, never doubled. KEYS: counter, zset, units hash, then one request key per request.
 * ARGV: hand-over id, now, plain units, request key ttl ms, then per request: units, what its key keeps (a recorded
 * response, or '1'). Returns the units not counted as duplicates (as a string), or '-1' for a repeat.
 */
export const HAND_OVER = `${SETTLE}${ADD_OPEN}
local now = tonumber(ARGV[2])
if not settle(ARGV[1], now) then return '-1' end
local add = tonumber(ARGV[3])
local duplicate = 0
for i = 4, #KEYS do
  local a = 5 + (i - 4) * 2
  local units = tonumber(ARGV[a])
  local seen = redis.call('GET', KEYS[i])
  if seen and string.sub(seen, 1, 2) ~= 'i:' then
    duplicate = duplicate + units
  else
    add = add + units
    redis.call('SET', KEYS[i], ARGV[a + 1], 'PX', ARGV[4])
  end
end
addOpen(add, ARGV[2])
return tostring(duplicate)`;

/**
 * The owner's heartbeat for its live reservations: each still held gets a new expiry. A process that stops
 * renewing (it died) has its reservations expire at their next check. KEYS: counter, zset, units hash.
 * ARGV: new expiry, then reservation ids.
 */
export const RENEW = `
for i = 2, #ARGV do
  local u = redis.call('HGET', KEYS[3], ARGV[i])
  if u and u ~= 'done' and u ~= 'expired' then redis.call('ZADD', KEYS[2], 'XX', ARGV[1], ARGV[i]) end
end
return 1`;

/** KEYS: counter, zset, units hash, request key (optional). ARGV: reservation id, now. A request key in flight is freed. */
export const RELEASE = `${SETTLE}
settle(ARGV[1], tonumber(ARGV[2]))
if KEYS[4] and redis.call('GET', KEYS[4]) == 'i:' .. ARGV[1] then redis.call('DEL', KEYS[4]) end
return 1`;

/**
 * One write's claim on a customer's counters. KEYS: the customer's meta hash, its sealed hash, then its counters.
 * ARGV: token, now, min spacing ms, then per counter: new record id, customerId, resourceId ('' none), featureId.
 * Refused (returns {}) when a newer lease token has claimed this customer (fencing) or the customer was written
 * less than the spacing ago. Otherwise seals each counter's open units into a new record and returns every sealed
 * record of the customer (JSON), each stamped with this token.
 */
export const CLAIM = `
local token = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local m = redis.call('HMGET', KEYS[1], 'fence', 'lastWrite')
if token < tonumber(m[1] or '0') then return {} end
if now - tonumber(m[2] or '-1e15') < tonumber(ARGV[3]) then return {} end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'lastWrite', ARGV[2])
-- While a counter has a record whose outcome is unknown, its new units wait (merged) for the next write.
local waiting = {}
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do
  local r = cjson.decode(v)
  waiting[r.resourceId .. '\0' .. r.featureId] = true
end
for i = 3, #KEYS do
  local a = 4 + (i - 3) * 4
  local h = redis.call('HMGET', KEYS[i], 'open', 'openSince')
  local open = tonumber(h[1] or '0')
  if open > 0 and not waiting[ARGV[a + 2] .. '\0' .. ARGV[a + 3]] then
    redis.call('HSET', KEYS[2], ARGV[a], cjson.encode({id = ARGV[a], customerId = ARGV[a + 1], resourceId = ARGV[a + 2], featureId = ARGV[a + 3], units = tostring(open), since = h[2] or ARGV[2]}))
    redis.call('HSET', KEYS[i], 'open', '0')
  end
end
local out = {}
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do
  local r = cjson.decode(v)
  r.token = ARGV[1]
  redis.call('HSET', KEYS[2], r.id, cjson.encode(r))
  table.insert(out, cjson.encode(r))
end
return out`;

/** KEYS: counter, sealed hash. ARGV: record id, units, Stigg's current usage ('' unknown), its period. */
export const ACKNOWLEDGE = `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[1], 'pending', -tonumber(ARGV[2]))
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'base', ARGV[3], 'basePeriod', ARGV[4]) end
  return 1
end
return 0`;

/**
 * The call carrying the record was refused unapplied: its units return to the counter's open units. Only by the
 * holder that claimed it last (token), so a record another holder has sent since is never merged and sent twice.
 * KEYS: counter, sealed hash. ARGV: record id, token.
 */
export const UNSEAL = `
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.token ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'open', 'openSince')
if tonumber(h[1] or '0') <= 0 or tonumber(r.since) < tonumber(h[2] or r.since) then redis.call('HSET', KEYS[1], 'openSince', r.since) end
redis.call('HINCRBYFLOAT', KEYS[1], 'open', r.units)
return 1`;

/**
 * A record a process sealed (and sent, outcome unknown) handed to the fleet with its id, so the fleet's next write
 * sends it under the same idempotency key. Once only: a marker remembers the hand-over (a repeat after a timeout
 * finds it). KEYS: counter, sealed hash, marker. ARGV: record id, customerId, resourceId ('' none), featureId,
 * units, since, marker ttl ms. Returns 0 when it was handed over before.
 */
export const ADOPT = `
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[7]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({id = ARGV[1], customerId = ARGV[2], resourceId = ARGV[3], featureId = ARGV[4], units = ARGV[5], since = ARGV[6]}))
redis.call('HINCRBYFLOAT', KEYS[1], 'pending', ARGV[5])
return 1`;

/** KEYS: counter, sealed hash. ARGV: record id, units. */
export const DISCARD = `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[1], 'pending', -tonumber(ARGV[2]))
  return 1
end
return 0`;

/**
 * What a request key holds, without reserving. KEYS: request key, units hash. Returns {'duplicate', what its commit
 * kept}, {'in-flight'} while the reservation holding it lives, or {'none'}.
 */
export const SEEN = `
local seen = redis.call('GET', KEYS[1])
if not seen then return {'none'} end
if string.sub(seen, 1, 2) == 'i:' then
  local held = redis.call('HGET', KEYS[2], string.sub(seen, 3))
  if held and held ~= 'done' and held ~= 'expired' then return {'in-flight'} end
  return {'none'}
end
return {'duplicate', seen}`;

/** KEYS: counter, sealed hash. Returns {open units, pending units, sealed records of the customer}. */
export const STATE = `
local h = redis.call('HMGET', KEYS[1], 'open', 'pending')
return {h[1] or '0', h[2] or '0', redis.call('HLEN', KEYS[2])}`;

/**
 * The delivery lease. KEYS: lease key, fence counter key (same hash tag). ARGV: holder id, ttl ms.
 * Takes the lease when free (a new fencing token), renews it when held by this holder; returns the token, or 0
 * when another holder has it.
 */
export const LEASE_ACQUIRE = `
local v = redis.call('GET', KEYS[1])
if not v then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
  return token
end
local sep = string.find(v, ' ', 1, true)
if string.sub(v, 1, sep - 1) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(v, sep + 1))
end
return 0`;

/** KEYS: lease key. ARGV: holder id. Gives the lease up if this holder has it. */
export const LEASE_RELEASE = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then redis.call('DEL', KEYS[1]) return 1 end
return 0`;
