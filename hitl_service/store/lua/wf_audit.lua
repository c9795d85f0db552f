-- KEYS[1] audit stream
-- ARGV max_len, then field/value pairs of one record
-- append-only: entries are only ever added here and trimmed from the old end (MAXLEN ~ keeps it cheap)
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', tonumber(ARGV[1]), '*', unpack(fields))
