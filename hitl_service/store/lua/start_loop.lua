-- use: lib_items
-- Store a new human loop in its team's slot and put it in the route outbox.
-- KEYS[10] loop (work item), KEYS[11] flow, KEYS[12] the flow's loop index, KEYS[13] the loop's input
-- ARGV member, input (as stored: see LoopStore.start), input digest, classifiers, now, activation,
--      wake_ttl_ms, conditions_sha1, flow_id (as the caller read it), index member, '1' when the input
--      goes to its own key ('0': inline in the loop hash), '1' to route the loop in this step
local ITEM, FLOW, FLOW_LOOPS, INPUT = KEYS[10], KEYS[11], KEYS[12], KEYS[13]
local member, now = ARGV[1], tonumber(ARGV[5])
-- KEYS[14], on one Redis only: the loop name's reservation (claim_ref.lua), taken here to spare the start
-- a round trip (issue 17). It lives outside the team's hash tag, so on a cluster the caller reserves the
-- name first and passes no KEYS[14]. ARGV[13] the team. A name held for another team goes back to the
-- caller, which sorts it out (store/loops.py _reserve_name) and calls again.
if KEYS[14] then
  local held = redis.call('GET', KEYS[14])
  if held and held ~= ARGV[13] then return {'ref', held} end
  if not held then redis.call('SET', KEYS[14], ARGV[13]) end
end
local f = redis.call('HMGET', FLOW, 'status', 'id', 'team', 'task_count', 'time_limit', 'lifetime', 'name',
                     'output_path', 'webhooks', 'conditions', 'initial_workers', 'target_confidence',
                     'escalation_team')
if not f[1] then return {'noflow'} end
if f[1] ~= 'Active' then return {'flowstatus', f[1]} end
-- the flow index key was built from the id the caller read: a flow re-created since must be read again
if f[2] ~= ARGV[9] then return {'retry'} end
-- a flow with activation conditions: the caller must have evaluated exactly these conditions
if f[10] and f[10] ~= '' and redis.sha1hex(f[10]) ~= ARGV[8] then return {'evaluate', f[10]} end
if redis.call('EXISTS', ITEM) == 1 then
  -- the same loop again if flow, input and classifiers match. Short field names, or the long ones of a
  -- loop stored before issue 17; an input in its own key is compared by digest (a loop stored before
  -- issue 17 has a longer one: compare the prefix the caller sends), an inline one by itself
  local e = redis.call('HMGET', ITEM, 'fid', 'flow_id', 'sha', 'input_sha', 'cls', 'classifiers', 'input')
  local sha, same_input = e[3] or e[4], false
  if sha then
    same_input = string.sub(sha, 1, #ARGV[3]) == ARGV[3]
  else
    same_input = ARGV[11] == '0' and e[7] == ARGV[2]
  end
  if (e[1] or e[2]) == f[2] and same_input and (e[5] or e[6] or '') == ARGV[4] then return {'exists'} end
  return {'conflict'}
end
-- the loop keeps only what is its own or must outlive the flow: title, description and task UI are
-- read from the flow, which stays until its last open loop is closed. A long input is a key of its own
-- (a value over hash-max-listpack-value would turn the whole hash into a hashtable), a short one stays
-- inline, which saves the extra key's own overhead.
if ARGV[11] == '1' then
  redis.call('SET', INPUT, ARGV[2])
  redis.call('HSET', ITEM, 'sha', ARGV[3])
else
  redis.call('HSET', ITEM, 'input', ARGV[2])
end
-- memory per loop (issue 17): fields only the loop record reads have short names (store/loops.py
-- FIELD_NAMES), an inline input needs no digest, and fields at their default are left out
-- (store/loops.py DEFAULTS: kind, team, failure_code, failure_reason, output_uri, and empty
-- classifiers, activation and webhooks)
redis.call('HSET', ITEM, 'status', 'InProgress', 'created_ms', now,
  'flow', f[7], 'fid', f[2], 'task_count', f[4], 'time_limit', f[5], 'out', f[8],
  'answers', 0, 'leases', 0, 'queued', 0, 'routed', 0, 'target', '')
if ARGV[4] ~= '' then redis.call('HSET', ITEM, 'cls', ARGV[4]) end
if ARGV[6] ~= '' then redis.call('HSET', ITEM, 'act', ARGV[6]) end
if f[9] and f[9] ~= '' and f[9] ~= '[]' then redis.call('HSET', ITEM, 'hooks', f[9]) end
-- adaptive overlap (the initial workers tag): the loop starts needing that many answers, not task_count
if f[11] and f[11] ~= '' then
  redis.call('HSET', ITEM, 'required', f[11], 'target_confidence', f[12])
  -- escalation (the escalation-workteam tag): decide_item.lua may give it one answer from that team,
  -- and expire_item.lua a second lifetime of the same length when the first ends short of answers
  if f[13] and f[13] ~= '' then redis.call('HSET', ITEM, 'escalation_team', f[13], 'lifetime', f[6]) end
end
redis.call('ZADD', FLOW_LOOPS, 0, ARGV[10])
redis.call('ZADD', EXPIRY, now + tonumber(f[6]) * 1000, member)
redis.call('HINCRBY', STATS, 'loop:InProgress', 1)
if ARGV[12] == '1' then
  -- routed in the same step (issue 17): claimable when the start returns, no drain task, no outbox entry
  route_one(ITEM, member)
  return {'created', 0}
end
redis.call('ZADD', OUT_ROUTE, now, member)
-- one drain task routes every loop that arrives while it runs: only the start that finds no drain
-- under way asks for one (the flag lapses on its own if that task is lost)
local wake = redis.call('SET', ROUTE_AWAKE, now, 'NX', 'PX', tonumber(ARGV[7]))
return {'created', wake and 1 or 0}
