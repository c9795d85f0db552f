-- use: lib_items
-- use: lib_leases
-- Lease one assignment of the item the caller picked (claim_pick), if it is still queued and still
-- new to the worker (not held or answered by them). KEYS[16..17] (lib_leases) the worker's worked-on and
-- handed-back sets, KEYS[18] cursors.
-- ARGV member, worker, now, window_ms, lease_id, queue score as claim_pick read it
local CURSORS = KEYS[18]
local member, worker, now, window, lease_id = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
if not redis.call('ZSCORE', QUEUE, member) or redis.call('SISMEMBER', WORKED, member) == 1 then
  return {'retry'}
end
local s = redis.call('HMGET', ITEM, 'status', 'target', 'queued', 'time_limit', 'created_ms', 'flow', 'fid', 'flow_id')
if s[1] ~= 'InProgress' or s[2] ~= '' or tonumber(s[3] or '0') <= 0 then
  -- should not happen (stop and expiry withdraw queued work): repair the queue, the caller looks again
  if escalation_lease(lease_id) then withdraw_escalation(QUEUE, ITEM, member) else redis.call('ZREM', QUEUE, member) end
  return {'retry'}
end
if tonumber(ARGV[6]) > tonumber(redis.call('HGET', CURSORS, worker) or '-1') then
  redis.call('HSET', CURSORS, worker, ARGV[6])
end
local queued = redis.call('HINCRBY', ITEM, 'queued', -1)
if queued <= 0 then redis.call('ZREM', QUEUE, member) end
redis.call('HINCRBY', STATS, 'queued', -1)
if escalation_lease(lease_id) then count_escalation(ITEM, -1) end
redis.call('HINCRBY', ITEM, 'leases', 1)
redis.call('SADD', WORKERS, worker)
redis.call('SADD', WORKED, member)
redis.call('ZREM', RELEASED, member)
local deadline = now + tonumber(s[4]) * 1000
local expires = math.min(now + window, deadline)
redis.call('HSET', LEASE, 'item', member, 'worker', worker, 'accepted_ms', now, 'deadline_ms', deadline,
           'expires_ms', expires, 'item_created', s[5])
redis.call('ZADD', LEASES, expires, lease_id)
redis.call('SADD', WORKER_LEASES, lease_id)
redis.call('HINCRBY', STATS, 'claims', 1)
-- what the caller shows the reviewer, so it needs no further reads (issue 17): the item's creation
-- time and, for a loop, its flow's name and id (the long field name: a loop stored before issue 17)
return {'claimed', expires, deadline, s[5] or '', s[6] or '', s[7] or s[8] or ''}
