-- Read only. The oldest item of a team's queue that the worker has not worked on yet, and whether
-- leases of the team are overdue (the caller reaps them first).
-- KEYS[1] queue, KEYS[2] cursors, KEYS[3] the worker's worked-on set in this team, KEYS[4] lease index,
-- KEYS[5] the items the worker handed back (released, or their lease ran out) in this team
-- ARGV worker, max_scan, now. Returns {member or '', its queue score, overdue leases?, handed back? 1/0}
-- Items a reviewer did work on stay queued until others take their remaining assignments, so a fast
-- reviewer can be far ahead of the queue's head. The cursor is the highest queue score the worker
-- claimed: every item scored above it is new to them, so the search is the head of the queue (older
-- items handed back by others) then the entries from the cursor on, each at most max_scan entries.
-- An item the worker handed back is skipped there and offered to them last, when nothing else is
-- waiting for them: a released task goes to someone else first but is never stranded.
local QUEUE, CURSORS, WORKED, LEASES, RELEASED = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local worker, max_scan, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local function handed_back(member, raw)
  local score = redis.call('ZSCORE', RELEASED, member)
  return score and tonumber(score) == tonumber(raw)
end

local function first_fresh(fetch)
  for offset = 0, max_scan - 1, 32 do
    local count = math.min(32, max_scan - offset)
    local entries = fetch(offset, count)
    for i = 1, #entries, 2 do
      if redis.call('SISMEMBER', WORKED, entries[i]) == 0 and not handed_back(entries[i], entries[i + 1]) then
        return entries[i], entries[i + 1]
      end
    end
    if #entries < 2 * count then return end
  end
end

-- the oldest handed-back item still queued under the same score (the set is bounded: RELEASED_MAX)
local function first_handed_back()
  local entries = redis.call('ZRANGE', RELEASED, 0, max_scan - 1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    local queued = redis.call('ZSCORE', QUEUE, entries[i])
    if queued and tonumber(queued) == tonumber(entries[i + 1])
        and redis.call('SISMEMBER', WORKED, entries[i]) == 0 then
      return entries[i], queued
    end
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
local back = 0
if not member then
  member, raw = first_handed_back()
  if member then back = 1 end
end
return {member or '', raw or '', overdue, back}
