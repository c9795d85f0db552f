-- use: lib_job
-- ARGV now, output_uri, failure_reason ('' unless the job failed), then the status to set when failing
-- End the job: Completed (or Stopped when it was stopping) once its output manifest is written, or
-- Failed with a reason at any point before that.
local s = redis.call('HGET', JOB, 'status')
if not s then return 'missing' end
if s == 'Completed' or s == 'Stopped' or s == 'Failed' then return 'already' end
local now = tonumber(ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HSET', JOB, 'status', 'Failed', 'failure_reason', ARGV[3], 'modified_ms', now)
  redis.call('DEL', PENDING, QUEUE, ESCQ, LEFT, EXPIRY, LEASES, LEASEINFO, STAGE)
  return 'failed'
end
if not ready_to_finish() then return 'busy' end
local target = (s == 'Stopping') and 'Stopped' or 'Completed'
redis.call('HSET', JOB, 'status', target, 'output_uri', ARGV[2], 'modified_ms', now)
return target
