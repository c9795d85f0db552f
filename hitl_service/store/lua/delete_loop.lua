-- use: lib_items
-- Delete a finished loop's record (never its output); the name becomes free.
-- KEYS[10] loop, KEYS[11] answers, KEYS[12] workers, KEYS[13] the flow's loop index,
-- KEYS[14] the event snapshot key, KEYS[15] the loop's input, KEYS[16..] the worked-on sets of its workers
-- ARGV member, flow_id and index member as the caller read them. Returns {outcome, status}.
local ITEM, ANSWERS, WORKERS, FLOW_LOOPS, SNAPSHOT, INPUT = KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]
local member = ARGV[1]
-- 'fid' is the short name of flow_id (loops stored before issue 17 have the long one)
local s = redis.call('HMGET', ITEM, 'status', 'fid', 'created_ms', 'flow_id')
s[2] = s[2] or s[4]
if not s[1] then return {'missing', ''} end
if s[1] ~= 'Completed' and s[1] ~= 'Failed' and s[1] ~= 'Stopped' then return {'active', s[1]} end
if s[2] ~= ARGV[2] or redis.call('SCARD', WORKERS) ~= #KEYS - 15 then return {'retry', s[1]} end
if redis.call('ZSCORE', OUT_EVENTS, member) then
  -- its status-change event is not delivered yet: keep what the event needs (not the input)
  redis.call('DEL', SNAPSHOT)
  redis.call('HSET', SNAPSHOT, unpack(redis.call('HGETALL', ITEM)))
  redis.call('HDEL', SNAPSHOT, 'input')
end
for i = 16, #KEYS do redis.call('SREM', KEYS[i], member) end
redis.call('DEL', ITEM, ANSWERS, WORKERS, INPUT)
redis.call('ZREM', FLOW_LOOPS, ARGV[3])
redis.call('ZREM', OUT_ROUTE, member)
redis.call('ZREM', OUT_FINALIZE, member)
redis.call('ZREM', PENDING_SINCE, member)
redis.call('ZREM', EXPIRY, member)
redis.call('HINCRBY', STATS, 'loop:' .. s[1], -1)
return {'deleted', s[1]}
