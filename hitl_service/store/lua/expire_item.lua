-- use: lib_items
-- An item whose availability lifetime passed (the caller found it due in the expiry index).
-- KEYS[10] item, KEYS[11] the team's escalation queue (an escalated loop's assignment waits there);
-- ARGV member, now, failure reason. Returns the close outcome ('' when nothing changed), or 'escalated'.
-- Escalation (docs/verify-adjust-autolabel.md, "Escalation"): a loop of a flow that names an escalation
-- workteam, InProgress with fewer answers than it needs, not deciding and never escalated, is not closed
-- but handed to that team as a second stage: its queued first-stage assignments are withdrawn, it needs
-- its answers + 1 (the escalation answer closes it Completed), its one assignment waits on the escalation
-- queue, and its lifetime starts again from now (the same length: the flow's, kept on the loop; a loop
-- started before it was kept there: its first deadline less its creation).
-- First-stage leases still held take no answer from then on (lib_leases stale_lease). A loop whose
-- second stage's lifetime ends closes as every expired loop does.
local ITEM, ESCQ = KEYS[10], KEYS[11]
local member, now = ARGV[1], tonumber(ARGV[2])
local deadline = redis.call('ZSCORE', EXPIRY, member)
-- a second sweep that read the index before the first one handed the loop over finds a later deadline
if deadline and tonumber(deadline) > now then return '' end
redis.call('ZREM', EXPIRY, member)
local s = redis.call('HMGET', ITEM, 'status', 'target', 'escalation_team', 'stage', 'deciding', 'answers',
                     'required', 'task_count', 'created_ms', 'lifetime')
if s[1] == 'InProgress' and s[2] == '' and deadline and s[3] and s[3] ~= '' and not s[4] and not s[5]
    and tonumber(s[6] or '0') < tonumber(s[7] or s[8]) then
  local answers = tonumber(s[6] or '0')
  local lifetime_ms = s[10] and tonumber(s[10]) * 1000 or math.max(1000, tonumber(deadline) - tonumber(s[9]))
  withdraw_queued(ITEM, member)
  -- (never routed: the route drain must not put it on the first team's queue later)
  redis.call('ZREM', OUT_ROUTE, member)
  redis.call('HSET', ITEM, 'routed', 1)
  redis.call('HSET', ITEM, 'stage', 'escalation', 'escalation_reason', 'expired', 'first_stage', answers,
             'required', answers + 1, 'queued', 1)
  redis.call('HINCRBY', STATS, 'queued', 1)
  redis.call('ZADD', ESCQ, s[9], member)
  count_escalation(ITEM, 1)
  redis.call('ZADD', EXPIRY, now + lifetime_ms, member)
  return 'escalated'
end
withdraw_escalation(ESCQ, ITEM, member)
if not s[1] or s[2] ~= '' then return '' end
if s[1] == 'Stopping' then return close_item(ITEM, member, 'Stopped', '', '', now) end
if s[1] == 'InProgress' then return close_item(ITEM, member, 'Failed', 'Expired', ARGV[3], now) end
return ''
