-- use: lib_job
-- ARGV lease_id, worker, now, answer_json (with the workerId the answer carries)
-- Store a lease holder's answer; the object's last answer moves it to consolidation and lets the
-- next pending object out.
local lease_id, worker, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local info = redis.call('HGET', LEASEINFO, lease_id)
if not info then return {'nolease'} end
local id, holder = string.match(info, '^([^|]*)|([^|]*)|')
if holder ~= worker then return {'notyours'} end
if tonumber(redis.call('ZSCORE', LEASES, lease_id)) < now then
  give_back(lease_id)
  return {'expired'}
end
redis.call('HDEL', LEASEINFO, lease_id)
redis.call('ZREM', LEASES, lease_id)
if not redis.call('HGET', LEFT, id) then return {'closed', id} end
-- the object's lifetime ended while this first-stage lease was held and it went to the escalation team
if stale_lease(id, info) then return {'closed', id} end
local answers = cjson.decode(redis.call('HGET', ANSWERS, id) or '[]')
table.insert(answers, cjson.decode(ARGV[4]))
redis.call('HSET', ANSWERS, id, cjson.encode(answers))
redis.call('HINCRBY', JOB, 'answers', 1)
if #answers < need(id) then return {'submitted', id, 'open'} end
if escalated(id) then
  -- the escalation answer: the object is done (whatever its number of answers)
  retire(id, now)
  redis.call('ZADD', ANSWERED, now, id)
  release(now)
  return {'submitted', id, 'complete'}
end
local max = num('workers_per_object')
if #answers < max or (#answers == max and redis.call('HGET', JOB, 'escalation_team')) then
  -- adaptive overlap: the object has the answers it needs now (so none is queued or leased) but
  -- fewer than the maximum, or (with an escalation team) exactly the maximum; it stays out while
  -- the worker consolidates and decides (job_decide.lua): done, one more, or the escalation team
  redis.call('ZADD', ANSWERED, now, id)
  return {'submitted', id, 'complete'}
end
retire(id, now)
redis.call('ZADD', ANSWERED, now, id)
release(now)
return {'submitted', id, 'complete'}
