-- KEYS window (zset: object id by time), rows (hash: object id -> its answers)
-- ARGV cap, now_ms, then (object id, answers) pairs
-- Adds a consolidated batch to a job's quality window: an object enters once (a batch consolidated
-- twice adds nothing), and beyond the cap the oldest objects leave, so the window stays bounded.
local added = 0
for i = 3, #ARGV, 2 do
  if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    added = added + 1
  end
end
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
while extra > 0 do
  local n = math.min(extra, 500)
  local old = redis.call('ZRANGE', KEYS[1], 0, n - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - 1)
  redis.call('HDEL', KEYS[2], unpack(old))
  extra = extra - n
end
return added
