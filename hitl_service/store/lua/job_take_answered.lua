-- use: lib_job
-- ARGV now, hold_ms, limit. Returns (id, line, answers, escalation stage or '') per object.
-- Hand out up to `limit` answered objects for consolidation, held for hold_ms so two workers never
-- consolidate the same object at once (a crashed worker's batch is due again when the hold ends).
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', ANSWERED, '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', ANSWERED, 'XX', now + tonumber(ARGV[2]), id)
  table.insert(out, id)
  table.insert(out, redis.call('HGET', LINES, id) or '')
  table.insert(out, redis.call('HGET', ANSWERS, id) or '[]')
  table.insert(out, redis.call('HGET', STAGE, id) or '')
end
return out
