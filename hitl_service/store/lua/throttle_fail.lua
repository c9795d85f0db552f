-- One more failed sign-in for a subject (an account or an address). From the limit on, each failure
-- locks the subject out for a period that doubles with every further failure, up to a cap; the
-- counter forgets everything once a whole window passes without failures.
-- KEYS[1] the subject's failure hash
-- ARGV now_ms, limit, base_lock_ms, max_lock_ms, window_ms
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local lock = 0
if failures >= limit then
  lock = math.floor(math.min(tonumber(ARGV[3]) * 2 ^ (failures - limit), tonumber(ARGV[4])))
  redis.call('HSET', KEYS[1], 'locked_until', now + lock)
end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[5]), lock))
return {failures, lock}
