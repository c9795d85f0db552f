-- Create a flow definition in its team's slot.
-- KEYS[1] team, KEYS[2] team's flows, KEYS[3] flow; ARGV name, then field/value pairs
if redis.call('EXISTS', KEYS[3]) == 1 then return 'exists' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'noteam' end
local fields = {}
for i = 2, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', KEYS[3], unpack(fields))
redis.call('SADD', KEYS[2], ARGV[1])
return 'created'
