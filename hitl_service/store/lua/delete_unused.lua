-- Delete a resource record (task UI, workteam) that no flow uses.
-- KEYS[1] record, KEYS[2] the set of flows using it. Returns {outcome, groups json or ''}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
if redis.call('SCARD', KEYS[2]) > 0 then return {'inuse', ''} end
local groups = redis.call('HGET', KEYS[1], 'groups') or ''
redis.call('DEL', KEYS[1], KEYS[2])
return {'deleted', groups}
