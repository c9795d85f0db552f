-- KEYS[1] workforce hash, KEYS[2] workforce index
-- ARGV name
local created = redis.call('HGET', KEYS[1], 'created_ms')
if not created then return 'missing' end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], string.format('%013d', tonumber(created)) .. ':' .. ARGV[1])
return 'deleted'
