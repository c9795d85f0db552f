-- use: lib_job
-- ARGV lease_id, worker, now, action ('heartbeat' with window_ms in ARGV[5], or 'release')
-- Extend or hand back a reviewer's lease on a job object.
local info = redis.call('HGET', LEASEINFO, ARGV[1])
local now = tonumber(ARGV[3])
if not info then return {'nolease'} end
local id, worker, _, deadline = string.match(info, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)')
if worker ~= ARGV[2] then return {'notyours'} end
if tonumber(redis.call('ZSCORE', LEASES, ARGV[1])) < now then
  give_back(ARGV[1])
  return {'expired'}
end
if ARGV[4] == 'release' then
  give_back(ARGV[1])
  return {'released', id}
end
-- closed, or handed to the escalation team while this first-stage lease was held
if not redis.call('HGET', LEFT, id) or stale_lease(id, info) then return {'closed'} end
local expires = math.min(now + tonumber(ARGV[5]), tonumber(deadline))
redis.call('ZADD', LEASES, expires, ARGV[1])
return {'ok', id, expires, tonumber(deadline)}
