-- use: lib_items
-- The producer finished a closed item (for a loop: output.json is written): make it terminal.
-- KEYS[10] item, KEYS[11] the team's finalize attempt counts; ARGV member, output_uri, now
local ITEM, ATTEMPTS = KEYS[10], KEYS[11]
local member = ARGV[1]
redis.call('HDEL', ATTEMPTS, member)
local s = redis.call('HMGET', ITEM, 'status', 'target')
if not s[1] then
  redis.call('ZREM', OUT_FINALIZE, member)
  redis.call('ZREM', PENDING_SINCE, member)
  return 'missing'
end
if s[2] == '' then return 'open' end
if s[1] == s[2] then
  redis.call('ZREM', OUT_FINALIZE, member)
  redis.call('ZREM', PENDING_SINCE, member)
  return 'already'
end
finish_item(ITEM, member, s[2], tonumber(ARGV[3]), ARGV[2])
return 'finished'
