-- Record that a flow uses a task UI (so the UI cannot be deleted under it), if the UI exists.
-- KEYS[1] ui, KEYS[2] the UI's flows; ARGV flow name
if redis.call('EXISTS', KEYS[1]) == 0 then return 'noui' end
redis.call('SADD', KEYS[2], ARGV[1])
return 'created'
