-- use: lib_items
-- use: lib_leases
-- Hand an assignment back to the queue at once.
-- ARGV lease_id, worker, now, member
local lease_id, worker, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local l = live_lease(ARGV[4])
if not l then return {'nolease', ''} end
if l[2] ~= worker then return {'notyours', ''} end
if tonumber(l[3]) < now then return {'expired', expire_lease(lease_id, now)} end
local f = give_back_lease(lease_id, now)
redis.call('HINCRBY', STATS, 'releases', 1)
return {'ok', f}
