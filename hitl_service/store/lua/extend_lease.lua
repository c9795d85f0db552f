-- use: lib_items
-- use: lib_leases
-- Heartbeat: push the lease end out by the window, never past the task deadline.
-- ARGV lease_id, worker, now, window_ms, member (the lease's item as the caller read it)
local lease_id, worker, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local l = live_lease(ARGV[5])
if not l then return {'nolease'} end
if l[2] ~= worker then return {'notyours'} end
if tonumber(l[3]) < now then return {'expired', '', expire_lease(lease_id, now)} end
local s = redis.call('HMGET', ITEM, 'status', 'target', 'created_ms', 'stage')
if not s[1] or not same_item(l[5], s[3]) then return {'closed', 'deleted'} end
if s[2] ~= '' or (s[1] ~= 'InProgress' and s[1] ~= 'Stopping') then return {'closed', shown_status(s)} end
-- the lifetime ended while this first-stage lease was held and the loop went to its escalation team
if stale_lease(lease_id, s[4]) then return {'closed', 'escalated'} end
local expires = math.min(now + tonumber(ARGV[4]), tonumber(l[4]))
redis.call('HSET', LEASE, 'expires_ms', expires)
redis.call('ZADD', LEASES, expires, lease_id)
return {'ok', expires, tonumber(l[4])}
