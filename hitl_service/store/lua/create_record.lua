-- Create a resource record (task UI, workteam) unless one exists.
-- KEYS[1] record; ARGV field/value pairs
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 'created'
