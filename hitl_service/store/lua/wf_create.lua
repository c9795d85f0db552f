-- KEYS[1] workforce hash, KEYS[2] workforce index
-- ARGV name, created_ms, doc (JSON, secrets already encrypted), max_workforces
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 'limit' end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'created_ms', ARGV[2], 'updated_ms', ARGV[2], 'doc', ARGV[3])
redis.call('ZADD', KEYS[2], 0, string.format('%013d', tonumber(ARGV[2])) .. ':' .. ARGV[1])
return 'created'
