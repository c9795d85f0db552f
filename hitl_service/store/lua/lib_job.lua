-- Shared prelude of the job_*.lua scripts (each one includes this file first). Every job script gets the
-- same KEYS, all of one job ({job:<name>} hash tag), in the order of keys.job_keys():
local JOB, PENDING, QUEUE, LEFT, WORKERS, ANSWERS, ANSWERED, RESULTS, EXPIRY, LEASES, LEASEINFO, LINES, INPUTS, LOCK =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13],
  KEYS[14]
local NEED = KEYS[15]
-- escalation (the escalation-workteam tag): objects whose last assignment is for the escalation team,
-- and per object handed to it '<reason>|<first-stage answers>' (reason 'low-confidence' or 'expired')
local ESCQ, STAGE = KEYS[16], KEYS[17]

local function num(field) return tonumber(redis.call('HGET', JOB, field) or '0') or 0 end

-- answers an object starts needing: the initial workers tag with adaptive overlap, else all of them
local function initial_need()
  local k = num('initial_workers')
  if k > 0 then return k end
  return num('workers_per_object')
end

-- answers the object needs now (adaptive overlap raises it one at a time, job_decide.lua)
local function need(id)
  local n = redis.call('HGET', NEED, id)
  if n then return tonumber(n) end
  return initial_need()
end

-- how many objects may be released in all: the stopping conditions as a cap (0: no cap)
local function release_cap()
  local cap = num('max_labeled')
  local pct = num('max_percent')
  if pct > 0 then
    local by_pct = math.floor(num('total') * pct / 100)
    if by_pct < 1 then by_pct = 1 end
    if cap == 0 or by_pct < cap then cap = by_pct end
  end
  return cap
end

-- keep MaxConcurrentTaskCount objects out: each finished object lets the next pending one out (O(1))
local function release(now)
  if redis.call('HGET', JOB, 'status') ~= 'InProgress' then return 0 end
  local out, limit = num('out'), num('max_concurrent')
  local cap, released = release_cap(), num('released')
  local n = initial_need()
  local lifetime_ms = num('lifetime') * 1000
  local moved = 0
  while out < limit and (cap == 0 or released < cap) do
    local id = redis.call('LPOP', PENDING)
    if not id then break end
    redis.call('HSET', LEFT, id, n)
    redis.call('ZADD', QUEUE, redis.call('HINCRBY', JOB, 'seq', 1), id)
    redis.call('ZADD', EXPIRY, now + lifetime_ms, id)
    out = out + 1
    released = released + 1
    moved = moved + 1
  end
  if moved > 0 then redis.call('HSET', JOB, 'out', out, 'released', released) end
  return moved
end

-- an object handed to the escalation team (its last answer is the escalation reviewer's). One escalated
-- before the stage hash existed needs one answer more than the maximum.
local function escalated(id)
  return redis.call('HEXISTS', STAGE, id) == 1 or need(id) > num('workers_per_object')
end

-- a lease taken from the first team's queue on an object whose lifetime ended while it was held, so
-- that the object went to the escalation team: its answer is refused and its assignment is not given
-- back (escalation leases carry a trailing '|e' in their info)
local function stale_lease(id, info)
  return redis.call('HEXISTS', STAGE, id) == 1 and string.sub(info, -2) ~= '|e'
end

-- the object is no longer out: all answers are in, it expired, or the job stopped
local function retire(id, now)
  redis.call('HDEL', LEFT, id)
  redis.call('HDEL', NEED, id)
  redis.call('ZREM', QUEUE, id)
  redis.call('ZREM', ESCQ, id)
  redis.call('ZREM', EXPIRY, id)
  redis.call('HINCRBY', JOB, 'out', -1)
end

local function has_worker(id, worker)
  local list = redis.call('HGET', WORKERS, id) or ''
  return string.find(',' .. list .. ',', ',' .. worker .. ',', 1, true) ~= nil
end

local function answer_count(id)
  local a = redis.call('HGET', ANSWERS, id)
  if not a then return 0 end
  return #cjson.decode(a)
end

-- a lease ends without an answer: its assignment goes back on the queue if the object is still out
local function give_back(lease_id)
  local info = redis.call('HGET', LEASEINFO, lease_id)
  redis.call('HDEL', LEASEINFO, lease_id)
  redis.call('ZREM', LEASES, lease_id)
  if not info then return end
  local id = string.match(info, '^([^|]*)|')
  local left = redis.call('HGET', LEFT, id)
  if left and redis.call('HGET', JOB, 'status') == 'InProgress' and not stale_lease(id, info) then
    redis.call('HINCRBY', LEFT, id, 1)
    redis.call('ZADD', escalated(id) and ESCQ or QUEUE, 'NX', 0, id)
  end
end

local function reap(now, limit)
  local due = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now - 1, 'LIMIT', 0, limit)
  for _, lease_id in ipairs(due) do give_back(lease_id) end
  return #due
end

-- the job has nothing left to do but write its output manifest
local function ready_to_finish()
  local s = redis.call('HGET', JOB, 'status')
  if s ~= 'InProgress' and s ~= 'Stopping' then return false end
  if num('out') > 0 or redis.call('ZCARD', ANSWERED) > 0 then return false end
  if s == 'Stopping' then return true end
  if num('ingest_done') ~= 1 then return false end
  if redis.call('LLEN', PENDING) == 0 then return true end
  -- a stopping condition capped the release: the rest stay unlabelled
  local cap = release_cap()
  return cap > 0 and num('released') >= cap
end
