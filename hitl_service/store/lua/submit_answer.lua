-- use: lib_items
-- use: lib_leases
-- Store the lease holder's answer; the item's last answer closes it (or, with adaptive overlap, its
-- last required answer hands it to the worker's decision).
-- ARGV lease_id, worker, now, answer_json, member
local lease_id, worker, now, member = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[5]
local l = live_lease(member)
if not l then return {'nolease', '', ''} end
if l[2] ~= worker then return {'notyours', '', ''} end
if tonumber(l[3]) < now then return {'expired', '', expire_lease(lease_id, now)} end
local s = redis.call('HMGET', ITEM, 'status', 'target', 'task_count', 'created_ms', 'required',
                     'escalation_team', 'stage')
local current = s[1] and same_item(l[5], s[4])
if not current or s[2] ~= '' or (s[1] ~= 'InProgress' and s[1] ~= 'Stopping') then
  drop_lease(lease_id)
  if not current then return {'closed', 'deleted', ''} end
  redis.call('HINCRBY', ITEM, 'leases', -1)
  return {'closed', shown_status(s), ''}
end
if stale_lease(lease_id, s[7]) then
  -- the lifetime ended while this first-stage lease was held and the loop went to its escalation team:
  -- the answer is refused, the lease ends (a stopping loop may close on it)
  return {'closed', 'escalated', give_back_lease(lease_id, now)}
end
redis.call('RPUSH', ANSWERS, ARGV[4])
local answers = redis.call('HINCRBY', ITEM, 'answers', 1)
local leases = redis.call('HINCRBY', ITEM, 'leases', -1)
drop_lease(lease_id)
redis.call('HINCRBY', STATS, 'submits', 1)
local outcome = ''
if s[1] == 'Stopping' then
  -- a stop was requested: the item ends Stopped (with this answer in its output) once no lease is out
  if leases <= 0 then outcome = close_item(ITEM, member, 'Stopped', '', '', now) end
elseif s[7] == 'escalation' and answers >= tonumber(s[5] or s[3]) then
  -- the escalation answer closes the loop, whatever number of answers it has (the stage began at the
  -- maximum, or when the lifetime ended with fewer)
  outcome = close_item(ITEM, member, 'Completed', '', '', now)
elseif s[5] and answers >= tonumber(s[5])
    and (answers < tonumber(s[3]) or (s[6] and not s[7] and answers == tonumber(s[3]))) then
  -- adaptive overlap: every required answer is in (so no lease or queued assignment is left); a
  -- worker consolidates them and decide_item.lua either completes the loop or asks for one more
  -- (with an escalation team, also at TaskCount: the verdict may be the escalation stage)
  redis.call('HSET', ITEM, 'deciding', answers)
  redis.call('ZADD', OUT_FINALIZE, now, member)
  redis.call('ZADD', PENDING_SINCE, 'NX', now, member)
  outcome = 'decide'
elseif answers >= tonumber(s[5] or s[3]) then
  outcome = close_item(ITEM, member, 'Completed', '', '', now)
end
return {'ok', outcome, ''}
