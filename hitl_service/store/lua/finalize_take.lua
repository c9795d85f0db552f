-- use: lib_items
-- The finalize drain takes up to ARGV[2] closed loops from the finalize outbox that have never failed
-- a write (a failed one waits out its backoff for the sweep). Scores are not compared with now: an
-- entry scored by a closing process whose clock runs ahead must not be left behind a lowered flag.
-- Taken entries get the current score, so the sweep hands them out again only if this drain dies
-- before finishing them.
-- When no such entry is left the wake flag comes down in the same step, so the next closing loop
-- asks for a new drain.
-- KEYS[10] the team's finalize attempt counts, KEYS[11] the finalize wake flag;
-- ARGV now, limit, how many entries to look at at most
local ATTEMPTS, AWAKE = KEYS[10], KEYS[11]
local now, limit, scan = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local head = redis.call('ZRANGE', OUT_FINALIZE, 0, scan - 1)
local out = {}
for _, m in ipairs(head) do
  if redis.call('HEXISTS', ATTEMPTS, m) == 0 then
    redis.call('ZADD', OUT_FINALIZE, 'XX', now, m)
    table.insert(out, m)
    if #out >= limit then break end
  end
end
if #out == 0 and #head < scan then redis.call('DEL', AWAKE) end
return out
