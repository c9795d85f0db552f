"""A2: escalation against plain overlap at equal numbers of answers, on the synthetic crowd.

The crowd, its truth and every reviewer's confusion come from ``hitl_service.consolidation.synthetic``
(the consolidation benchmark's crowd: 60% good, 25% mediocre, 10% spammers, 5% biased). A third of
its good reviewers form the escalation team and are taken out of the first team. Each arm answers
every item with reviewers drawn uniformly from its team, distinct per item, each answer drawn from
the reviewer's confusion row for the true class:

* adaptive + escalation: ``initial`` answers, one more while the majority-vote confidence (what the
  service's decision uses) is below ``target``, up to ``maximum``; still below: one answer of the
  escalation team (``hitl_service.consolidation.overlap.verdict``), which either decides the item or
  is pooled with its answers and consolidated by Dawid-Skene (the service's rule for jobs);
* adaptive only: the same without the escalation stage;
* plain overlap: the adaptive arm's total answers spread evenly over the items (every item gets
  floor or ceil of the mean), consolidated by majority vote and by the service's Dawid-Skene.

In-process over the consolidation functions (no HTTP). Run: ``make bench-escalation``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from hitl_service.consolidation.classes import ClassAnnotations, Method, consolidate_classes
from hitl_service.consolidation.overlap import Verdict, verdict
from hitl_service.consolidation.synthetic import make_crowd
from bench.report import keep_blocks

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- escalation:begin -->", "<!-- escalation:end -->"
GOOD = 0                 # synthetic.KINDS index of the good reviewers
# (initial, maximum, target): with majority-vote confidence 0.9 means unanimous, 0.6 a 2-of-3
# majority, 0.7 3 of 4 (3 of 5 escalates)
SETTINGS = [(2, 2, 0.9), (2, 3, 0.9), (2, 3, 0.6), (3, 5, 0.7)]
DEPTH = 8                # answers drawn per item (the most any arm asks)


class Crowd:
    """The first team and the escalation team, and every item's queue of future answers."""

    def __init__(self, n_annotations: int, seed: int):
        c = make_crowd(n_annotations, seed=seed)
        rng = np.random.default_rng(seed + 1)
        self.truth, self.confusion, k = c.truth, c.confusion, c.annotations.n_classes
        self.n_items, self.n_workers, self.n_classes = len(c.truth), len(c.worker_kind), k
        good = np.flatnonzero(c.worker_kind == GOOD)
        self.escalation = rng.choice(good, size=max(1, len(good) // 3), replace=False)
        self.first = np.setdiff1d(np.arange(self.n_workers), self.escalation)
        self.rng = rng
        # each item's first-team reviewers in the order they would arrive, and their answers
        self.workers = self._distinct(self.first, DEPTH)
        self.labels = self._answer(self.workers)
        self.expert = self._distinct(self.escalation, 1)[:, 0]
        self.expert_label = self._answer(self.expert[:, None])[:, 0]

    def _distinct(self, pool: np.ndarray, depth: int) -> np.ndarray:
        keys = self.rng.random((self.n_items, len(pool)))
        return pool[np.argsort(keys, axis=1)[:, :depth]]

    def _answer(self, workers: np.ndarray) -> np.ndarray:
        cdf = np.cumsum(self.confusion[workers, self.truth[:, None]], axis=2)
        return (self.rng.random(workers.shape)[..., None] > cdf[..., :-1]).sum(axis=2)

    def consolidate(self, used: np.ndarray, method: Method | None = Method.MAJORITY_VOTE, experts=None):
        """Consolidate the first ``used[i]`` answers of every item i (with the service's functions),
        plus the escalation answer of the items ``experts`` selects."""
        mask = np.arange(DEPTH)[None, :] < used[:, None]
        item, worker, label = np.nonzero(mask)[0], self.workers[mask], self.labels[mask]
        if experts is not None:
            extra = np.flatnonzero(experts)
            item = np.concatenate([item, extra])
            worker = np.concatenate([worker, self.expert[extra]])
            label = np.concatenate([label, self.expert_label[extra]])
        ann = ClassAnnotations(item=item.astype(np.int64), worker=worker.astype(np.int64),
                               label=label.astype(np.int64), n_items=self.n_items,
                               n_workers=self.n_workers, n_classes=self.n_classes)
        return consolidate_classes(ann, method=method)


def adaptive(crowd: Crowd, initial: int, maximum: int, target: float, escalate: bool) -> dict:
    """One item-by-item decision round at a time, as the service's deciding step runs."""
    used = np.full(crowd.n_items, initial)
    open_ = np.ones(crowd.n_items, bool)
    escalated = np.zeros(crowd.n_items, bool)
    while open_.any():
        res = crowd.consolidate(used)
        for i in np.flatnonzero(open_):
            v = verdict(float(res.confidence[i]), int(used[i]), maximum, target, escalate)
            if v == Verdict.MORE:
                used[i] += 1
            else:
                open_[i] = False
                escalated[i] = v == Verdict.ESCALATE
    label = crowd.consolidate(used).label.copy()
    label[escalated] = crowd.expert_label[escalated]      # the escalation answer decides
    answers = int(used.sum() + escalated.sum())
    # the alternative rule: the escalation answer as one more answer, every answer by Dawid-Skene
    pooled = crowd.consolidate(used, None, experts=escalated).label
    return {"accuracy": float(np.mean(label == crowd.truth)), "answers": answers,
            "escalated": float(escalated.mean()), "pooled": float(np.mean(pooled == crowd.truth))}


def plain(crowd: Crowd, answers: int, method: Method | None) -> float:
    """Accuracy of plain overlap spending ``answers`` in total (even spread, extras on random items)."""
    base, extra = divmod(answers, crowd.n_items)
    used = np.full(crowd.n_items, base)
    used[crowd.rng.choice(crowd.n_items, size=extra, replace=False)] += 1
    return float(np.mean(crowd.consolidate(used, method).label == crowd.truth))


def run(n_annotations: int, seed: int, settings) -> list[dict]:
    crowd = Crowd(n_annotations, seed)
    rows = []
    for initial, maximum, target in settings:
        esc = adaptive(crowd, initial, maximum, target, escalate=True)
        only = adaptive(crowd, initial, maximum, target, escalate=False)
        rows.append({"setting": f"initial {initial}, max {maximum}, target {target}", "n": crowd.n_items,
                     "answers": esc["answers"], "escalated": esc["escalated"], "esc_acc": esc["accuracy"],
                     "pooled": esc["pooled"],
                     "plain_mv": plain(crowd, esc["answers"], Method.MAJORITY_VOTE),
                     "plain_ds": plain(crowd, esc["answers"], None),
                     "only_acc": only["accuracy"], "only_answers": only["answers"],
                     "only_plain_mv": plain(crowd, only["answers"], Method.MAJORITY_VOTE)})
    rows.append({"teams": (len(crowd.first), len(crowd.escalation))})
    return rows


def table(rows: list[dict]) -> str:
    out = ["| adaptive setting | items | answers per item | escalated | with escalation, its answer "
           "wins | **with escalation, pooled (Dawid-Skene; the service's rule)** | plain overlap, same answers (majority / "
           "Dawid-Skene) | adaptive only: answers per item, accuracy (plain at its answers) |", "|" + "---|" * 8]
    for r in rows:
        if "setting" not in r:
            continue
        n = r["n"]
        out.append(f"| {r['setting']} | {n} | {r['answers'] / n:.2f} | {r['escalated']:.1%} | "
                   f"{r['esc_acc']:.1%} | **{r['pooled']:.1%}** | {r['plain_mv']:.1%} / {r['plain_ds']:.1%} | "
                   f"{r['only_answers'] / n:.2f}, {r['only_acc']:.1%} ({r['only_plain_mv']:.1%}) |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=20_000, help="size of the synthetic crowd (answers)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = ap.parse_args()
    started = time.perf_counter()
    rows = run(args.answers, args.seed, SETTINGS)
    first, escalation = rows[-1]["teams"]
    text = table(rows)
    print(text)
    block = (f"{BEGIN}\n### A2: escalation against plain overlap at equal answers (`make bench-escalation`)\n\n"
             f"Synthetic crowd of `hitl_service.consolidation.synthetic` (seed {args.seed}, "
             f"{args.answers} answers' worth of items); first team {first} reviewers, escalation team "
             f"{escalation} (a third of the good reviewers, taken out of the first team). Adaptive overlap "
             "decides on majority-vote confidence as the service does; below the target at the maximum, "
             "one escalation answer is asked: either it decides the item, or it is pooled with the "
             "item's answers and everything is consolidated by Dawid-Skene (the rule the service's "
             "labeling jobs use). Plain overlap spends the same total answers, "
             "spread evenly, from the first team. In-process over the consolidation functions "
             f"({time.perf_counter() - started:.1f} s).\n\n" + text + f"\n{END}")
    if args.no_write:
        return
    # the block replaces its earlier run in place (or is appended), as `python -m bench` keeps it
    DOC.write_text(keep_blocks(DOC.read_text() if DOC.exists() else "", block))


if __name__ == "__main__":
    main()
