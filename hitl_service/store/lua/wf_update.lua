-- KEYS[1] workforce hash
-- ARGV doc (JSON, secrets already encrypted), updated_ms, expected previous doc
-- compare-and-set on the document, so two concurrent updates never silently drop one another's change
local doc = redis.call('HGET', KEYS[1], 'doc')
if not doc then return 'missing' end
if doc ~= ARGV[3] then return 'changed' end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'updated_ms', ARGV[2])
return 'updated'
