-- use: lib_job
-- ARGV worker, now, lease_id, window_ms, max_scan, stage ('first', or 'escalation' for a member of
-- the escalation workteam only)
-- Lease the oldest queued object of this job (of the stage's queue) the reviewer has not worked on yet.
local worker, now, lease_id = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local FROM = ARGV[6] == 'escalation' and ESCQ or QUEUE
reap(now, 20)
if redis.call('HGET', JOB, 'status') ~= 'InProgress' then return {'empty'} end
local pick
for offset = 0, tonumber(ARGV[5]) - 1, 32 do
  local ids = redis.call('ZRANGE', FROM, offset, offset + 31)
  for _, id in ipairs(ids) do
    if not has_worker(id, worker) then pick = id break end
  end
  if pick or #ids < 32 then break end
end
if not pick then return {'empty'} end
local left = redis.call('HINCRBY', LEFT, pick, -1)
if left <= 0 then redis.call('ZREM', FROM, pick) end
local list = redis.call('HGET', WORKERS, pick)
redis.call('HSET', WORKERS, pick, list and (list .. ',' .. worker) or worker)
local deadline = now + num('time_limit') * 1000
local expires = math.min(now + tonumber(ARGV[4]), deadline)
-- an escalation lease is marked, so that a first-stage lease on an object escalated at its lifetime's
-- end can be told apart (lib_job stale_lease)
local stage = ARGV[6] == 'escalation' and '|e' or ''
redis.call('HSET', LEASEINFO, lease_id, pick .. '|' .. worker .. '|' .. now .. '|' .. deadline .. stage)
redis.call('ZADD', LEASES, expires, lease_id)
return {'claimed', pick, expires, deadline}
