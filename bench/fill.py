"""Fill Redis with many routed, queued loops quickly, in exactly the layout the service writes.

One *template* loop is started with the service's own StartHumanLoop code
(``services.loops.start_human_loop``) and routed with ENQUEUE_ASSIGNMENTS (what ``route_loop`` runs). A Lua bulk loader then copies the template's hash field for field for every new
loop (only ``name`` and ``created_ms`` differ) and adds the same index entries the two
scripts add: the flow's loop index, the expiry index, the team queue, and the loop/queue counters.
``layout_check`` compares the keys touched by a real start+route with those touched by the loader, so
a change of the key layout makes the check fail instead of silently benchmarking the wrong thing.
"""

from __future__ import annotations

import time

import redis

from hitl_service.store import keys

BULK_LOAD = r"""
-- KEYS[1] the flow's loop index, KEYS[2] the team's expiry index, KEYS[3] the team queue,
-- KEYS[4] the team's counters, KEYS[5] the flow
-- ARGV loop key prefix (keys.loop(team, '')) and loop reference prefix (keys.loop_ref('')) and team
-- separated by '|', name prefix, first index, count, base_ms, index width,
-- then the template loop's field/value pairs (as the service's scripts left them after start + route).
-- A bench tool for one Redis: it builds each new loop's keys from the prefixes.
local loop_prefix, ref_prefix, team = string.match(ARGV[1], '^(.*)|(.*)|(.*)$')
local t = {}
for i = 7, #ARGV do t[#t + 1] = ARGV[i] end
if #t == 0 then return redis.error_reply('no template loop') end
local tf, pos = {}, {}
for i = 1, #t, 2 do tf[t[i]] = t[i + 1]; pos[t[i]] = i + 1 end
-- the loop keeps no copy of its flow's lifetime; read it
local lifetime = tonumber(tf['lifetime'] or redis.call('HGET', KEYS[5], 'lifetime'))
local queued = tonumber(tf['queued'])
local first, count, base = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local fmt = '%0' .. ARGV[6] .. 'd'
for n = first, first + count - 1 do
  local name = ARGV[2] .. string.format(fmt, n)
  local created = base + n
  if pos['name'] then t[pos['name']] = name end
  t[pos['created_ms']] = created
  redis.call('HSET', loop_prefix .. name, unpack(t))
  redis.call('SET', ref_prefix .. name, team)
  redis.call('ZADD', KEYS[1], 0, string.format('%013d', created) .. ':' .. name)
  redis.call('ZADD', KEYS[2], created + lifetime * 1000, 'loop:' .. name)
  if tf['routed'] == '1' and queued > 0 then redis.call('ZADD', KEYS[3], created, 'loop:' .. name) end
end
redis.call('HINCRBY', KEYS[4], 'loop:InProgress', count)
if tf['routed'] == '1' and queued > 0 then redis.call('HINCRBY', KEYS[4], 'queued', count * queued) end
return count
"""


def context_for(client: redis.Redis):
    """A ServiceContext on ``client`` that dispatches nothing (the benchmark routes loops itself)."""
    from bench.harness import ACCOUNT, REGION, NoDispatch
    from hitl_service.config import Settings
    from hitl_service.domain.names import ArnFactory
    from hitl_service.services.context import ServiceContext
    from hitl_service.store.redis_store import Store

    kw = client.connection_pool.connection_kwargs
    url = f"redis://{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"
    return ServiceContext(settings=Settings(redis_url=url, region=REGION, account_id=ACCOUNT), store=Store(client),
                          arns=ArnFactory(REGION, ACCOUNT), dispatcher=NoDispatch())


def start_and_route(ctx, flow_name: str, name: str, content: str) -> None:
    """Start a loop with the service's own StartHumanLoop code (which routes it), and make sure it is routed."""
    from hitl_service.services import loops

    out = loops.start_human_loop(ctx, {"HumanLoopName": name, "FlowDefinitionArn": ctx.arns.flow_definition(flow_name),
                                       "HumanLoopInput": {"InputContent": content}})
    if "HumanLoopArn" not in out:
        raise RuntimeError(f"StartHumanLoop did not start {name}: {out}")
    # as shipped the start script routes the loop itself (HITL_ROUTE_INLINE): route() then finds it routed
    if ctx.store.loops.route(name) not in ("routed", "already"):
        raise RuntimeError("the loop was not routed")


def _snapshot(client: redis.Redis) -> dict[str, object]:
    snap = {}
    for k in client.scan_iter(count=1000):
        if client.pttl(k) > 0:
            continue  # keys with an expiry are transient flags, not part of a loop's layout
        t = client.type(k)
        if t == "hash":
            snap[k] = ("hash", tuple(sorted(client.hgetall(k).items())))
        elif t == "zset":
            snap[k] = ("zset", tuple(client.zrange(k, 0, -1, withscores=True)))
        elif t == "set":
            snap[k] = ("set", tuple(sorted(client.smembers(k))))
        elif t == "list":
            snap[k] = ("list", tuple(client.lrange(k, 0, -1)))
        else:
            snap[k] = (t, client.get(k) if t == "string" else None)
    return snap


# labeling jobs' keys (their global indexes and their own slots' keys, such as the ingest lock) move on
# their own while a worker runs (P1 ingests a job beside the loops); they are no part of a loop's layout
_NOT_A_LOOPS_KEY = (keys.JOBS, keys.JOBS_ACTIVE, keys.JOBS_RECENT, keys.JOBS_BY_NAME)
_JOB_SLOT = keys.PREFIX + "{job:"


def _loops_key(k: str) -> bool:
    return k not in _NOT_A_LOOPS_KEY and not k.startswith(_JOB_SLOT)


def _changed(before: dict, after: dict, name: str) -> set[str]:
    return {k.replace(name, "<loop>") for k in after if before.get(k) != after[k] and _loops_key(k)} | \
           {k.replace(name, "<loop>") for k in before if k not in after and _loops_key(k)}


class Filler:
    def __init__(self, client: redis.Redis, flow_name: str, content: str, prefix: str):
        self.r = client
        self.ctx = context_for(client)
        self.flow_name = flow_name
        self.content = content
        self.prefix = prefix
        self.template = f"{prefix}-template"
        self.loader = client.register_script(BULK_LOAD)
        self.next_index = 0
        self.width = 8
        self.base_ms = int(time.time() * 1000) - 3_000_000  # loops "created" over the last ~50 minutes
        self.fields: list[str] = []

    def layout_check(self) -> str:
        """Start+route the template for real, bulk-load one loop, and compare what changed. Small dbs only."""
        before = _snapshot(self.r)
        start_and_route(self.ctx, self.flow_name, self.template, self.content)
        # a copy taken now: the live template gets claimed and completed like any other loop later
        self.team = self.ctx.store.loops.team_of(self.template)
        self.fields = [x for kv in self.r.hgetall(keys.loop(self.team, self.template)).items() for x in kv]
        mid = _snapshot(self.r)
        real = _changed(before, mid, self.template)
        name = f"{self.prefix}-{0:0{self.width}d}"
        self.load(1)
        after = _snapshot(self.r)
        bulk = _changed(mid, after, name)
        rf = set(self.r.hkeys(keys.loop(self.team, self.template)))
        bf = set(self.r.hkeys(keys.loop(self.team, name)))
        if real != bulk or rf != bf:
            raise RuntimeError(f"bulk loader layout differs from the service's scripts: real={sorted(real)} "
                               f"bulk={sorted(bulk)} fields real-bulk={rf - bf} bulk-real={bf - rf}")
        return f"ok ({len(real)} keys touched per loop: {', '.join(sorted(real))}; {len(rf)} hash fields)"

    def load(self, count: int, batch: int = 5000) -> float:
        t0 = time.monotonic()
        done = 0
        while done < count:
            n = min(batch, count - done)
            tf = dict(zip(self.fields[::2], self.fields[1::2]))
            # the loop record leaves its team (the key's tag says it) and names the flow id in short
            team, flow_id = self.team, tf.get("fid") or tf["flow_id"]
            self.loader(keys=[keys.flow_loops(team, flow_id), keys.expiry(team), keys.queue(team),
                              keys.team_stats(team), keys.flow(team, tf["flow"])],
                        args=[f'{keys.loop(team, "")}|{keys.loop_ref("")}|{team}', f"{self.prefix}-", self.next_index, n, self.base_ms, self.width,
                              *self.fields])
            self.next_index += n
            done += n
        return time.monotonic() - t0
