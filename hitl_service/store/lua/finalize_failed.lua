-- use: lib_items
-- The producer could not finish a closed item (storage down): count the attempt and move its outbox
-- entry so that the sweep hands it out again after the backoff.
-- KEYS[10] the team's finalize attempt counts; ARGV member, next outbox score. Returns the attempt number.
local attempt = redis.call('HINCRBY', KEYS[10], ARGV[1], 1)
redis.call('ZADD', OUT_FINALIZE, 'XX', tonumber(ARGV[2]), ARGV[1])
redis.call('HINCRBY', STATS, 'output_write_failures', 1)
return attempt
