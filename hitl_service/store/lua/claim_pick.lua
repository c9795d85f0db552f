-- Read only. The oldest item of a team's queue that the worker has not worked on yet, and whether
-- leases of the team are overdue (the caller reaps them first).
-- KEYS[1] queue, KEYS[2] cursors, KEYS[3] the worker's worked-on set in this team, KEYS[4] lease index
-- ARGV worker, max_scan, now
-- Items a reviewer did work on stay queued until others take their remaining assignments, so a fast
-- reviewer can be far ahead of the queue's head. The cursor is the highest queue score the worker
-- claimed: every item scored above it is new to them, so the search is the head of the queue (older
-- items handed back by others) then the entries from the cursor on, each at most max_scan entries.
local QUEUE, CURSORS, WORKED, LEASES = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local worker, max_scan, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local function first_fresh(fetch)
  for offset = 0, max_scan - 1, 32 do
    local count = math.min(32, max_scan - offset)
    local entries = fetch(offset, count)
    for i = 1, #entries, 2 do
      if redis.call('SISMEMBER', WORKED, entries[i]) == 0 then return entries[i], entries[i + 1] end
    end
    if #entries < 2 * count then return end
  end
end

local overdue = #redis.call('ZRANGEBYSCORE', LEASES, '-inf', now - 1, 'LIMIT', 0, 1)
local member, raw = first_fresh(function(offset, count)
  return redis.call('ZRANGE', QUEUE, offset, offset + count - 1, 'WITHSCORES')
end)
if not member then
  local cursor = redis.call('HGET', CURSORS, worker)
  if cursor then
    member, raw = first_fresh(function(offset, count)
      return redis.call('ZRANGEBYSCORE', QUEUE, cursor, '+inf', 'WITHSCORES', 'LIMIT', offset, count)
    end)
  end
end
return {member or '', raw or '', overdue}
