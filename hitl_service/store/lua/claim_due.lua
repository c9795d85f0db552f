-- Hand out the entries of an outbox that are due, and push them out in the same step so that two
-- sweeps (or a sweep and the task enqueued with the entry) never take the same entry at once; an
-- entry whose handler dies is due again later.
-- KEYS[1] outbox; ARGV due_at_or_before, new score, limit
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[2]), m) end
return due
