"""Run crowd-kit on a C1 data file, inside crowd-kit's own venv (never imports hitl_service).

Usage: <crowd-kit venv>/bin/python bench/c_crowdkit_runner.py DATA.npz OUT.npz {ds,mv} {time,memory}
Prints one JSON line: seconds (wall), cpu_seconds, peak_bytes (tracemalloc, memory mode only), rss_bytes.
"""
import json
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
from crowdkit.aggregation import DawidSkene, MajorityVote


def main(data_path, out_path, method, mode):
    data = np.load(data_path)
    n_items = int(data["n_items"])
    frame = pd.DataFrame({"task": data["item"], "worker": data["worker"], "label": data["label"]})
    model = DawidSkene(n_iter=100) if method == "ds" else MajorityVote()
    if mode == "memory":
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    proba = model.fit_predict_proba(frame)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if mode == "memory" else None
    proba = proba.reindex(index=range(n_items), columns=range(int(data["n_classes"])), fill_value=0.0)
    values = proba.to_numpy(dtype=np.float64)
    np.savez(out_path, label=values.argmax(axis=1), confidence=values.max(axis=1))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "peak_bytes": peak, "rss_bytes": rss}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
