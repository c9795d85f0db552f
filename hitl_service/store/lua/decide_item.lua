-- use: lib_items
-- Adaptive overlap: the worker's verdict on an item that has all its required answers (`deciding`).
-- KEYS[10] item; ARGV member, answers the worker consolidated, verdict ('done' or 'more'), now.
-- 'more' adds one assignment for one more distinct reviewer, but only while the item is open, the
-- verdict is about exactly the answers it has, and it has fewer than task_count (its maximum);
-- otherwise the item closes Completed. A repeated or stale verdict changes nothing.
-- Returns 'more', 'finalize' / 'finished' (closed now), 'closed' (stop or expiry got there first),
-- 'stale' (not deciding on these answers) or 'missing'.
local ITEM = KEYS[10]
local member, seen, verdict, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local s = redis.call('HMGET', ITEM, 'status', 'target', 'deciding', 'answers', 'task_count', 'created_ms')
if not s[1] then
  redis.call('ZREM', OUT_FINALIZE, member)
  redis.call('ZREM', PENDING_SINCE, member)
  return 'missing'
end
if s[2] ~= '' then return 'closed' end
if s[1] ~= 'InProgress' or s[3] ~= seen or s[4] ~= seen then return 'stale' end
redis.call('HDEL', ITEM, 'deciding')
local answers = tonumber(s[4])
if verdict ~= 'more' or answers >= tonumber(s[5]) then
  return close_item(ITEM, member, 'Completed', '', '', now)
end
redis.call('HSET', ITEM, 'required', answers + 1)
redis.call('HINCRBY', ITEM, 'queued', 1)
redis.call('ZADD', QUEUE, s[6], member)
redis.call('HINCRBY', STATS, 'queued', 1)
redis.call('ZREM', OUT_FINALIZE, member)
redis.call('ZREM', PENDING_SINCE, member)
return 'more'
