"""``hitl run`` supervision with real child processes: a child that dies is started again, with backoff."""

from __future__ import annotations

import sys
import subprocess
import threading
import time

from hitl_service.supervisor import Child, backoff_seconds, supervise


def test_backoff_doubles_and_is_capped():
    assert [backoff_seconds(n) for n in range(8)] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]


def test_a_dying_child_is_restarted_and_a_healthy_one_left_alone(tmp_path):
    marker = tmp_path / "starts"

    def flaky():
        # appends a line per start, then dies at once
        return subprocess.Popen([sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x\\n'); raise SystemExit(3)"])

    def steady():
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    children = [Child("flaky", flaky), Child("steady", steady)]
    messages: list[str] = []
    stop = threading.Event()
    t = threading.Thread(target=supervise, args=(children, stop.is_set, messages.append), kwargs={"interval": 0.05})
    t.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not marker.exists() or len(marker.read_text().split()) < 3):
            time.sleep(0.05)
        steady_pid = children[1].proc.pid
    finally:
        stop.set()
        t.join(30)
    assert len(marker.read_text().split()) >= 3
    assert children[0].restarts >= 2 and children[0].failures >= 2
    assert any("flaky exited with 3" in m and "starting it again" in m for m in messages)
    assert children[1].restarts == 0 and children[1].proc.pid == steady_pid
    assert children[1].proc.poll() is not None          # stopped with the supervisor
