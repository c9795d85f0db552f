-- Shared by every script that changes work items. KEYS[1..9] are the team keys (keys.team_keys):
-- the queue, the team's counters, the expiry index, the lease index, the route outbox, the finalize
-- outbox and its pending-since index for the item's kind, the event outbox and the route wake flag.
local QUEUE, STATS, EXPIRY, LEASES = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local OUT_ROUTE, OUT_FINALIZE, PENDING_SINCE = KEYS[5], KEYS[6], KEYS[7]
local OUT_EVENTS, ROUTE_AWAKE = KEYS[8], KEYS[9]

-- counters are per kind and status, e.g. 'loop:InProgress'
local function set_status(ik, old, new)
  local kind = redis.call('HGET', ik, 'kind') or 'loop'
  redis.call('HSET', ik, 'status', new)
  redis.call('HINCRBY', STATS, kind .. ':' .. old, -1)
  redis.call('HINCRBY', STATS, kind .. ':' .. new, 1)
end

-- put a stored item's assignments on the queue, once (the `routed` flag): task_count of them, or
-- `required` (the first reviewers) when its flow uses adaptive overlap
local function route_one(ik, member)
  local l = redis.call('HMGET', ik, 'status', 'target', 'routed', 'task_count', 'created_ms', 'required')
  redis.call('ZREM', OUT_ROUTE, member)
  if not l[1] then return 'missing' end
  if l[3] == '1' then return 'already' end
  redis.call('HSET', ik, 'routed', 1)
  if l[1] ~= 'InProgress' or l[2] ~= '' then return 'closed' end
  local n = l[6] or l[4]
  redis.call('ZADD', QUEUE, l[5], member)
  redis.call('HSET', ik, 'queued', n)
  redis.call('HINCRBY', STATS, 'queued', tonumber(n))
  return 'routed'
end

-- an escalated loop's assignment entered (+1) or left (-1) the team's escalation queue: the team's
-- counters keep how many wait for each escalation workteam, so that the review pages count them under
-- that team (QueueStore.overview), not under this one. Never below 0: a loop escalated before the
-- counters existed was never counted in.
local function count_escalation(ik, delta)
  local to = redis.call('HGET', ik, 'escalation_team')
  if not to or to == '' then return end
  for _, field in ipairs({'escalation_queued', 'escalation_queued:' .. to}) do
    if delta > 0 or tonumber(redis.call('HGET', STATS, field) or '0') > 0 then
      redis.call('HINCRBY', STATS, field, delta)
    end
  end
end

-- take an escalated loop's assignment off the team's escalation queue (a stop, the lifetime's end)
local function withdraw_escalation(escq, ik, member)
  if redis.call('ZREM', escq, member) == 1 then count_escalation(ik, -1) end
end

-- take every queued assignment of an item off the queue
local function withdraw_queued(ik, member)
  local queued = tonumber(redis.call('HGET', ik, 'queued') or '0')
  if queued > 0 then
    redis.call('ZREM', QUEUE, member)
    redis.call('HINCRBY', STATS, 'queued', -queued)
    redis.call('HSET', ik, 'queued', 0)
  end
end

-- the item reaches a terminal status: from now on it is visible as such
local function finish_item(ik, member, status, now, output_uri)
  local old = redis.call('HGET', ik, 'status')
  if old ~= status then set_status(ik, old, status) end
  redis.call('HSET', ik, 'finished_ms', now, 'target', status)
  if output_uri ~= '' then redis.call('HSET', ik, 'output_uri', output_uri) end
  redis.call('ZREM', OUT_FINALIZE, member)
  redis.call('ZREM', PENDING_SINCE, member)
  redis.call('ZREM', EXPIRY, member)
  if (redis.call('HGET', ik, 'kind') or 'loop') == 'loop' then redis.call('ZADD', OUT_EVENTS, now, member) end
end

-- no more work will be accepted for the item. A loop without answers has no output to write, so it
-- is terminal at once; otherwise the item waits in its kind's finalize outbox for its producer.
local function close_item(ik, member, target, code, reason, now)
  withdraw_queued(ik, member)
  redis.call('HSET', ik, 'target', target, 'failure_code', code, 'failure_reason', reason)
  redis.call('ZREM', EXPIRY, member)
  local answers = tonumber(redis.call('HGET', ik, 'answers') or '0')
  if answers == 0 and (redis.call('HGET', ik, 'kind') or 'loop') == 'loop' then
    finish_item(ik, member, target, now, '')
    return 'finished'
  end
  redis.call('ZADD', OUT_FINALIZE, now, member)
  redis.call('ZADD', PENDING_SINCE, 'NX', now, member)
  return 'finalize'
end
