-- use: lib_items
-- Route the given items of the route outbox (their keys from KEYS[10] on, in ARGV's order); when
-- the outbox is then empty the wake flag is cleared in the same step, so the next start sends a new
-- drain task. Returns one outcome per item.
local out = {}
for i = 1, #ARGV do
  table.insert(out, route_one(KEYS[9 + i], ARGV[i]))
end
if redis.call('ZCARD', OUT_ROUTE) == 0 then redis.call('DEL', ROUTE_AWAKE) end
return out
