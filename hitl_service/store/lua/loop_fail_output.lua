-- A closing loop whose output.json can never be written (its input or answers cannot be serialized):
-- it becomes Failed with a code and reason instead of being retried forever.
-- KEYS[1] loop hash, KEYS[2] finalize outbox, KEYS[3] finalize pending-since, KEYS[4] expiry index,
-- KEYS[5] events outbox, KEYS[6] loop counts by status
-- ARGV name, failure code, failure reason, now (ms)
local s = redis.call('HMGET', KEYS[1], 'status', 'target')
if not s[1] then return 'missing' end
if not s[2] or s[2] == '' then return 'open' end
if s[1] == 'Completed' or s[1] == 'Failed' or s[1] == 'Stopped' then return 'terminal' end
redis.call('HINCRBY', KEYS[6], s[1], -1)
redis.call('HINCRBY', KEYS[6], 'Failed', 1)
redis.call('HSET', KEYS[1], 'status', 'Failed', 'target', 'Failed', 'failure_code', ARGV[2],
           'failure_reason', ARGV[3], 'finished_ms', ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[5], tonumber(ARGV[4]), ARGV[1])
return 'failed'
