"""A1: automated labeling on data sets with known truth that ship inside PyPI packages.

Images: scikit-learn's 8x8 digits (1,797 objects, 10 classes). Text: the VADER sentiment lexicon
(vaderSentiment's vader_lexicon.txt: 7,500 tokens each rated by ten people; tokens whose mean rating is
at least 0.5 away from neutral, labelled positive/negative by the sign). Each object a person labels is
answered by three bot reviewers who give the truth with probability 0.9 (otherwise a random other
class) and consolidated with the service's Dawid-Skene; the rounds are the ones an auto-labeled job
runs (hitl_service.jobs.autolabel.loop). Run: ``make bench-autolabel``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np

from hitl_service.consolidation.classes import ClassAnnotations, consolidate_classes
from hitl_service.jobs.autolabel.features import image_features, text_features
from hitl_service.jobs.autolabel.loop import label_all

REVIEWERS = 3
ACCURACY = 0.9
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- autolabel:begin -->", "<!-- autolabel:end -->"


def bots(truth: np.ndarray, n_classes: int, rng: np.random.Generator):
    """Human labels as three 90%-accurate reviewers and consolidation would give them; counts answers."""
    asked = {"answers": 0}

    def ask(ids: np.ndarray) -> np.ndarray:
        m = ids.size
        item = np.repeat(np.arange(m), REVIEWERS)
        right = rng.random(item.size) < ACCURACY
        wrong = (truth[ids][item] + rng.integers(1, n_classes, item.size)) % n_classes
        label = np.where(right, truth[ids][item], wrong)
        worker = np.tile(np.arange(REVIEWERS), m)
        asked["answers"] += item.size
        res = consolidate_classes(ClassAnnotations(item=item, worker=worker, label=label, n_items=m,
                                                   n_workers=REVIEWERS, n_classes=n_classes))
        return res.label

    return ask, asked


def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return "scikit-learn digits (8x8 images)", image_features(list(d.images)), d.target, 10


def vader():
    import vaderSentiment

    path = os.path.join(os.path.dirname(vaderSentiment.__file__), "vader_lexicon.txt")
    texts, y = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for row in fh:
            parts = row.rstrip("\n").split("\t")
            if len(parts) >= 2 and abs(float(parts[1])) >= 0.5:
                texts.append(parts[0])
                y.append(int(float(parts[1]) > 0))
    return "vaderSentiment lexicon (tokens, pos/neg)", text_features(texts), np.array(y), 2


def run_one(loader, seed: int = 7) -> dict:
    t0 = time.perf_counter()
    name, x, truth, k = loader()
    feat_s = time.perf_counter() - t0
    ask, asked = bots(truth, k, np.random.default_rng(seed))
    t1 = time.perf_counter()
    res = label_all(x, truth.size, ask, seed=seed)
    loop_s = time.perf_counter() - t1
    m = res.machine
    human = ~m & (res.labels >= 0)
    return {"data": name, "n": truth.size, "machine_share": m.mean(),
            "machine_acc": float((res.labels[m] == truth[m]).mean()) if m.any() else float("nan"),
            "human_acc": float((res.labels[human] == truth[human]).mean()),
            "answers": asked["answers"], "by_hand": REVIEWERS * truth.size, "rounds": len(res.rounds),
            "first": res.rounds[0].summary() if res.rounds else {}, "feat_s": feat_s, "loop_s": loop_s}


def table(rows: list[dict]) -> str:
    out = ["| data set | objects | machine-labelled | machine-label accuracy vs truth | human-label accuracy "
           "| answers (by hand) | answers saved | rounds | round 1: validation acc / threshold / coverage "
           "| features / loop time |", "|" + "---|" * 10]
    for r in rows:
        f = r["first"]
        acc = "none labelled" if np.isnan(r["machine_acc"]) else f"{r['machine_acc']:.1%}"
        out.append(f"| {r['data']} | {r['n']} | {r['machine_share']:.1%} | {acc} | "
                   f"{r['human_acc']:.1%} | {r['answers']} ({r['by_hand']}) | {1 - r['answers'] / r['by_hand']:.1%} | "
                   f"{r['rounds']} | {f.get('validation-accuracy')} / {f.get('threshold')} / {f.get('coverage')} | "
                   f"{r['feat_s']:.1f} s / {r['loop_s']:.1f} s |")
    return "\n".join(out)


def main() -> None:
    rows = [run_one(digits), run_one(vader)]
    text = table(rows)
    print(text)
    block = (f"{BEGIN}\n### A1: automated data labeling (`make bench-autolabel`)\n\n"
             f"Three bot reviewers per human-labelled object, each right with probability {ACCURACY}, "
             "consolidated by Dawid-Skene; the job's rounds from `hitl_service.jobs.autolabel` "
             "(in-process: the HTTP/Celery path is covered by tests/jobs/autolabel/test_e2e.py). "
             "\"Answers saved\" compares with three answers for every object. Each round's threshold must pass "
             "fixed-sequence testing by a one-sided 95% Clopper-Pearson bound of at least 95% validation "
             "accuracy (docs/verify-adjust-autolabel.md); \"none labelled\": no round's threshold passed.\n\n" + text + f"\n{END}")
    doc = DOC.read_text() if DOC.exists() else ""
    if BEGIN in doc:
        doc = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(doc)


if __name__ == "__main__":
    main()
