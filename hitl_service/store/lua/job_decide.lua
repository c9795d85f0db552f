-- use: lib_job
-- ARGV now, then (id, answers consolidated, verdict 'more', 'escalate' or 'done') triples
-- Adaptive overlap: apply the worker's verdicts on answered objects before their results are
-- recorded. An object still out (it had the answers it needed but fewer than the maximum) either
-- goes back on the queue, at its head, for one more distinct reviewer ('more': only while the job
-- runs, the verdict is about exactly the answers it has, and it has fewer than
-- NumberOfHumanWorkersPerDataObject), or leaves the queue to be recorded now. Objects already
-- retired (all answers in, lifetime ended, job stopping) are recorded as they are.
-- Returns the ids not to record now: those given one more reviewer, stale verdicts (due again) and
-- objects no longer waiting for consolidation (a repeated verdict).
-- 'escalate' (the job names an escalation workteam, the object has the maximum and is still below
-- the target): it needs one answer more, from the escalation team's queue (ESCQ), same slot.
local now = tonumber(ARGV[1])
local max = num('workers_per_object')
local running = redis.call('HGET', JOB, 'status') == 'InProgress'
local skip = {}
for i = 2, #ARGV, 3 do
  local id, seen, verdict = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  if not redis.call('ZSCORE', ANSWERED, id) then
    -- recorded, or given one more reviewer, by an earlier run of this verdict
    table.insert(skip, id)
  elseif answer_count(id) ~= seen then
    -- the verdict is about fewer answers than the object has now (a duplicated, late run): its
    -- result would be stale, so it is consolidated again
    redis.call('ZADD', ANSWERED, now, id)
    table.insert(skip, id)
  elseif redis.call('HGET', LEFT, id) then
    if running and verdict == 'more' and seen < max then
      redis.call('HSET', NEED, id, seen + 1)
      redis.call('HSET', LEFT, id, 1)
      redis.call('ZADD', QUEUE, 0, id)
      redis.call('ZREM', ANSWERED, id)
      table.insert(skip, id)
    elseif running and verdict == 'escalate' and seen == max and redis.call('HGET', JOB, 'escalation_team') then
      redis.call('HSET', NEED, id, seen + 1)
      redis.call('HSET', LEFT, id, 1)
      redis.call('ZADD', ESCQ, 0, id)
      redis.call('HSET', STAGE, id, 'low-confidence|' .. seen)
      redis.call('ZREM', ANSWERED, id)
      table.insert(skip, id)
    else
      retire(id, now)
    end
  end
end
release(now)
return skip
