"""The audit trail's view of leases on labeling-job objects and the per-team flow lookup (Redis and Cluster)."""

from __future__ import annotations

from tests.store.conftest import make_flow, redis_cluster, store  # noqa: F401 - the store tests' fixtures

JOB = {"name": "j", "status": "Initializing", "team": "t", "max_concurrent": 10, "workers_per_object": 2,
       "lifetime": 600, "time_limit": 60, "ingest_pos": 0}


def running_job(store, name: str = "j", objects: int = 3) -> None:  # noqa: F811
    store.jobs.create(name, 1, dict(JOB, name=name))
    store.jobs.ingest(name, start=0, end=objects, now_ms=1000, done=True, bad_lines=0, bad_text="",
                      objects=[(i, '{"source": "x"}', "", "h") for i in range(objects)])


def test_an_overdue_job_lease_is_reported_once_after_it_is_given_back(store):  # noqa: F811
    running_job(store)
    first = store.jobs.claim("j", "w1", 1000, "lease-1", window_ms=500)
    second = store.jobs.claim("j", "w2", 1000, "lease-2", window_ms=5000)
    # at 2000 the first lease (ended 1500) is overdue, the second is live
    [due] = store.audit.due_job_leases("j", 2000, limit=20)
    assert (due.lease_id, due.worker, due.job, due.object_id) == ("lease-1", "w1", "j", first.object_id)
    assert store.audit.job_leases_ended([due]) == []   # not given back yet: nothing to report
    assert store.jobs.expire("j", 2000).expired == 0   # (no object's lifetime ended; the lease was reaped)
    assert store.audit.job_leases_ended([due]) == [due]
    assert store.audit.job_leases_ended([due]) == []   # the claim and the worker report it once between them
    assert store.audit.due_job_leases("j", 2000, limit=20) == []
    assert store.jobs.lease_info("j", "lease-2")["object_id"] == second.object_id


def test_flows_of_teams_reads_a_bounded_page_per_team(store):  # noqa: F811
    for i in range(3):
        make_flow(store, flow=f"a-{i}", team="alpha", created_ms=i + 1)
    make_flow(store, flow="b-0", team="beta")
    make_flow(store, flow="other", team="gamma")
    fields = ("name", "team", "arn")
    rows = store.resources.flows_of_teams(["alpha", "beta"], fields, limit=10)
    assert [(r["team"], r["name"]) for r in rows] == [("alpha", "a-0"), ("alpha", "a-1"), ("alpha", "a-2"),
                                                      ("beta", "b-0")]
    # a full page stops the read: two of alpha's flows (whichever SSCAN yields first), none of beta's
    two = [r["name"] for r in store.resources.flows_of_teams(["alpha", "beta"], fields, limit=2)]
    assert len(two) == 2 and set(two) < {"a-0", "a-1", "a-2"} and two == sorted(two)
    assert store.resources.flows_of_teams(["nobody"], fields, limit=10) == []
    # a deleted flow leaves its team's set with the record (finish_delete_flow.lua)
    flow_id = store.resources.get_flow("a-1", ("id",))["id"]
    store.resources.begin_delete_flow("a-1", 5)
    assert store.resources.finish_delete_flow("a-1", flow_id).value == "deleted"
    assert [r["name"] for r in store.resources.flows_of_teams(["alpha"], fields, limit=10)] == ["a-0", "a-2"]


def test_flows_of_a_team_with_many_flows_stop_at_the_limit(store):  # noqa: F811
    # past 128 members a set is a hash table and SSCAN pages through it: the read stops once the page is full
    for i in range(200):
        make_flow(store, flow=f"f-{i:03d}", team="big", created_ms=1)
    rows = store.resources.flows_of_teams(["big"], ("name",), limit=7)
    assert len(rows) == 7 and len({r["name"] for r in rows}) == 7
    assert len(store.resources.flows_of_teams(["big"], ("name",), limit=500)) == 200
