"""Strict JSON reading: what Python's json module lets through but no JSON consumer can write back.

Python reads ``NaN``, ``Infinity`` and ``1e999`` (as ``inf``), lone UTF-16 surrogates (``"\\ud800"``)
and, until it runs out of stack, arbitrarily deep nesting. None of these can be written out again as
JSON (output.json is written with ``allow_nan=False`` and UTF-8), so a document carrying one must be
refused when it arrives rather than found out when a loop finishes.
"""

from __future__ import annotations

import json
import math


class StrictJSONError(ValueError):
    """A document that is not strict JSON; the message says what and where."""


def _no_constants(token: str):
    raise StrictJSONError(f"{token} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise StrictJSONError(f"the number {text[:40]} is out of range (not representable as a finite double)")
    return value


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_text(text: str) -> None:
    """Raise StrictJSONError if ``text`` holds an unpaired surrogate (it cannot be encoded as UTF-8)."""
    if _lone_surrogate(text):
        raise StrictJSONError("a string holds an unpaired UTF-16 surrogate (not valid Unicode)")


def _check_tree(doc, max_depth: int, strings: bool) -> None:
    # iterative, so a document just under the parser's own limit cannot exhaust the stack here either
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if strings:
                check_text(node)
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth > max_depth:
            raise StrictJSONError(f"objects and arrays are nested more than {max_depth} levels deep")
        if isinstance(node, dict):
            for key, value in node.items():
                if strings:
                    check_text(key)
                stack.append((value, depth + 1))
        else:
            stack.extend((item, depth + 1) for item in node)


def strict_loads(text: str | bytes, *, max_depth: int, check_strings: bool = True) -> object:
    """Parse ``text`` as JSON, refusing non-finite numbers, unpaired surrogates (unless
    ``check_strings`` is false: the caller checks them per field) and nesting deeper than
    ``max_depth`` with StrictJSONError (a ValueError); other syntax errors raise ValueError as usual."""
    try:
        doc = json.loads(text, parse_constant=_no_constants, parse_float=_finite, parse_int=_bounded_int)
    except RecursionError:
        raise StrictJSONError(f"objects and arrays are nested more than {max_depth} levels deep") from None
    _check_tree(doc, max_depth, check_strings)
    return doc


def _bounded_int(text: str) -> int | float:
    # an integer literal too long for a double (e.g. 400 digits) is as unrepresentable as 1e400
    if len(text.lstrip("-")) > 308:
        raise StrictJSONError(f"the number {text[:40]}... is out of range")
    return int(text)
