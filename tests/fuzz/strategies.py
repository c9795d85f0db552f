"""Hypothesis strategies built from the botocore service models: inputs that are mostly well-formed,
with wrong types, out-of-range values and hostile strings mixed in."""

from __future__ import annotations

import json
import re

from hypothesis import strategies as st

# strings that have broken JSON services: lone surrogates, control characters, huge and odd numbers
HOSTILE_TEXT = st.sampled_from([
    "", " ", "\x00", "\ud800", "a\udfffb", "\u202e", "💥" * 3, "NaN", "1e999", "-0", "{}", "[]", "null",
    "../../etc/passwd", "<script>alert(1)</script>", "%00", "a" * 300, "A-B-C", "x" * 70,
])
# any JSON value, including the non-finite numbers Python's encoder writes as NaN/Infinity
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _pattern_strings(pattern: str):
    try:
        re.compile(pattern)
        return st.from_regex(pattern, fullmatch=True)
    except (re.error, ValueError):
        return st.text(max_size=30)  # a Java-only pattern (e.g. \p{...}) that Python's re cannot read


def string_for(shape, known: dict[str, list[str]]):
    """Strings for one string shape: enum members, pattern matches, known resource names, hostile text."""
    options = [HOSTILE_TEXT, st.text(max_size=40)]
    if shape.enum:
        options.append(st.sampled_from(list(shape.enum)))
    if "pattern" in shape.metadata:
        options.append(_pattern_strings(shape.metadata["pattern"]))
    for hint, names in known.items():
        if hint in shape.name and names:
            options.append(st.sampled_from(names))
    return st.one_of(*options)


def value_for(shape, known: dict[str, list[str]], depth: int = 0):
    """A strategy for any value of ``shape`` (sometimes of the wrong type)."""
    kind = shape.type_name
    wrong = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.just([]), st.just({}))
    if depth > 5:
        return wrong
    meta = shape.metadata
    if kind == "string":
        right = string_for(shape, known)
        if shape.name.endswith("InputContent") or shape.name == "HumanLoopActivationConditions":
            right = st.one_of(right, JSON_VALUES.map(lambda v: json.dumps(v)))
    elif kind in ("integer", "long"):
        lo, hi = meta.get("min", -10), meta.get("max", 10_000)
        right = st.one_of(st.integers(lo - 2, hi + 2), st.integers())
    elif kind in ("float", "double"):
        right = st.floats(allow_nan=False, allow_infinity=False)
    elif kind == "boolean":
        right = st.booleans()
    elif kind == "timestamp":
        right = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                          st.sampled_from(["2020-01-01T00:00:00Z", "yesterday", "1e400"]))
    elif kind == "structure":
        members = shape.members
        required = {n: value_for(members[n], known, depth + 1) for n in shape.required_members}
        optional = {n: value_for(m, known, depth + 1) for n, m in members.items() if n not in required}
        right = st.fixed_dictionaries(required, optional=optional)
    elif kind == "list":
        right = st.lists(value_for(shape.member, known, depth + 1), max_size=4)
    elif kind == "map":
        right = st.dictionaries(st.text(max_size=10), value_for(shape.value, known, depth + 1), max_size=3)
    else:
        right = wrong
    return st.one_of(right, right, right, wrong) if depth else right
