-- Remove a retired flow from its team's slot.
-- KEYS[1] flow, KEYS[2] retire outbox, KEYS[3] team's flows, KEYS[4] the flow's loop index,
-- KEYS[5..7] its quality window, rows and summary
-- ARGV name, flow_id. Returns {outcome, ui, created_ms}.
local f = redis.call('HMGET', KEYS[1], 'status', 'id', 'created_ms', 'ui')
redis.call('ZREM', KEYS[2], ARGV[1] .. '|' .. ARGV[2])
if not f[1] or f[2] ~= ARGV[2] then return {'missing', '', ''} end
if f[1] ~= 'Deleting' then return {'active', '', ''} end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return {'deleted', f[4], f[3]}
