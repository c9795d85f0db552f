-- KEYS[1] job record; KEYS[2] jobs outbox
-- ARGV now
-- Ask a job to stop: an Initializing or InProgress job becomes Stopping and its worker is woken to
-- withdraw queued objects and write what was labelled; any other status is reported back.
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return {'missing', ''} end
if s ~= 'Initializing' and s ~= 'InProgress' then return {'status', s} end
redis.call('HSET', KEYS[1], 'status', 'Stopping', 'modified_ms', ARGV[1])
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]), redis.call('HGET', KEYS[1], 'name'))
return {'stopping', s}
