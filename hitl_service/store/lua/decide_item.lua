-- use: lib_items
-- Adaptive overlap: the worker's verdict on an item that has all its required answers (`deciding`).
-- KEYS[10] item, KEYS[11] the team's escalation queue; ARGV member, answers the worker consolidated,
-- verdict ('done', 'more' or 'escalate'), now.
-- 'more' adds one assignment for one more distinct reviewer, but only while the item is open, the
-- verdict is about exactly the answers it has, and it has fewer than task_count (its maximum);
-- 'escalate' (the flow names an escalation workteam, the item has exactly task_count answers and was
-- not escalated before) adds one assignment on the escalation queue, which only reviewers of the
-- escalation team read; otherwise the item closes Completed. A repeated or stale verdict changes nothing.
-- Returns 'more', 'escalated', 'finalize' / 'finished' (closed now), 'closed' (stop or expiry got
-- there first), 'stale' (not deciding on these answers) or 'missing'.
local ITEM, ESCQ = KEYS[10], KEYS[11]
local member, seen, verdict, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local s = redis.call('HMGET', ITEM, 'status', 'target', 'deciding', 'answers', 'task_count', 'created_ms',
                     'escalation_team', 'stage')
if not s[1] then
  redis.call('ZREM', OUT_FINALIZE, member)
  redis.call('ZREM', PENDING_SINCE, member)
  return 'missing'
end
if s[2] ~= '' then return 'closed' end
if s[1] ~= 'InProgress' or s[3] ~= seen or s[4] ~= seen then return 'stale' end
redis.call('HDEL', ITEM, 'deciding')
local answers = tonumber(s[4])
local escalate = verdict == 'escalate' and s[7] and s[7] ~= '' and not s[8] and answers == tonumber(s[5])
if not escalate and (verdict ~= 'more' or answers >= tonumber(s[5])) then
  return close_item(ITEM, member, 'Completed', '', '', now)
end
redis.call('HSET', ITEM, 'required', answers + 1)
redis.call('HINCRBY', ITEM, 'queued', 1)
redis.call('HINCRBY', STATS, 'queued', 1)
redis.call('ZREM', OUT_FINALIZE, member)
redis.call('ZREM', PENDING_SINCE, member)
if escalate then
  -- the second stage: one answer more than the maximum, from the escalation team (submit_answer
  -- closes the item Completed when it arrives: answers = required > task_count)
  redis.call('HSET', ITEM, 'stage', 'escalation', 'escalation_reason', 'low-confidence', 'first_stage', answers)
  redis.call('ZADD', ESCQ, s[6], member)
  count_escalation(ITEM, 1)
  return 'escalated'
end
redis.call('ZADD', QUEUE, s[6], member)
return 'more'
