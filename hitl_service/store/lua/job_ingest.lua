-- use: lib_job
-- ARGV start_pos, end_pos, now, done (0/1), bad_lines, bad_text, then (id, line, task_input, mode) x n
-- mode: 'h' for human work, 's' when the pre-annotation function said no human is needed, 'f' when it
-- failed (task_input then holds the reason)
-- Store one batch of manifest lines as pending objects and release what MaxConcurrentTaskCount
-- allows. A batch is applied once: the record's ingest_pos must equal start_pos.
local s = redis.call('HGET', JOB, 'status')
if not s then return 'missing' end
if s ~= 'Initializing' and s ~= 'InProgress' then return 'closed' end
if redis.call('HGET', JOB, 'ingest_pos') ~= ARGV[1] then return 'stale' end
local now = tonumber(ARGV[3])
local valid, skipped = 0, 0
for i = 7, #ARGV, 4 do
  local id = ARGV[i]
  redis.call('HSET', LINES, id, ARGV[i + 1])
  local mode = ARGV[i + 3]
  if mode == 'h' then
    if ARGV[i + 2] ~= '' then redis.call('HSET', INPUTS, id, ARGV[i + 2]) end
    redis.call('RPUSH', PENDING, id)
  elseif mode == 'f' then
    redis.call('HDEL', LINES, id)
    redis.call('HSET', RESULTS, id, '!' .. ARGV[i + 2])
    redis.call('HINCRBY', JOB, 'failed', 1)
  else
    redis.call('HDEL', LINES, id)
    redis.call('HSET', RESULTS, id, '')
    skipped = skipped + 1
  end
  valid = valid + 1
end
redis.call('HINCRBY', JOB, 'total', valid)
redis.call('HINCRBY', JOB, 'skipped', skipped)
redis.call('HINCRBY', JOB, 'bad_lines', tonumber(ARGV[5]))
if ARGV[6] ~= '' then redis.call('HSET', JOB, 'bad_text', ARGV[6]) end
redis.call('HSET', JOB, 'ingest_pos', ARGV[2], 'modified_ms', now)
if ARGV[4] == '1' then redis.call('HSET', JOB, 'ingest_done', 1) end
if s == 'Initializing' and num('total') > 0 then redis.call('HSET', JOB, 'status', 'InProgress') end
release(now)
if ready_to_finish() then return 'finish' end
return 'ok'
