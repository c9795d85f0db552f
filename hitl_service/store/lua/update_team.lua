-- Replace a workteam's document and member groups; returns the groups it had (JSON), or false.
-- KEYS[1] team; ARGV doc, groups_json, updated_ms
local old = redis.call('HGET', KEYS[1], 'groups')
if not old then return false end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'groups', ARGV[2], 'updated_ms', ARGV[3])
return old
