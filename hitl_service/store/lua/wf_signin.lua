-- KEYS[1] reviewer hash, KEYS[2] reviewer index set, KEYS[3] workerId -> reviewer name
-- ARGV name, worker_id, issuer, sub, groups (JSON), display name, now_ms
-- an OIDC sign-in: create the reviewer on first sign-in, and replace its groups with the IdP's at
-- every sign-in (the IdP, not this service, decides membership)
local r = redis.call('HMGET', KEYS[1], 'issuer', 'sub')
if r[1] and (r[1] ~= ARGV[3] or r[2] ~= ARGV[4]) then return 'taken' end
local created = 'updated'
if not r[1] then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 'taken' end
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'password_hash', '', 'worker_id', ARGV[2], 'issuer', ARGV[3],
             'sub', ARGV[4], 'created_ms', ARGV[7])
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('SET', KEYS[3], ARGV[1])
  created = 'created'
end
redis.call('HSET', KEYS[1], 'groups', ARGV[5], 'display_name', ARGV[6], 'last_signin_ms', ARGV[7])
return created
