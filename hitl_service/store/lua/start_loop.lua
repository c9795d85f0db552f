-- use: lib_items
-- Store a new human loop in its team's slot and put it in the route outbox.
-- KEYS[10] loop (work item), KEYS[11] flow, KEYS[12] the flow's loop index, KEYS[13] the loop's input
-- ARGV member, input, input_sha, classifiers, now, activation, wake_ttl_ms, conditions_sha1,
--      flow_id (as the caller read it), index member, longest input kept inline in the loop hash
local ITEM, FLOW, FLOW_LOOPS, INPUT = KEYS[10], KEYS[11], KEYS[12], KEYS[13]
local member, now = ARGV[1], tonumber(ARGV[5])
local f = redis.call('HMGET', FLOW, 'status', 'id', 'team', 'task_count', 'time_limit', 'lifetime', 'name',
                     'output_path', 'webhooks', 'conditions', 'initial_workers', 'target_confidence')
if not f[1] then return {'noflow'} end
if f[1] ~= 'Active' then return {'flowstatus', f[1]} end
-- the flow index key was built from the id the caller read: a flow re-created since must be read again
if f[2] ~= ARGV[9] then return {'retry'} end
-- a flow with activation conditions: the caller must have evaluated exactly these conditions
if f[10] and f[10] ~= '' and redis.sha1hex(f[10]) ~= ARGV[8] then return {'evaluate', f[10]} end
if redis.call('EXISTS', ITEM) == 1 then
  local e = redis.call('HMGET', ITEM, 'flow_id', 'input_sha', 'classifiers')
  if e[1] == f[2] and e[2] == ARGV[3] and e[3] == ARGV[4] then return {'exists'} end
  return {'conflict'}
end
-- the loop keeps only what is its own or must outlive the flow: title, description and task UI are
-- read from the flow, which stays until its last open loop is closed. An input longer than ARGV[11]
-- is a key of its own: a value over hash-max-listpack-value would turn the whole hash into a
-- hashtable (memory per loop would grow with the input, issue 17); a short one stays inline, which
-- saves the extra key's own overhead
if #ARGV[2] > tonumber(ARGV[11]) then
  redis.call('SET', INPUT, ARGV[2])
else
  redis.call('HSET', ITEM, 'input', ARGV[2])
end
redis.call('HSET', ITEM, 'kind', 'loop', 'status', 'InProgress', 'created_ms', now,
  'input_sha', ARGV[3], 'classifiers', ARGV[4], 'activation', ARGV[6],
  'flow', f[7], 'flow_id', f[2], 'team', f[3],
  'task_count', f[4], 'time_limit', f[5], 'output_path', f[8], 'webhooks', f[9] or '[]',
  'answers', 0, 'leases', 0, 'queued', 0, 'routed', 0, 'target', '',
  'failure_code', '', 'failure_reason', '', 'output_uri', '')
-- adaptive overlap (the initial workers tag): the loop starts needing that many answers, not task_count
if f[11] and f[11] ~= '' then
  redis.call('HSET', ITEM, 'required', f[11], 'target_confidence', f[12])
end
redis.call('ZADD', FLOW_LOOPS, 0, ARGV[10])
redis.call('ZADD', EXPIRY, now + tonumber(f[6]) * 1000, member)
redis.call('ZADD', OUT_ROUTE, now, member)
redis.call('HINCRBY', STATS, 'loop:InProgress', 1)
-- one drain task routes every loop that arrives while it runs: only the start that finds no drain
-- under way asks for one (the flag lapses on its own if that task is lost)
local wake = redis.call('SET', ROUTE_AWAKE, now, 'NX', 'PX', tonumber(ARGV[7]))
return {'created', wake and 1 or 0}
