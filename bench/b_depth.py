"""B5 (ListHumanLoops pages) and B4 (claim + submit) with a very large flow/queue against a small one."""

from __future__ import annotations

from bench import harness as h
from bench.fill import Filler
from hitl_service.store import keys
from bench.report import Result, Row, ratios, stat

B4_METHOD = """
**What:** latency of one reviewer's *claim next assignment* + *submit answer* through the review JSON
API (session cookie + CSRF header, as the review page does), against gunicorn as shipped, with
{deep:,} assignments queued for the reviewer's team, and the same two steps as direct calls of the
service functions the handlers use (`services.review.claim_next_assignment` / `submit_answer`: the
Lua scripts plus the Redis reads around them, no HTTP), from the same load-generator process.
**Baseline:** the same with {shallow:,} queued, in another database of the same redis-server, served by a
second identical gunicorn; rounds alternate between the two. Before each round both queues are topped
up so that they never hold fewer than {deep:,} / {shallow:,} assignments during the round.
**Data:** {fill_note}
"""

B5_METHOD = """
**What:** `ListHumanLoops` (MaxResults 100, default descending order, SigV4-signed GET from a
separate process) for the first page, a middle page (NextToken after the {mid:,}th loop) and the last
page, with {deep:,} loops in the flow; gunicorn as shipped. The same pages are also read straight from
Redis by the load-generator process with the store's own `Store.page` + `Store.get_loops` (what the
handler calls), to separate Redis from HTTP and Python.
**Baseline:** the same pages with {shallow:,} loops in the flow (another database of the same
redis-server, second identical gunicorn); rounds alternate between the two.
**Data:** {fill_note}
"""

FILL_NOTE = ("Redis without persistence (`--appendonly no`; AOF does not change read latency and a "
             "1-million-loop AOF would only cost disk). Loops are written by `bench/fill.py`: one "
             "template loop is started and routed with the service's own `START_HUMAN_LOOP` and "
             "`ENQUEUE_ASSIGNMENTS` scripts, then a Lua bulk loader copies it (same hash fields; only name, "
             "ARN and creation time differ) and adds the same index entries (flow index, expiry, team "
             "queue, counters). Layout check against the real scripts: {check}. Filling "
             "{deep:,} loops took {fill_s:.0f} s; Redis `used_memory` {mem}.")


class DepthSetup:
    def __init__(self, deep: int, shallow: int):
        self.redis = h.Redis("volatile")
        self.deep_n, self.shallow_n = deep, shallow
        self.content = h.input_content(200)
        self.targets = {}
        self.procs = [self.redis]
        for label, db in (("deep", 0), ("shallow", 3)):
            env = h.service_env(self.redis.url(db), 0)
            g = h.Gunicorn(env, name=f"gunicorn-{label}")
            self.procs.append(g)
            flow = h.create_flow(g.url, "bench-depth")
            bot = h.add_bots(self.redis.url(db), "bots", 1)[0]
            client = self.redis.client(db)
            filler = Filler(client, "bench-depth", self.content, prefix=f"{label}")
            check = filler.layout_check()
            self.targets[label] = dict(gun=g, flow=flow, bot=bot, client=client, filler=filler, db=db,
                                       check=check)
        h.log(f"filling {deep:,} loops")
        self.fill_s = self.targets["deep"]["filler"].load(deep - 2)
        self.targets["shallow"]["filler"].load(shallow - 2)
        info = self.redis.client(0).info("memory")
        self.mem = info.get("used_memory_human", "?")
        h.log(f"filled in {self.fill_s:.1f} s, used_memory {self.mem}")
        team = self.targets["deep"]["flow"]["team"]
        flow_id = self.redis.client(0).hget(keys.flow(team, "bench-depth"), "id")
        n = self.redis.client(0).zcard(keys.flow_loops(team, flow_id))
        if n != deep:
            raise RuntimeError(f"deep flow holds {n} loops, expected {deep}")

    def fill_note(self) -> str:
        return FILL_NOTE.format(check=self.targets["deep"]["check"], deep=self.deep_n, fill_s=self.fill_s,
                                mem=self.mem)

    def queue_depth(self, label: str) -> int:
        t = self.targets[label]
        return int(t["client"].hget(keys.team_stats(t["flow"]["team"]), "queued") or 0)

    def top_up(self, label: str, depth: int) -> None:
        missing = depth - self.queue_depth(label)
        if missing > 0:
            self.targets[label]["filler"].load(missing)

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.stop()


def run_b5(cfg: dict, shared: dict) -> Result:
    setup = shared.get("depth")
    res = Result("B5", "ListHumanLoops, page of 100 (first, middle, last)", "")
    from hitl_service.domain.pagination import encode_token

    targets = []
    for label in ("deep", "shallow"):
        t = setup.targets[label]
        c = t["client"]
        flow_id = c.hget(keys.flow(t["flow"]["team"], "bench-depth"), "id")
        idx = keys.flow_loops(t["flow"]["team"], flow_id)
        n = c.zcard(idx)
        # descending order: the loop at descending position p is ascending index n-1-p
        def member_desc(p: int) -> str:
            return c.zrange(idx, n - 1 - p, n - 1 - p)[0]
        after = {"first": None, "middle": member_desc(n // 2 - 1), "last": member_desc(n - 101)}
        pages = {k: (encode_token(flow_id, v) if v else None) for k, v in after.items()}
        targets.append({"label": label, "port": t["gun"].port, "flow_arn": t["flow"]["flow_arn"], "pages": pages,
                        "n_loops": n, "after": after, "index": idx, "team": t["flow"]["team"], "redis_url": setup.redis.url(t["db"])})
    res.method = B5_METHOD.format(deep=targets[0]["n_loops"], shallow=targets[1]["n_loops"],
                                  mid=targets[0]["n_loops"] // 2, fill_note=setup.fill_note())
    # the two targets sit on different ports; run one load generator per target per round, alternating
    lat: dict = {}
    direct: dict = {}
    sizes = {}
    for rnd in range(cfg["repeats"]):
        order = targets if rnd % 2 == 0 else list(reversed(targets))
        for t in order:
            out = h.run_loadgen("list", {"port": t["port"], "akid": h.ACCESS_KEY, "secret": h.SECRET_KEY,
                                         "targets": [t], "rounds": 1, "n": cfg["n"]}, 300)
            for page, runs in out["latency_ms"][t["label"]].items():
                lat.setdefault((t["label"], page), []).extend(runs)
            for page, runs in out["direct_ms"][t["label"]].items():
                direct.setdefault((t["label"], page), []).extend(runs)
            sizes.update(out["page_sizes"])
    for page in ("first", "middle", "last"):
        d, s = lat[("deep", page)], lat[("shallow", page)]
        d50, s50 = [h.percentile(x, 50) for x in d], [h.percentile(x, 50) for x in s]
        d99, s99 = [h.percentile(x, 99) for x in d], [h.percentile(x, 99) for x in s]
        r50 = ratios(d50, s50)
        p99 = stat(d99)
        res.rows.append(Row(f"{page} page (HTTP): p50", stat(d50).fmt(" ms"), stat(s50).fmt(" ms"), r50.fmt("", 2),
                            "ratio ≤ 1.5", r50.median <= 1.5))
        res.rows.append(Row(f"{page} page (HTTP): p99", p99.fmt(" ms"), stat(s99).fmt(" ms"), ratios(d99, s99).fmt("", 2),
                            "p99 ≤ 20 ms", p99.median <= 20))
    for page in ("first", "middle", "last"):
        d, s = direct[("deep", page)], direct[("shallow", page)]
        d50, s50 = [h.percentile(x, 50) for x in d], [h.percentile(x, 50) for x in s]
        d99, s99 = [h.percentile(x, 99) for x in d], [h.percentile(x, 99) for x in s]
        res.rows.append(Row(f"{page} page from Redis alone (Store.page + get_loops): p50 / p99",
                            f"{stat(d50).fmt(' ms')} / {stat(d99).fmt(' ms')}",
                            f"{stat(s50).fmt(' ms')} / {stat(s99).fmt(' ms')}", ratios(d50, s50).fmt("", 2), "–", None))
    res.details.append(f"{cfg['repeats']} rounds × {cfg['n']} requests per page and size; summaries per page: "
                       + ", ".join(f"{k} {v}" for k, v in sorted(sizes.items())) + ".")
    return res


def run_b4(cfg: dict, shared: dict) -> Result:
    setup: DepthSetup = shared.get("depth")
    res = Result("B4", "Claim + submit latency with a deep queue", B4_METHOD.format(
        deep=setup.deep_n, shallow=setup.shallow_n, fill_note=setup.fill_note()))
    pairs = cfg["pairs"]
    http: dict = {}
    script: dict = {}
    for rnd in range(cfg["repeats"]):
        labels = ("deep", "shallow") if rnd % 2 == 0 else ("shallow", "deep")
        for label in labels:
            depth = setup.deep_n if label == "deep" else setup.shallow_n
            setup.top_up(label, depth + 2 * pairs)
            t = setup.targets[label]
            out = h.run_loadgen("review", {"targets": [{
                "label": label, "port": t["gun"].port, "bot": t["bot"], "redis_url": setup.redis.url(t["db"]),
                "team": t["flow"]["team"]}], "rounds": 1, "pairs": pairs}, 600)
            http.setdefault(label, []).extend(out["http"][label])
            script.setdefault(label, []).extend(out["script"][label])
            if setup.queue_depth(label) < depth:
                raise RuntimeError(f"{label} queue fell below {depth}")

    def pct(runs, part, q):
        return [h.percentile(r[part], q) for r in runs]

    d50, s50 = pct(http["deep"], "pair", 50), pct(http["shallow"], "pair", 50)
    d99, s99 = pct(http["deep"], "pair", 99), pct(http["shallow"], "pair", 99)
    r50 = ratios(d50, s50)
    p99 = stat(d99)
    res.rows.append(Row("claim + submit (HTTP): p50", stat(d50).fmt(" ms"), stat(s50).fmt(" ms"), r50.fmt("", 2),
                        "ratio ≤ 1.5", r50.median <= 1.5))
    res.rows.append(Row("claim + submit (HTTP): p99", p99.fmt(" ms"), stat(s99).fmt(" ms"),
                        ratios(d99, s99).fmt("", 2), "p99 ≤ 10 ms", p99.median <= 10))
    for part in ("claim", "submit"):
        a, b = pct(http["deep"], part, 50), pct(http["shallow"], part, 50)
        a99, b99 = pct(http["deep"], part, 99), pct(http["shallow"], part, 99)
        res.rows.append(Row(f"{part} alone (HTTP): p50 / p99", f"{stat(a).fmt(' ms')} / {stat(a99).fmt(' ms')}",
                            f"{stat(b).fmt(' ms')} / {stat(b99).fmt(' ms')}", ratios(a, b).fmt("", 2), "–", None))
    for part in ("claim", "submit"):
        a, b = pct(script["deep"], part, 50), pct(script["shallow"], part, 50)
        a99, b99 = pct(script["deep"], part, 99), pct(script["shallow"], part, 99)
        res.rows.append(Row(f"{part} without HTTP (service function): p50 / p99", f"{stat(a).fmt(' ms')} / {stat(a99).fmt(' ms')}",
                            f"{stat(b).fmt(' ms')} / {stat(b99).fmt(' ms')}", ratios(a, b).fmt("", 2), "–", None))
    res.details.append(f"{cfg['repeats']} rounds × {pairs} claim+submit pairs per queue size (HTTP), then the "
                       f"same number through the service functions. TaskCount 1, one reviewer, the claim takes the "
                       f"oldest assignment.")
    return res
