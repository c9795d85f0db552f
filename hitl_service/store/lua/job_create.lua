-- KEYS[1] job record; KEYS[2] jobs outbox
-- ARGV now, then field/value pairs of the record
-- Create a labeling job (Initializing) unless the name is taken; queue its ingestion in the outbox.
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
local fields = {}
for i = 2, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]), redis.call('HGET', KEYS[1], 'name'))
return 'created'
