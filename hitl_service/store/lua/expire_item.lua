-- use: lib_items
-- An item whose availability lifetime passed (the caller found it due in the expiry index).
-- KEYS[10] item, KEYS[11] the team's escalation queue (an escalated loop's assignment waits there);
-- ARGV member, now, failure reason. Returns the close outcome ('' when nothing changed).
-- The lifetime's end does not escalate: the item closes with the answers it has
-- (docs/verify-adjust-autolabel.md, "Escalation").
local ITEM = KEYS[10]
local member, now = ARGV[1], tonumber(ARGV[2])
redis.call('ZREM', EXPIRY, member)
redis.call('ZREM', KEYS[11], member)
local s = redis.call('HMGET', ITEM, 'status', 'target')
if not s[1] or s[2] ~= '' then return '' end
if s[1] == 'Stopping' then return close_item(ITEM, member, 'Stopped', '', '', now) end
if s[1] == 'InProgress' then return close_item(ITEM, member, 'Failed', 'Expired', ARGV[3], now) end
return ''
