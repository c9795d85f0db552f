"""Free text and numbers: the most agreeing answer and the median, each with a confidence."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TextResult:
    """The answer the others agree with most; confidence = its mean similarity to the others."""

    text: str
    confidence: float


@dataclass(frozen=True)
class NumberResult:
    """The median; confidence = share of answers within tolerance of it."""

    value: float
    confidence: float


def normalise(text: str) -> str:
    """Compare answers without case or whitespace differences."""
    return " ".join(text.split()).casefold()


def consolidate_text(answers: list[str]) -> TextResult:
    """Pick the answer with the highest total similarity (difflib ratio) to the others."""
    if not answers:
        raise ValueError("no answers")
    texts = sorted(answers)                       # canonical order: answer order changes nothing
    norm = [normalise(t) for t in texts]
    n = len(texts)
    sim = np.eye(n)
    for i in range(n):                            # n is the reviewers of one item (a handful)
        for j in range(i + 1, n):
            sim[i, j] = sim[j, i] = difflib.SequenceMatcher(None, norm[i], norm[j], autojunk=False).ratio()
    agreement = sim.sum(axis=1)
    best = int(np.argmax(agreement))              # ties: first in sorted order
    if n == 1:
        return TextResult(text=texts[0], confidence=0.0)
    confidence = float((agreement[best] - 1.0) / (n - 1))
    return TextResult(text=texts[best], confidence=min(1.0, max(0.0, confidence)))


def consolidate_numbers(values: list[float], *, rel_tol: float = 0.01, abs_tol: float = 0.0) -> NumberResult:
    """The median of the answers; confidence = share of answers within max(abs_tol, rel_tol*|median|)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError("need at least one finite number")
    median = float(np.median(arr))
    if arr.size == 1:
        return NumberResult(value=median, confidence=0.0)
    tolerance = max(abs_tol, rel_tol * abs(median))
    agree = np.abs(arr - median) <= tolerance + 1e-12 * max(1.0, abs(median))
    return NumberResult(value=median, confidence=float(agree.mean()))
