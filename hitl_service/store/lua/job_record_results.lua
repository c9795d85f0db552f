-- use: lib_job
-- ARGV now, then (id, result) pairs; a result starting with '!' is a failure reason
-- Record consolidated objects once (a repeated batch changes nothing) and drop their answers.
local now = tonumber(ARGV[1])
local done = 0
for i = 2, #ARGV, 2 do
  local id, result = ARGV[i], ARGV[i + 1]
  if redis.call('HEXISTS', LEFT, id) == 1 then
    -- still out (adaptive overlap gave it one more reviewer): its answers stay, nothing is recorded
  elseif redis.call('HEXISTS', RESULTS, id) == 0 and redis.call('ZSCORE', ANSWERED, id) then
    redis.call('HSET', RESULTS, id, result)
    if num('initial_workers') > 0 then
      -- adaptive overlap: how many answers each recorded object used (the job's overlap report)
      redis.call('HINCRBY', JOB, 'used:' .. answer_count(id), 1)
      -- escalated when its lifetime ended, and the escalation answer is in (the overlap report)
      local stage = redis.call('HGET', STAGE, id)
      if stage then
        local reason, first = string.match(stage, '^([^|]*)|(%d+)')
        if reason == 'expired' and answer_count(id) > tonumber(first) then
          redis.call('HINCRBY', JOB, 'escalated:expired', 1)
        end
      end
    end
    if string.sub(result, 1, 1) == '!' then
      redis.call('HINCRBY', JOB, 'failed', 1)
    else
      redis.call('HINCRBY', JOB, 'human_labeled', 1)
    end
    done = done + 1
  end
  if redis.call('HEXISTS', LEFT, id) == 0 then
    redis.call('ZREM', ANSWERED, id)
    redis.call('HDEL', ANSWERS, id)
    redis.call('HDEL', WORKERS, id)
    -- the line is read again from the manifest when the output is assembled
    redis.call('HDEL', LINES, id)
    redis.call('HDEL', INPUTS, id)
    redis.call('HDEL', STAGE, id)
  end
end
if done > 0 then redis.call('HSET', JOB, 'modified_ms', now) end
release(now)
if ready_to_finish() then return {done, 1} end
return {done, 0}
