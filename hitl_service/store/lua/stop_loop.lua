-- use: lib_items
-- Withdraw a loop's queued work: it is Stopped at once, or Stopping until its held leases end.
-- KEYS[10] loop, KEYS[11] the team's escalation queue; ARGV member, now. Returns {outcome, status}.
local ITEM = KEYS[10]
local member, now = ARGV[1], tonumber(ARGV[2])
local s = redis.call('HMGET', ITEM, 'status', 'target', 'leases')
if not s[1] then return {'missing', ''} end
if s[2] ~= '' then
  if s[2] == 'Stopped' then return {'ok', s[1]} end
  return {'terminal', s[2]}
end
if s[1] == 'Stopping' or s[1] == 'Stopped' then return {'ok', s[1]} end
if s[1] ~= 'InProgress' then return {'terminal', s[1]} end
withdraw_queued(ITEM, member)
withdraw_escalation(KEYS[11], ITEM, member)   -- an escalated loop's assignment is on the escalation queue
set_status(ITEM, 'InProgress', 'Stopping')
if tonumber(s[3] or '0') > 0 then return {'stopping', 'Stopping'} end
local outcome = close_item(ITEM, member, 'Stopped', '', '', now)
return {outcome, redis.call('HGET', ITEM, 'status')}
