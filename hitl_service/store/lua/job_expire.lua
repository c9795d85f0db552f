-- use: lib_job
-- ARGV now, limit
-- Objects past TaskAvailabilityLifetimeInSeconds (or of a stopped job) leave the queue: with answers
-- they go to consolidation, without any they fail (or, when the job was stopped, stay unlabelled).
-- Escalation (the job names an escalation workteam, it runs, the object is out with fewer answers than
-- it needs, is not deciding and was never escalated): the object is not closed but handed to the
-- escalation team as a second stage. It then needs its answers + 1, its one assignment waits on the
-- escalation queue, and its lifetime starts again from now (the job's TaskAvailabilityLifetimeInSeconds);
-- first-stage leases still held become stale (lib_job stale_lease). When the second stage's lifetime
-- ends the object closes as above. Returns {due, to consolidate, ready to finish, escalated}.
local now = tonumber(ARGV[1])
reap(now, tonumber(ARGV[2]))
local status = redis.call('HGET', JOB, 'status')
local stopping = status == 'Stopping'
local escalate = status == 'InProgress' and redis.call('HGET', JOB, 'escalation_team')
local lifetime_ms = num('lifetime') * 1000
local due = redis.call('ZRANGEBYSCORE', EXPIRY, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local consolidate, handed = 0, 0
for _, id in ipairs(due) do
  local answers = answer_count(id)
  if escalate and lifetime_ms > 0 and redis.call('HGET', LEFT, id) and not redis.call('ZSCORE', ANSWERED, id)
      and not escalated(id) and answers < need(id) then
    redis.call('HSET', NEED, id, answers + 1)
    redis.call('HSET', LEFT, id, 1)
    redis.call('ZREM', QUEUE, id)
    redis.call('ZADD', ESCQ, 0, id)
    redis.call('HSET', STAGE, id, 'expired|' .. answers)
    redis.call('ZADD', EXPIRY, now + lifetime_ms, id)
    handed = handed + 1
  else
    retire(id, now)
    if answers > 0 then
      redis.call('ZADD', ANSWERED, now, id)
      consolidate = consolidate + 1
    else
      redis.call('HDEL', STAGE, id)
      if not stopping then
        redis.call('HSET', RESULTS, id, '!The task availability lifetime ended before any worker answered')
        redis.call('HINCRBY', JOB, 'failed', 1)
      end
    end
  end
end
release(now)
local finish = ready_to_finish() and 1 or 0
return {#due, consolidate, finish, handed}
