-- use: lib_job
-- ARGV field/value pairs of the record
-- Create a labeling job (Initializing) unless the name, in any case, is taken.
if redis.call('EXISTS', JOB) == 1 then return 'exists' end
redis.call('HSET', JOB, unpack(ARGV))
return 'created'
