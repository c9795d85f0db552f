"""Lua scripts: every multi-key change to a loop, a lease or a queue happens in exactly one of these.

Each script is named for what it does. They share a prelude of helpers so that the state rules
(withdrawing queued work, closing a loop, handing a lease back) are written once.
"""

from __future__ import annotations

import redis

PRELUDE = r"""
local P = 'hitl:'
local LEASES = P .. 'leases'
local EXPIRY = P .. 'expiry'
local OUTBOX_ROUTE = P .. 'outbox:route'
local OUTBOX_FINALIZE = P .. 'outbox:finalize'
local OUTBOX_EVENTS = P .. 'outbox:events'
-- when each loop waiting for its output.json started waiting (the outbox score moves with retries)
local PENDING_SINCE = P .. 'finalize:pending_since'
local LOOP_STATS = P .. 'stats:loops'
local QUEUE_DEPTH = P .. 'stats:queued'
local COUNTERS = P .. 'stats:counters'

local ROUTE_AWAKE = P .. 'route:awake'

local function loop_key(name) return P .. 'loop:' .. name end

-- put a stored loop's TaskCount assignments on its team's queue, once (the `routed` flag)
local function route_one(name)
  local lk = loop_key(name)
  local l = redis.call('HMGET', lk, 'status', 'target', 'routed', 'team', 'task_count', 'created_ms')
  redis.call('ZREM', OUTBOX_ROUTE, name)
  if not l[1] then return 'missing' end
  if l[3] == '1' then return 'already' end
  redis.call('HSET', lk, 'routed', 1)
  if l[1] ~= 'InProgress' or l[2] ~= '' then return 'closed' end
  redis.call('ZADD', P .. 'queue:' .. l[4], l[6], name)
  redis.call('HSET', lk, 'queued', l[5])
  redis.call('HINCRBY', QUEUE_DEPTH, l[4], tonumber(l[5]))
  return 'routed'
end

local function set_status(lk, old, new)
  redis.call('HSET', lk, 'status', new)
  redis.call('HINCRBY', LOOP_STATS, old, -1)
  redis.call('HINCRBY', LOOP_STATS, new, 1)
end

-- take every queued assignment of a loop off its team's queue
local function withdraw_queued(lk, name)
  local q = redis.call('HMGET', lk, 'queued', 'team')
  local queued = tonumber(q[1] or '0')
  if queued > 0 then
    redis.call('ZREM', P .. 'queue:' .. q[2], name)
    redis.call('HINCRBY', QUEUE_DEPTH, q[2], -queued)
    redis.call('HSET', lk, 'queued', 0)
  end
end

-- the loop reaches a terminal status: from now on it is visible as such
local function finish_loop(lk, name, status, now, output_uri)
  local old = redis.call('HGET', lk, 'status')
  if old ~= status then set_status(lk, old, status) end
  redis.call('HSET', lk, 'finished_ms', now, 'target', status)
  if output_uri ~= '' then redis.call('HSET', lk, 'output_uri', output_uri) end
  redis.call('ZREM', OUTBOX_FINALIZE, name)
  redis.call('ZREM', PENDING_SINCE, name)
  redis.call('ZREM', EXPIRY, name)
  redis.call('ZADD', OUTBOX_EVENTS, now, name)
end

-- no more work will be accepted for the loop. Without answers there is no output to write, so the
-- loop is terminal at once; with answers, finalize must write output.json before the status changes.
local function close_loop(lk, name, target, code, reason, now)
  withdraw_queued(lk, name)
  redis.call('HSET', lk, 'target', target, 'failure_code', code, 'failure_reason', reason)
  redis.call('ZREM', EXPIRY, name)
  local answers = tonumber(redis.call('HGET', lk, 'answers') or '0')
  if answers == 0 then
    finish_loop(lk, name, target, now, '')
    return 'finished'
  end
  redis.call('ZADD', OUTBOX_FINALIZE, now, name)
  redis.call('ZADD', PENDING_SINCE, 'NX', now, name)
  return 'finalize'
end

-- a lease belongs to the loop it was claimed from, not to a later loop that reuses the name after
-- DeleteHumanLoop (leases from before loop_created was recorded match any loop)
local function same_loop(lease_loop_created, loop_created_ms)
  return (not lease_loop_created) or lease_loop_created == loop_created_ms
end

-- a lease ends without an answer (expired or released): its assignment goes back to the queue
local function give_back_lease(lease_id, now)
  local lk = P .. 'lease:' .. lease_id
  local l = redis.call('HMGET', lk, 'loop', 'worker', 'loop_created')
  redis.call('DEL', lk)
  redis.call('ZREM', LEASES, lease_id)
  if not l[1] then return '' end
  redis.call('SREM', P .. 'worker:' .. l[2] .. ':leases', lease_id)
  local loopk = loop_key(l[1])
  local s = redis.call('HMGET', loopk, 'status', 'target', 'team', 'created_ms')
  if not s[1] or not same_loop(l[3], s[4]) then return '' end
  local leases = redis.call('HINCRBY', loopk, 'leases', -1)
  if s[2] ~= '' then return '' end
  if s[1] == 'InProgress' then
    redis.call('HINCRBY', loopk, 'queued', 1)
    redis.call('ZADD', P .. 'queue:' .. s[3], s[4], l[1])
    redis.call('HINCRBY', QUEUE_DEPTH, s[3], 1)
  elseif s[1] == 'Stopping' and leases <= 0 then
    if close_loop(loopk, l[1], 'Stopped', '', '', now) == 'finalize' then return l[1] end
  end
  return ''
end

-- a lease ran out without a heartbeat: give its assignment back, count it, and leave a marker so
-- the former holder is told why the lease is gone (rather than a bare "not leased to you")
local LEASE_ENDED_TTL_MS = 86400000
local function expire_lease(lease_id, now)
  redis.call('SET', P .. 'lease:' .. lease_id .. ':ended', 'expired', 'PX', LEASE_ENDED_TTL_MS)
  redis.call('HINCRBY', COUNTERS, 'lease_expiries', 1)
  return give_back_lease(lease_id, now)
end

-- the status a lease holder should be told about: where a closing loop is going, else where it is
local function shown_status(s)
  if s[2] and s[2] ~= '' then return s[2] end
  return s[1] or ''
end

local function reap_expired(now, limit)
  local due = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now - 1, 'LIMIT', 0, limit)
  local to_finalize = {}
  for _, lease_id in ipairs(due) do
    local f = expire_lease(lease_id, now)
    if f ~= '' then table.insert(to_finalize, f) end
  end
  return to_finalize
end
"""

START_HUMAN_LOOP = r"""
-- KEYS[1] loop, KEYS[2] flow
-- ARGV name, arn, input, input_sha, classifiers, now, activation, wake_ttl_ms, conditions_sha1
local f = redis.call('HMGET', KEYS[2], 'status', 'id', 'arn', 'team', 'task_count', 'time_limit',
                     'lifetime', 'name', 'output_path', 'ui', 'title', 'description', 'webhooks', 'conditions')
if not f[1] then return {'noflow'} end
if f[1] ~= 'Active' then return {'flowstatus', f[1]} end
-- a flow with activation conditions: the caller must have evaluated exactly these conditions
if f[14] and f[14] ~= '' and redis.sha1hex(f[14]) ~= ARGV[9] then return {'evaluate', f[14]} end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local e = redis.call('HMGET', KEYS[1], 'flow_id', 'input_sha', 'classifiers')
  if e[1] == f[2] and e[2] == ARGV[4] and e[3] == ARGV[5] then return {'exists', ARGV[2]} end
  return {'conflict'}
end
local name = ARGV[1]
local now = tonumber(ARGV[6])
-- the loop keeps only what is its own or must outlive the flow: its ARN and the flow's ARN follow
-- from the names, and title, description and task UI are read from the flow, which stays until its
-- last open loop is closed
redis.call('HSET', KEYS[1], 'status', 'InProgress', 'created_ms', now,
  'input', ARGV[3], 'input_sha', ARGV[4], 'classifiers', ARGV[5], 'activation', ARGV[7],
  'flow', f[8], 'flow_id', f[2], 'team', f[4],
  'task_count', f[5], 'time_limit', f[6], 'output_path', f[9], 'webhooks', f[13] or '[]',
  'answers', 0, 'leases', 0, 'queued', 0, 'routed', 0, 'target', '',
  'failure_code', '', 'failure_reason', '', 'output_uri', '')
redis.call('ZADD', P .. 'flowloops:' .. f[2], 0, string.format('%013d', now) .. ':' .. name)
redis.call('ZADD', EXPIRY, now + tonumber(f[7]) * 1000, name)
redis.call('ZADD', OUTBOX_ROUTE, now, name)
redis.call('HINCRBY', LOOP_STATS, 'InProgress', 1)
-- one drain task routes every loop that arrives while it runs: only the start that finds no drain
-- under way asks for one (the flag lapses on its own if that task is lost)
local wake = redis.call('SET', ROUTE_AWAKE, now, 'NX', 'PX', tonumber(ARGV[8]))
return {'created', ARGV[2], wake and 1 or 0}
"""

ENQUEUE_ASSIGNMENTS = r"""
-- ARGV name
return route_one(ARGV[1])
"""

ROUTE_PENDING_LOOPS = r"""
-- ARGV limit
-- route up to `limit` loops waiting in the route outbox; when the outbox is empty the wake flag is
-- cleared in the same step, so the next StartHumanLoop sends a new drain task
local names = redis.call('ZRANGE', OUTBOX_ROUTE, 0, tonumber(ARGV[1]) - 1)
local out = {}
for _, name in ipairs(names) do
  table.insert(out, name)
  table.insert(out, route_one(name))
end
if redis.call('ZCARD', OUTBOX_ROUTE) == 0 then redis.call('DEL', ROUTE_AWAKE) end
return out
"""

CLAIM_NEXT_ASSIGNMENT = r"""
-- KEYS queue keys of the reviewer's teams
-- ARGV worker, now, window_ms, lease_id, max_scan
-- The oldest loop of the reviewer's queues that the reviewer has not worked on yet. Loops they did
-- work on stay queued until others take their remaining assignments, so a fast reviewer can be far
-- ahead of the queue's head. Each (reviewer, team) keeps a cursor: the highest queue score it
-- claimed. Every loop scored above the cursor is new to the reviewer, so the search is the head of
-- the queue (older loops handed back by others) then the entries from the cursor on, each at most
-- max_scan entries: the cost does not depend on how long the queue is.
local worker = ARGV[1]
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local lease_id = ARGV[4]
local max_scan = tonumber(ARGV[5])
local cursors = P .. 'worker:' .. worker .. ':cursors'
local finalize = reap_expired(now, 20)

-- the first entry (name, score as Redis wrote it) the reviewer has not worked on, among the first
-- max_scan that fetch(offset, count) lists, read a few at a time
local function first_fresh(fetch)
  for offset = 0, max_scan - 1, 32 do
    local count = math.min(32, max_scan - offset)
    local entries = fetch(offset, count)
    for i = 1, #entries, 2 do
      if redis.call('SISMEMBER', P .. 'loop:' .. entries[i] .. ':workers', worker) == 0 then
        return entries[i], entries[i + 1]
      end
    end
    if #entries < 2 * count then return end
  end
end

local best, best_score, best_raw, best_q
for qi = 1, #KEYS do
  local q = KEYS[qi]
  local name, raw = first_fresh(function(offset, count)
    return redis.call('ZRANGE', q, offset, offset + count - 1, 'WITHSCORES')
  end)
  if not name then
    local cursor = redis.call('HGET', cursors, q)
    if cursor then
      name, raw = first_fresh(function(offset, count)
        return redis.call('ZRANGEBYSCORE', q, cursor, '+inf', 'WITHSCORES', 'LIMIT', offset, count)
      end)
    end
  end
  if name and (not best_score or tonumber(raw) < best_score) then
    best, best_score, best_raw, best_q = name, tonumber(raw), raw, q
  end
end
if not best then return {'empty', '', 0, 0, finalize} end
if best_score > tonumber(redis.call('HGET', cursors, best_q) or '-1') then
  redis.call('HSET', cursors, best_q, best_raw)
end
local lk = loop_key(best)
local s = redis.call('HMGET', lk, 'status', 'target', 'queued', 'team', 'time_limit', 'created_ms')
if s[1] ~= 'InProgress' or s[2] ~= '' or tonumber(s[3] or '0') <= 0 then
  -- should not happen (stop/expiry withdraw queued work); repair the queue and let the caller retry
  redis.call('ZREM', best_q, best)
  return {'retry', best, 0, 0, finalize}
end
local queued = redis.call('HINCRBY', lk, 'queued', -1)
if queued <= 0 then redis.call('ZREM', best_q, best) end
redis.call('HINCRBY', QUEUE_DEPTH, s[4], -1)
redis.call('HINCRBY', lk, 'leases', 1)
redis.call('SADD', P .. 'loop:' .. best .. ':workers', worker)
local deadline = now + tonumber(s[5]) * 1000
local expires = math.min(now + window, deadline)
redis.call('HSET', P .. 'lease:' .. lease_id, 'loop', best, 'worker', worker, 'team', s[4],
           'accepted_ms', now, 'deadline_ms', deadline, 'expires_ms', expires, 'loop_created', s[6])
redis.call('ZADD', LEASES, expires, lease_id)
redis.call('SADD', P .. 'worker:' .. worker .. ':leases', lease_id)
redis.call('HINCRBY', COUNTERS, 'claims', 1)
return {'claimed', best, expires, deadline, finalize}
"""

EXTEND_LEASE = r"""
-- ARGV lease_id, worker, now, window_ms
local lk = P .. 'lease:' .. ARGV[1]
local l = redis.call('HMGET', lk, 'worker', 'expires_ms', 'deadline_ms', 'loop', 'loop_created')
local now = tonumber(ARGV[3])
if not l[1] then return {'nolease'} end
if l[1] ~= ARGV[2] then return {'notyours'} end
if tonumber(l[2]) < now then
  local f = expire_lease(ARGV[1], now)
  return {'expired', '', f}
end
local s = redis.call('HMGET', loop_key(l[4]), 'status', 'target', 'created_ms')
if not s[1] or not same_loop(l[5], s[3]) then return {'closed', 'deleted'} end
if s[2] ~= '' or (s[1] ~= 'InProgress' and s[1] ~= 'Stopping') then return {'closed', shown_status(s)} end
local expires = math.min(now + tonumber(ARGV[4]), tonumber(l[3]))
redis.call('HSET', lk, 'expires_ms', expires)
redis.call('ZADD', LEASES, expires, ARGV[1])
return {'ok', expires, tonumber(l[3])}
"""

RELEASE_ASSIGNMENT = r"""
-- ARGV lease_id, worker, now
local now = tonumber(ARGV[3])
local l = redis.call('HMGET', P .. 'lease:' .. ARGV[1], 'worker', 'expires_ms')
if not l[1] then return {'nolease', ''} end
if l[1] ~= ARGV[2] then return {'notyours', ''} end
if tonumber(l[2]) < now then return {'expired', expire_lease(ARGV[1], now)} end
local f = give_back_lease(ARGV[1], now)
redis.call('HINCRBY', COUNTERS, 'releases', 1)
return {'released', f}
"""

SUBMIT_ANSWER = r"""
-- ARGV lease_id, worker, now, answer_json
local lease_id, worker, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local lk = P .. 'lease:' .. lease_id
local l = redis.call('HMGET', lk, 'loop', 'worker', 'expires_ms', 'loop_created')
if not l[1] then return {'nolease', ''} end
if l[2] ~= worker then return {'notyours', ''} end
if tonumber(l[3]) < now then
  return {'expired', '', expire_lease(lease_id, now)}
end
local loopk = loop_key(l[1])
local s = redis.call('HMGET', loopk, 'status', 'target', 'task_count', 'created_ms')
local current = s[1] and same_loop(l[4], s[4])
if not current or s[2] ~= '' or (s[1] ~= 'InProgress' and s[1] ~= 'Stopping') then
  redis.call('DEL', lk)
  redis.call('ZREM', LEASES, lease_id)
  redis.call('SREM', P .. 'worker:' .. worker .. ':leases', lease_id)
  if not current then return {'closed', 'deleted'} end
  redis.call('HINCRBY', loopk, 'leases', -1)
  return {'closed', shown_status(s)}
end
redis.call('RPUSH', P .. 'loop:' .. l[1] .. ':answers', ARGV[4])
local answers = redis.call('HINCRBY', loopk, 'answers', 1)
local leases = redis.call('HINCRBY', loopk, 'leases', -1)
redis.call('DEL', lk)
redis.call('ZREM', LEASES, lease_id)
redis.call('SREM', P .. 'worker:' .. worker .. ':leases', lease_id)
redis.call('HINCRBY', COUNTERS, 'submits', 1)
local outcome = ''
if s[1] == 'Stopping' then
  -- a stop was requested: the loop ends Stopped (with this answer in its output) once no lease is out
  if leases <= 0 then outcome = close_loop(loopk, l[1], 'Stopped', '', '', now) end
elseif answers >= tonumber(s[3]) then
  outcome = close_loop(loopk, l[1], 'Completed', '', '', now)
end
return {'submitted', l[1], outcome}
"""

REAP_EXPIRED_LEASES = r"""
-- ARGV now, limit
return reap_expired(tonumber(ARGV[1]), tonumber(ARGV[2]))
"""

EXPIRE_DUE_LOOPS = r"""
-- ARGV now, limit, reason
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', EXPIRY, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local to_finalize = {}
for _, name in ipairs(due) do
  redis.call('ZREM', EXPIRY, name)
  local lk = loop_key(name)
  local s = redis.call('HMGET', lk, 'status', 'target')
  if s[1] and s[2] == '' then
    local outcome
    if s[1] == 'Stopping' then
      outcome = close_loop(lk, name, 'Stopped', '', '', now)
    elseif s[1] == 'InProgress' then
      outcome = close_loop(lk, name, 'Failed', 'Expired', ARGV[3], now)
    end
    if outcome == 'finalize' then table.insert(to_finalize, name) end
  end
end
return to_finalize
"""

STOP_HUMAN_LOOP = r"""
-- ARGV name, now
local name, now = ARGV[1], tonumber(ARGV[2])
local lk = loop_key(name)
local s = redis.call('HMGET', lk, 'status', 'target', 'leases')
if not s[1] then return {'missing', ''} end
if s[2] ~= '' then
  if s[2] == 'Stopped' then return {'ok', s[1]} end
  return {'terminal', s[2]}
end
if s[1] == 'Stopping' or s[1] == 'Stopped' then return {'ok', s[1]} end
if s[1] ~= 'InProgress' then return {'terminal', s[1]} end
withdraw_queued(lk, name)
set_status(lk, 'InProgress', 'Stopping')
if tonumber(s[3] or '0') > 0 then return {'stopping', 'Stopping'} end
local outcome = close_loop(lk, name, 'Stopped', '', '', now)
return {outcome, redis.call('HGET', lk, 'status')}
"""

MARK_LOOP_FINISHED = r"""
-- ARGV name, output_uri, now
local lk = loop_key(ARGV[1])
local s = redis.call('HMGET', lk, 'status', 'target')
if not s[1] then return 'missing' end
if s[2] == '' then return 'open' end
if s[1] == s[2] then
  redis.call('ZREM', OUTBOX_FINALIZE, ARGV[1])
  redis.call('ZREM', PENDING_SINCE, ARGV[1])
  return 'already'
end
finish_loop(lk, ARGV[1], s[2], tonumber(ARGV[3]), ARGV[2])
return 'finished'
"""

DELETE_HUMAN_LOOP = r"""
-- ARGV name
local name = ARGV[1]
local lk = loop_key(name)
local s = redis.call('HMGET', lk, 'status', 'flow_id', 'created_ms')
if not s[1] then return {'missing', ''} end
if s[1] ~= 'Completed' and s[1] ~= 'Failed' and s[1] ~= 'Stopped' then return {'active', s[1]} end
if redis.call('ZSCORE', OUTBOX_EVENTS, name) then
  -- its status-change event is not delivered yet: keep what the event needs (not the input)
  local snap = P .. 'events:deleted:' .. name
  redis.call('DEL', snap)
  redis.call('HSET', snap, unpack(redis.call('HGETALL', lk)))
  redis.call('HDEL', snap, 'input')
end
redis.call('DEL', lk, P .. 'loop:' .. name .. ':answers', P .. 'loop:' .. name .. ':workers')
redis.call('ZREM', P .. 'flowloops:' .. s[2], string.format('%013d', tonumber(s[3])) .. ':' .. name)
redis.call('ZREM', OUTBOX_ROUTE, name)
redis.call('ZREM', OUTBOX_FINALIZE, name)
redis.call('ZREM', PENDING_SINCE, name)
redis.call('ZREM', EXPIRY, name)
redis.call('HINCRBY', LOOP_STATS, s[1], -1)
return {'deleted', s[1]}
"""

CREATE_FLOW_DEFINITION = r"""
-- KEYS[1] flow, KEYS[2] team, KEYS[3] ui, KEYS[4] flows index, KEYS[5] team flows, KEYS[6] ui flows
-- ARGV name, member, then field/value pairs
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
if redis.call('EXISTS', KEYS[2]) == 0 then return 'noteam' end
if redis.call('EXISTS', KEYS[3]) == 0 then return 'noui' end
local fields = {}
for i = 3, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[4], 0, ARGV[2])
redis.call('SADD', KEYS[5], ARGV[1])
redis.call('SADD', KEYS[6], ARGV[1])
return 'created'
"""

BEGIN_DELETE_FLOW_DEFINITION = r"""
-- KEYS[1] flow; ARGV name
local f = redis.call('HMGET', KEYS[1], 'status', 'team', 'ui', 'id')
if not f[1] then return {'missing', ''} end
if f[1] ~= 'Active' then return {'status', f[1]} end
redis.call('HSET', KEYS[1], 'status', 'Deleting')
-- the team and UI stay referenced until the flow is retired: Stopping loops still render the UI
-- until retired, the flow waits in an outbox too: a lost retire message is sent again by the sweep
local t = redis.call('TIME')
redis.call('ZADD', P .. 'outbox:retire', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000),
           ARGV[1] .. '|' .. f[4])
return {'deleting', f[4]}
"""

FINISH_DELETE_FLOW_DEFINITION = r"""
-- KEYS[1] flow, KEYS[2] flows index; ARGV name, flow_id
local f = redis.call('HMGET', KEYS[1], 'status', 'id', 'created_ms', 'team', 'ui')
redis.call('ZREM', P .. 'outbox:retire', ARGV[1] .. '|' .. ARGV[2])
if not f[1] or f[2] ~= ARGV[2] then return 'gone' end
if f[1] ~= 'Deleting' then return 'status' end
redis.call('SREM', P .. 'team:' .. f[4] .. ':flows', ARGV[1])
redis.call('SREM', P .. 'ui:' .. f[5] .. ':flows', ARGV[1])
redis.call('DEL', KEYS[1], P .. 'flowloops:' .. ARGV[2])
redis.call('ZREM', KEYS[2], string.format('%013d', tonumber(f[3])) .. ':' .. ARGV[1])
return 'deleted'
"""

DELETE_UNUSED_RESOURCE = r"""
-- KEYS[1] resource hash, KEYS[2] index, KEYS[3] set of flows using it; ARGV member
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if redis.call('SCARD', KEYS[3]) > 0 then return 'inuse' end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return 'deleted'
"""

_SOURCES = {
    "start_human_loop": START_HUMAN_LOOP,
    "enqueue_assignments": ENQUEUE_ASSIGNMENTS,
    "route_pending_loops": ROUTE_PENDING_LOOPS,
    "claim_next_assignment": CLAIM_NEXT_ASSIGNMENT,
    "extend_lease": EXTEND_LEASE,
    "release_assignment": RELEASE_ASSIGNMENT,
    "submit_answer": SUBMIT_ANSWER,
    "reap_expired_leases": REAP_EXPIRED_LEASES,
    "expire_due_loops": EXPIRE_DUE_LOOPS,
    "stop_human_loop": STOP_HUMAN_LOOP,
    "mark_loop_finished": MARK_LOOP_FINISHED,
    "delete_human_loop": DELETE_HUMAN_LOOP,
    "create_flow_definition": CREATE_FLOW_DEFINITION,
    "begin_delete_flow_definition": BEGIN_DELETE_FLOW_DEFINITION,
    "finish_delete_flow_definition": FINISH_DELETE_FLOW_DEFINITION,
    "delete_unused_resource": DELETE_UNUSED_RESOURCE,
}


class Scripts:
    """The registered scripts of one Redis client; attribute names match the script names."""

    def __init__(self, client: redis.Redis):
        for name, body in _SOURCES.items():
            setattr(self, name, client.register_script(PRELUDE + body))

CLAIM_DUE_OUTBOX_ENTRIES = r"""
-- KEYS[1] outbox; ARGV now, grace_ms, limit
-- entries due longer than the grace period were not handled by the task enqueued with them (lost
-- message, crashed worker, broker down): hand them out again and restart their grace period
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, tonumber(ARGV[3]))
for _, name in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', now, name) end
return due
"""

_SOURCES["claim_due_outbox_entries"] = CLAIM_DUE_OUTBOX_ENTRIES

CREATE_RESOURCE = r"""
-- KEYS[1] resource hash, KEYS[2] creation-time index, KEYS[3] name index or '' , KEYS[4..] sets to add the name to
-- ARGV name, index member, then field/value pairs
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
local fields = {}
for i = 3, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', KEYS[1], 'name', ARGV[1], unpack(fields))
redis.call('ZADD', KEYS[2], 0, ARGV[2])
if KEYS[3] ~= '' then redis.call('ZADD', KEYS[3], 0, ARGV[1]) end
for i = 4, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
return 'created'
"""

UPDATE_WORKTEAM_MEMBERS = r"""
-- KEYS[1] team hash; ARGV name, doc, groups_json, now, n_old, old groups..., new groups...
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
local n_old = tonumber(ARGV[5])
for i = 6, 5 + n_old do redis.call('SREM', P .. 'group:' .. ARGV[i] .. ':teams', ARGV[1]) end
for i = 6 + n_old, #ARGV do redis.call('SADD', P .. 'group:' .. ARGV[i] .. ':teams', ARGV[1]) end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'groups', ARGV[3], 'updated_ms', ARGV[4])
return 'updated'
"""

DELETE_WORKTEAM = r"""
-- KEYS[1] team hash, KEYS[2] creation index, KEYS[3] name index, KEYS[4] flows using it; ARGV name, member
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if redis.call('SCARD', KEYS[4]) > 0 then return 'inuse' end
local groups = cjson.decode(redis.call('HGET', KEYS[1], 'groups') or '[]')
for _, g in ipairs(groups) do redis.call('SREM', P .. 'group:' .. g .. ':teams', ARGV[1]) end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 'deleted'
"""

CLAIM_DUE_EVENTS = r"""
-- ARGV now, hold_ms, limit
-- take the due status-change events and push them out by a hold, in one step, so deliver tasks
-- running at once (one per sweep, one per finished loop) never send the same event concurrently;
-- if a worker dies mid-delivery the event is due again when the hold ends
local due = redis.call('ZRANGEBYSCORE', OUTBOX_EVENTS, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, name in ipairs(due) do redis.call('ZADD', OUTBOX_EVENTS, 'XX', until_ms, name) end
return due
"""

_SOURCES["claim_due_events"] = CLAIM_DUE_EVENTS
_SOURCES["create_resource"] = CREATE_RESOURCE
_SOURCES["update_workteam_members"] = UPDATE_WORKTEAM_MEMBERS
_SOURCES["delete_workteam"] = DELETE_WORKTEAM
