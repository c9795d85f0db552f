-- Mark an Active flow Deleting and put it in the team's retire outbox (a lost retire message is
-- sent again by the sweep). The team and UI stay referenced until the flow is retired: Stopping
-- loops still render the UI.
-- KEYS[1] flow, KEYS[2] retire outbox; ARGV name, now. Returns {outcome, status or flow id}.
local f = redis.call('HMGET', KEYS[1], 'status', 'id')
if not f[1] then return {'missing', ''} end
if f[1] ~= 'Active' then return {'inuse', f[1]} end
redis.call('HSET', KEYS[1], 'status', 'Deleting')
redis.call('ZADD', KEYS[2], tonumber(ARGV[2]), ARGV[1] .. '|' .. f[2])
return {'deleted', f[2]}
