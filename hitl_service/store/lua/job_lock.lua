-- use: lib_job
-- ARGV token, ttl_ms, action ('take', 'renew' or 'drop')
-- The job's work lock: one worker at a time ingests, expires, consolidates and finishes a job.
local action = ARGV[3]
if action == 'take' then
  return redis.call('SET', LOCK, ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) and 1 or 0
end
if redis.call('GET', LOCK) ~= ARGV[1] then return 0 end
if action == 'renew' then
  redis.call('PEXPIRE', LOCK, tonumber(ARGV[2]))
else
  redis.call('DEL', LOCK)
end
return 1
