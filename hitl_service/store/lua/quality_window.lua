-- KEYS window (zset: member by time), rows (hash: member -> its answers)[, dirty (set)]
-- ARGV cap, now_ms, dirty member ('' when KEYS[3] is absent), then (member, answers) pairs
-- Adds consolidated objects (a labeling job's) or completed loops (a flow's) to a quality window: a
-- member enters once (a batch or loop recorded twice adds nothing), and beyond the cap the oldest
-- members leave, so the window stays bounded. When something was added, the dirty set gets the
-- dirty member, so the summary is rebuilt later, off the finishing path.
local added = 0
for i = 4, #ARGV, 2 do
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
if added > 0 and KEYS[3] then redis.call('SADD', KEYS[3], ARGV[3]) end
return added
