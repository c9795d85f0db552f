-- use: lib_job
-- ARGV now, limit
-- Objects past TaskAvailabilityLifetimeInSeconds (or of a stopped job) leave the queue: with answers
-- they go to consolidation, without any they fail (or, when the job was stopped, stay unlabelled).
local now = tonumber(ARGV[1])
reap(now, tonumber(ARGV[2]))
local stopping = redis.call('HGET', JOB, 'status') == 'Stopping'
local due = redis.call('ZRANGEBYSCORE', EXPIRY, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local consolidate = 0
for _, id in ipairs(due) do
  retire(id, now)
  if answer_count(id) > 0 then
    redis.call('ZADD', ANSWERED, now, id)
    consolidate = consolidate + 1
  elseif not stopping then
    redis.call('HSET', RESULTS, id, '!The task availability lifetime ended before any worker answered')
    redis.call('HINCRBY', JOB, 'failed', 1)
  end
end
release(now)
local finish = ready_to_finish() and 1 or 0
return {#due, consolidate, finish}
