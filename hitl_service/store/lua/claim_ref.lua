-- Reserve a name for a team's slot (which slot holds the loop or flow called so). Idempotent: the
-- reservation is granted when the name is free, already the caller's, or held for a slot where the
-- caller found no record (ARGV[2], the value it read).
-- KEYS[1] reference; ARGV team, stale value ('' if none). Returns the value now stored.
local cur = redis.call('GET', KEYS[1])
if not cur or cur == ARGV[1] or (ARGV[2] ~= '' and cur == ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return cur
