-- use: lib_items
-- A closed loop whose output.json can never be written (its input or answers cannot be serialized):
-- it becomes Failed with a code and reason instead of being retried forever; its event is queued.
-- KEYS[10] the loop, KEYS[11] the team's finalize attempt counts
-- ARGV member, failure code, failure reason, now (ms)
local ITEM, ATTEMPTS = KEYS[10], KEYS[11]
local member = ARGV[1]
redis.call('HDEL', ATTEMPTS, member)
local s = redis.call('HMGET', ITEM, 'status', 'target')
if not s[1] then return 'missing' end
if not s[2] or s[2] == '' then return 'open' end
if s[1] == s[2] then return 'terminal' end
redis.call('HSET', ITEM, 'target', 'Failed', 'failure_code', ARGV[2], 'failure_reason', ARGV[3])
finish_item(ITEM, member, 'Failed', tonumber(ARGV[4]), '')
return 'failed'
