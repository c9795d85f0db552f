"""The finalize drain alone finishes a burst of answered loops: no loop waits in the finalize outbox
for the sweeper, and each is made Completed exactly once with its output.json written."""

from __future__ import annotations

import concurrent.futures
import re
from collections import Counter

from hitl_service.store import keys
from tests.conftest import wait_until
from tests.workers.conftest import worker_settings
from tests.workers.test_output import Output, check_document
from tests.workers.test_routing import full_log, start_many

FINISHED_LOG = re.compile(r"loop finished loop=(\S+) status=(\w+) output=(\S+) outcome=(\w+)")


def answer_all(service, reviewers, count: int) -> int:
    """Reviewers claim and submit until the team's queue is empty; the number of answers submitted."""
    def run(reviewer) -> int:
        done = 0
        while (assignment := reviewer.claim()) is not None:
            reviewer.submit(assignment["token"], {"label": assignment["humanLoopName"]})
            done += 1
        return done

    with concurrent.futures.ThreadPoolExecutor(len(reviewers)) as pool:
        return sum(pool.map(run, reviewers))


def test_a_burst_of_answers_is_finalized_without_the_outbox_sweeper(service, a2i, flow, reviewers, worker_factory,
                                                                    tmp_path):
    flow_name, flow_arn = flow()
    # no beat, so no sweeper: a loop is finalized only by a drain its closing answer woke or that was
    # under way; answers arriving while a drain writes a batch must not be left behind its wake flag
    worker = worker_factory(worker_settings(service, tmp_path, finalize_batch_size=50), beat=False, concurrency=2)
    names = [f"fin-{i:04d}" for i in range(600)]
    start_many(service, flow_arn, names, threads=8)
    store = service.ctx.store
    wait_until(lambda: store.stats.read().route_backlog == 0, timeout=90, interval=0.2,
               message="every started loop routed")
    assert answer_all(service, reviewers(4), len(names)) == len(names)

    team = store.loops.team_of(names[0])
    wait_until(lambda: not store.client.zcard(keys.outbox_finalize(team, "loop")), timeout=120, interval=0.2,
               message="every answered loop finalized by the drain")
    rows = store.loops.get_many_in(team, names, ("status",))
    assert [r["status"] for r in rows] == ["Completed"] * len(names)

    # each loop was made terminal exactly once, by a drain (no per-loop finalize task ever ran)
    log = full_log(worker)
    outcomes = Counter((m.group(1), m.group(4)) for m in FINISHED_LOG.finditer(log))
    assert {name: outcomes[(name, "finished")] for name in names} == dict.fromkeys(names, 1)
    assert "finalize drain team=" in log and "hitl.finalize_loop[" not in log

    output = Output("local", tmp_path)
    written = output.keys(f"results/a2i/{flow_name}/")
    assert len(written) == len(names)
    for key in written:
        name = key.split("/")[-2]
        doc = output.read(key)
        check_document(doc, flow_arn=flow_arn, loop_name=name, input_content={"n": name})
        assert [a["answerContent"] for a in doc["humanAnswers"]] == [{"label": name}]
    assert sorted(k.split("/")[-2] for k in written) == names
    assert store.stats.read().outputs_pending == 0
