"""Group the regions (boxes, spans) that different reviewers drew of the same object.

Every pair of reviewers of an item is matched by optimal assignment on overlap (IoU or Jaccard)
above a threshold; matched regions are linked and the connected components are the objects. When
a chain links two regions of one reviewer, only the one with the strongest links stays in the
group, so a group never holds two regions of one reviewer. The result does not depend on the order
of reviewers or regions.

The hot path is vectorised: all region pairs of all reviewer pairs are scored in one array pass.
Reviewer pairs whose above-threshold links already form a one-to-one matching need no solver (that
matching is the optimal assignment); only the rare pairs with competing links go to
scipy.optimize.linear_sum_assignment, one call per such pair.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components

Overlap = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Regions:
    """Regions of a batch flattened into arrays; `owner` is the answer each region belongs to."""

    owner: np.ndarray           # (n_regions,) answer index, non-decreasing
    label: np.ndarray           # (n_regions,) int
    answer_item: np.ndarray     # (n_answers,) item of each answer, non-decreasing
    answer_weight: np.ndarray   # (n_answers,) reviewer reliability


@dataclass(frozen=True)
class Groups:
    """One row per group of matched regions."""

    group: np.ndarray           # (n_regions,) group index of each region
    item: np.ndarray            # (n_groups,) item of each group
    support: np.ndarray         # (n_groups,) summed reliability of the reviewers who drew it
    share: np.ndarray           # (n_groups,) support / summed reliability of the item's reviewers
    members: np.ndarray         # (n_groups,) number of regions in it
    label: np.ndarray           # (n_groups,) reliability-weighted vote
    label_share: np.ndarray     # (n_groups,) winning label's share of the support
    single_reviewer: np.ndarray  # (n_groups,) the item had one reviewer


def answer_pairs(answer_item: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b), a < b, of answers to the same item (answers sorted by item)."""
    n = len(answer_item)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    per_item = np.bincount(answer_item)
    firsts, seconds = [], []
    for d in range(1, int(per_item.max())):           # loop over the overlap depth, not answers
        a = np.arange(n - d)
        same = answer_item[a] == answer_item[a + d]
        firsts.append(a[same])
        seconds.append(a[same] + d)
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


LABEL_TIE_BREAK = 1e-9


def group_regions(regions: Regions, overlap: Overlap, threshold: float) -> Groups:
    """Match regions across reviewers and return the groups with their support and vote."""
    n_regions = len(regions.owner)
    n_answers = len(regions.answer_item)
    size = np.bincount(regions.owner, minlength=n_answers)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    pa, pb = answer_pairs(regions.answer_item)
    ia, ib, pair = _cross_pairs(pa, pb, size, start)
    score = overlap(ia, ib) if len(ia) else np.zeros(0)
    keep = score >= threshold
    ia, ib, pair, score = ia[keep], ib[keep], pair[keep], score[keep]
    # between equally overlapping candidates prefer the one with the same label, so that which of two
    # identical regions a reviewer drew first never decides the grouping
    score = score + LABEL_TIE_BREAK * (regions.label[ia] == regions.label[ib])
    ia, ib, score = _resolve_competing(ia, ib, pair, score)
    graph = sparse.coo_matrix((np.ones(len(ia)), (ia, ib)), shape=(n_regions, n_regions))
    _, group = connected_components(graph, directed=False)
    group = _one_region_per_reviewer(group, regions.owner, ia, ib, score, n_regions)
    return _summarise(regions, group)


def _cross_pairs(pa, pb, size, start):
    """All region pairs (one region from each answer) of every answer pair, as flat index arrays."""
    prod = size[pa] * size[pb]
    total = int(prod.sum())
    pair = np.repeat(np.arange(len(pa)), prod)
    local = np.arange(total) - np.repeat(np.cumsum(prod) - prod, prod)
    mb = size[pb][pair]
    ia = start[pa][pair] + local // np.maximum(mb, 1)
    ib = start[pb][pair] + local % np.maximum(mb, 1)
    return ia, ib, pair


def _resolve_competing(ia, ib, pair, score):
    """Keep the optimal one-to-one matching per reviewer pair (solver only where links compete)."""
    if len(ia) == 0:
        return ia, ib, score
    competing = np.zeros(len(ia), bool)
    for side in (ia, ib):
        _, inverse, counts = np.unique(side.astype(np.int64) * (pair.max() + 1) + pair,
                                       return_inverse=True, return_counts=True)
        competing |= counts[inverse] > 1
    hard_pairs = np.unique(pair[competing])
    if len(hard_pairs) == 0:
        return ia, ib, score
    hard = np.isin(pair, hard_pairs)
    keep = ~hard
    order = np.flatnonzero(hard)
    order = order[np.argsort(pair[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(pair[order])) + 1
    for edges in np.split(order, bounds):             # one solver call per competing reviewer pair
        rows, r_inv = np.unique(ia[edges], return_inverse=True)
        cols, c_inv = np.unique(ib[edges], return_inverse=True)
        matrix = np.zeros((len(rows), len(cols)))
        matrix[r_inv, c_inv] = score[edges]
        r, c = linear_sum_assignment(matrix, maximize=True)
        chosen = matrix[r, c] > 0
        lookup = {(int(x), int(y)): e for x, y, e in zip(r_inv, c_inv, edges)}
        for x, y in zip(r[chosen], c[chosen]):
            keep[lookup[(int(x), int(y))]] = True
    return ia[keep], ib[keep], score[keep]


def _one_region_per_reviewer(group, owner, ia, ib, score, n_regions):
    """Split off every region whose reviewer already has a more strongly linked region in its group."""
    if n_regions == 0:
        return group
    strength = np.bincount(ia, weights=score, minlength=n_regions) + np.bincount(
        ib, weights=score, minlength=n_regions)
    order = np.lexsort((np.arange(n_regions), -strength, owner, group))
    g, o = group[order], owner[order]
    repeat = np.zeros(n_regions, bool)
    repeat[1:] = (g[1:] == g[:-1]) & (o[1:] == o[:-1])
    group = group.copy()
    extra = order[repeat]
    group[extra] = group.max() + 1 + np.arange(len(extra))
    return group


def _summarise(regions: Regions, group: np.ndarray) -> Groups:
    _, group = np.unique(group, return_inverse=True)
    n_groups = int(group.max()) + 1 if len(group) else 0
    weight = regions.answer_weight[regions.owner]
    support = np.bincount(group, weights=weight, minlength=n_groups)
    members = np.bincount(group, minlength=n_groups)
    first = np.full(n_groups, len(group), np.int64)
    np.minimum.at(first, group, np.arange(len(group)))
    item = regions.answer_item[regions.owner[first]] if n_groups else np.zeros(0, np.int64)
    n_items = int(regions.answer_item.max()) + 1 if len(regions.answer_item) else 0
    item_weight = np.bincount(regions.answer_item, weights=regions.answer_weight, minlength=n_items)
    reviewers = np.bincount(regions.answer_item, minlength=n_items)
    label, label_share = weighted_vote(group, regions.label, weight, n_groups)
    share = np.divide(support, item_weight[item], out=np.zeros(n_groups), where=item_weight[item] > 0)
    return Groups(group=group, item=item, support=support, share=np.clip(share, 0.0, 1.0),
                  members=members, label=label, label_share=label_share,
                  single_reviewer=reviewers[item] <= 1)


def weighted_vote(group, label, weight, n_groups):
    """Per group: the label with the most weight (ties to the lowest label) and its share."""
    n_labels = int(label.max()) + 1 if len(label) else 1
    tally = np.bincount(group * n_labels + label, weights=weight,
                        minlength=n_groups * n_labels).reshape(n_groups, n_labels)
    winner = np.argmax(tally, axis=1)
    total = tally.sum(axis=1)
    share = np.divide(tally[np.arange(n_groups), winner], total, out=np.ones(n_groups), where=total > 0)
    return winner.astype(np.int64), share


def group_mode(group, values, n_groups):
    """Per group: the most frequent value; the lower median where no value occurs twice."""
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    new_run = np.ones(len(g), bool)
    new_run[1:] = (g[1:] != g[:-1]) | (v[1:] != v[:-1])
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.append(run_start, len(g)))
    run_group = g[run_start]
    # best run per group: longest, then smallest value (runs are already in value order)
    best = np.lexsort((np.arange(len(run_start)), -run_len, run_group))
    first_of_group = np.ones(len(best), bool)
    first_of_group[1:] = run_group[best][1:] != run_group[best][:-1]
    best = best[first_of_group]
    mode = v[run_start[best]]
    has_mode = run_len[best] > 1
    counts = np.bincount(g, minlength=n_groups)
    group_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    median = v[group_start + (counts - 1) // 2]
    return np.where(has_mode, mode, median)
