-- Shared by the lease scripts (after lib_items). KEYS[10..17]: the lease, its "ended" marker, the
-- work item the lease is on, the item's answers, the holder's lease set, the item's workers, and the
-- holder's worked-on and handed-back sets in this team.
local LEASE, LEASE_ENDED, ITEM, ANSWERS, WORKER_LEASES, WORKERS = KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]
local WORKED, RELEASED = KEYS[16], KEYS[17]
local LEASE_ENDED_TTL_MS = 86400000
-- the handed-back set is a preference, not a rule: bounded, and it lapses when the holder goes quiet
local RELEASED_MAX = 256
local RELEASED_TTL_MS = 31 * 86400000

-- a lease belongs to the item it was claimed from, not to a later item that reuses the name after
-- a delete
local function same_item(lease_item_created, item_created)
  return (not lease_item_created) or lease_item_created == item_created
end

-- a lease on the escalation stage (the escalation-workteam tag): its token is '<team>.esc.<escalation team>.<random>'
local function escalation_lease(lease_id)
  return string.match(lease_id, '^[^.]*%.esc%.') ~= nil
end

-- a first-stage lease still held on an item that went to its escalation team since (its lifetime ended):
-- it takes no answer, and its assignment is not given back to the first team
local function stale_lease(lease_id, stage)
  return stage == 'escalation' and not escalation_lease(lease_id)
end

local function drop_lease(lease_id)
  redis.call('DEL', LEASE)
  redis.call('ZREM', LEASES, lease_id)
  redis.call('SREM', WORKER_LEASES, lease_id)
end

-- a lease ends without an answer (expired or released): its assignment goes back to the queue.
-- Giving a task back is not answering it, so the holder may take it again; claim_pick offers it to
-- them only when nothing new to them is waiting, so that another reviewer gets the first chance.
-- Returns the member to finalize ('' when none).
local function give_back_lease(lease_id, now)
  local l = redis.call('HMGET', LEASE, 'item', 'worker', 'item_created')
  drop_lease(lease_id)
  if not l[1] then return '' end
  local s = redis.call('HMGET', ITEM, 'status', 'target', 'created_ms', 'stage')
  if not s[1] or not same_item(l[3], s[3]) then return '' end
  local leases = redis.call('HINCRBY', ITEM, 'leases', -1)
  redis.call('SREM', WORKED, l[1])
  if s[2] ~= '' then return '' end
  if s[1] == 'InProgress' and stale_lease(lease_id, s[4]) then return '' end
  if s[1] == 'InProgress' then
    redis.call('HINCRBY', ITEM, 'queued', 1)
    redis.call('ZADD', QUEUE, s[3], l[1])
    redis.call('HINCRBY', STATS, 'queued', 1)
    -- (an escalation lease's QUEUE is the escalation queue)
    if escalation_lease(lease_id) then count_escalation(ITEM, 1) end
    -- scored like the queue entry, so a later item reusing the name is not taken for this one
    redis.call('ZADD', RELEASED, s[3], l[1])
    redis.call('ZREMRANGEBYRANK', RELEASED, 0, -(RELEASED_MAX + 1))
    redis.call('PEXPIRE', RELEASED, RELEASED_TTL_MS)
  elseif s[1] == 'Stopping' and leases <= 0 then
    if close_item(ITEM, l[1], 'Stopped', '', '', now) == 'finalize' then return l[1] end
  end
  return ''
end

-- a lease ran out without a heartbeat: give its assignment back, count it, and leave a marker so
-- the former holder is told why the lease is gone (rather than a bare "not leased to you")
local function expire_lease(lease_id, now)
  redis.call('SET', LEASE_ENDED, 'expired', 'PX', LEASE_ENDED_TTL_MS)
  redis.call('HINCRBY', STATS, 'lease_expiries', 1)
  return give_back_lease(lease_id, now)
end

-- the status a lease holder should be told about: where a closing item is going, else where it is
local function shown_status(s)
  if s[2] and s[2] ~= '' then return s[2] end
  return s[1] or ''
end

-- the lease as the caller read it before the call: nil when it is gone or not on ARGV's item
local function live_lease(member)
  local l = redis.call('HMGET', LEASE, 'item', 'worker', 'expires_ms', 'deadline_ms', 'item_created', 'accepted_ms')
  if not l[1] or l[1] ~= member then return nil end
  return l
end
