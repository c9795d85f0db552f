-- use: lib_items
-- use: lib_leases
-- Expire one overdue lease (the caller found it in the lease index).
-- ARGV lease_id, now, member
local lease_id, now = ARGV[1], tonumber(ARGV[2])
local l = live_lease(ARGV[3])
if not l then
  redis.call('ZREM', LEASES, lease_id)
  return {'nolease', ''}
end
if tonumber(l[3]) >= now then return {'ok', ''} end
return {'expired', expire_lease(lease_id, now)}
