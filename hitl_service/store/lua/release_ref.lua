-- Free a name reservation if it still names the caller's slot. KEYS[1] reference; ARGV team
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
