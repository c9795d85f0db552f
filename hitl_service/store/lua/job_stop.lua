-- use: lib_job
-- ARGV now
-- Stop a job: nothing more is handed out; objects still out end now (answered ones are
-- consolidated, the others stay unlabelled); the worker writes the output and marks it Stopped.
local s = redis.call('HGET', JOB, 'status')
if not s then return {'missing', ''} end
if s ~= 'Initializing' and s ~= 'InProgress' then return {'status', s} end
local now = tonumber(ARGV[1])
redis.call('HSET', JOB, 'status', 'Stopping', 'modified_ms', now)
redis.call('DEL', PENDING)
-- every out object expires at once: the expiry step retires them the same way a lifetime end does
for _, id in ipairs(redis.call('ZRANGE', EXPIRY, 0, -1)) do redis.call('ZADD', EXPIRY, 0, id) end
redis.call('DEL', QUEUE, ESCQ)
return {'stopping', s}
