"""B2's observer: ``python -m bench.observer REDIS_URL OUT_JSON READY_FILE``.

Subscribes to keyevent notifications for HSET (the benchmark enables ``notify-keyspace-events Eh`` on
its private Redis) and records, with time.monotonic_ns, when each key received its HSETs:

* the loop key (``keys.loop(team, name)``): the 1st HSET is StartHumanLoop's script, the 2nd is the route drain's
  route_items.lua script, the same atomic script that puts the assignment on the team queue, so
  the 2nd HSET is the moment the assignment became claimable;
* ``bench:ping:<token>``: the empty task ran.

Writes {key: [t_ns, ...]} on SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import redis


def main() -> int:
    url, out, ready = sys.argv[1:4]
    client = redis.Redis.from_url(url)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    ps = client.pubsub()
    ps.subscribe(f"__keyevent@{db}__:hset")
    while True:  # wait for the server's confirmation, so nothing after READY is missed
        msg = ps.get_message(timeout=1.0)
        if msg is not None and msg["type"] == "subscribe":
            break
    seen: dict[str, list[int]] = {}
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    Path(ready).write_text("ok")
    while not stopping:
        msg = ps.get_message(timeout=0.2)
        if msg is None or msg["type"] != "message":
            continue
        now = time.monotonic_ns()
        key = msg["data"].decode()
        times = seen.setdefault(key, [])
        if len(times) < 3:
            times.append(now)
    Path(out).write_text(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
