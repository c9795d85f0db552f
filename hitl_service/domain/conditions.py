"""Human loop activation conditions: parse once, evaluate per StartHumanLoop.

A flow definition's ``HumanLoopActivationConditions`` is a JSON string
``{"Conditions": [ComplexCondition, ...]}``. ``parse_conditions`` validates it (raising
``ValidationError`` whose message names the offending part with a path such as
``Conditions[1].And[0].ConditionParameters.LessThan``) and compiles it into a ``ConditionSet``;
``ConditionSet.evaluate`` runs it against one loop's InputContent. This module is pure: no I/O,
no framework, no clock.

Semantics and the decisions behind them:

* Top-level members are OR'd. Every node is evaluated (no short-circuit) because the result
  copy must carry ``EvaluationResult`` on every node, as AWS's
  ``humanTaskActivationConditionResults`` does.
* Nesting: a node's *level* is the number of ``And``/``Or`` arrays enclosing it. Members of
  ``Conditions`` are at level 0; an And/Or there puts its members at level 1; an And/Or at level 1
  puts its members at level 2. Members at level 2 must be leaves, so at most two levels of
  nesting exist, as AWS documents (its own example is ``Or[leaf, And[leaf, leaf]]``).
* Comparison operators (``Equals``, ``LessThan``, ``LessThanEquals``, ``GreaterThan``,
  ``GreaterThanEquals``) may be combined and then all must hold, which expresses a band. A
  conjunction that is redundant or can never hold (two lower bounds, two upper bounds, ``Equals``
  with anything else, an empty band) is refused: it is almost certainly a typo, and failing at
  CreateFlowDefinition beats a condition that silently never fires.
* AWS's documented wire form flattens the operator into the parameter name
  (``KeyValueBlockConfidenceLessThan``, ``WordBlockConfidenceLessThan``, ``ConfidenceLessThan``).
  That form is accepted so definitions copied from AWS work unchanged; the nested form
  (``"KeyValueBlockConfidence": {"LessThan": 90}``) is accepted too. One condition may not mix
  the two for the same quantity.
* Unknown model data means a human should look: ``ModelConfidenceCheck`` is TRUE when the score
  path is missing or its value is not a finite number (bools are not numbers), and
  ``ModelLabelCheck`` is TRUE when the label is missing, null, or not a string/number. The reason
  says why. InputContent that is not a JSON object counts as missing data.
* The AWS service-response conditions keep their AWS meaning on missing data: no Textract Blocks
  makes ``ImportantFormKeyConfidenceCheck`` false and ``MissingImportantFormKey`` true; no
  Rekognition labels makes ``ModerationLabelConfidenceCheck`` false.
* ``ImportantFormKeyConfidenceCheck`` matches a KEY block when its text (CHILD WORD blocks joined
  by spaces, trimmed, case-folded, trailing ':' removed) equals the key or an alias; ``"*"`` as the
  key or an alias matches every KEY. It is true when some matching KEY block's Confidence
  satisfies the KeyValueBlock comparison and some WORD of that key-value pair (the key's words and
  its VALUE block's words, since AWS describes "the word blocks making up the key and value")
  satisfies the WordBlock comparison. An absent comparison is satisfied; both absent is refused.
  Block fields are read in Textract's PascalCase or A2I output's camelCase.
* ``Sampling`` is deterministic: sha256 over the condition's path in the definition and the
  InputContent string exactly as given, mapped to [0, 100) and compared ``< percentage``. The
  path keeps two Sampling conditions independent; it also means reordering a definition's
  conditions reshuffles which inputs are sampled. Sampling is per input, not per key-value pair
  as AWS describes for Textract. An already-parsed object is hashed in a canonical JSON form
  (sorted keys, compact), so pass the raw string when decisions must match a raw-string call.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from hitl_service.errors import ValidationError

MAX_CONDITIONS_LENGTH = 10240
MAX_NESTING = 2  # And/Or arrays enclosing a leaf; see the module docstring

_OPS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "Equals": ("==", lambda v, t: v == t),
    "LessThan": ("<", lambda v, t: v < t),
    "LessThanEquals": ("<=", lambda v, t: v <= t),
    "GreaterThan": (">", lambda v, t: v > t),
    "GreaterThanEquals": (">=", lambda v, t: v >= t),
}
_LOWER = ("GreaterThan", "GreaterThanEquals")
_UPPER = ("LessThan", "LessThanEquals")
_OP_NAMES = ", ".join(_OPS)

_MISSING = object()  # a path that does not resolve, distinct from a JSON null


# ---------------------------------------------------------------------------------------------
# JSON helpers


class _BadJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # json accepts NaN/Infinity by default; they are not JSON and break every comparison.
    raise _BadJson(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    # A repeated key (two "LessThan"s) would silently keep the last one; refuse the ambiguity.
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _BadJson(f"duplicate key {k!r}")
        out[k] = v
    return out


_CONTAINERS = (dict, list)


def _jcopy(v: Any) -> Any:
    """Deep copy of a JSON value; several times faster than copy.deepcopy for small trees."""
    # Scalars are copied inline rather than through a call: this runs on every evaluate().
    if type(v) is dict:
        return {k: (_jcopy(x) if type(x) in _CONTAINERS else x) for k, x in v.items()}
    if type(v) is list:
        return [(_jcopy(x) if type(x) in _CONTAINERS else x) for x in v]
    return v


def _is_number(v: Any) -> bool:
    # type() rather than isinstance: JSON true/false arrive as bool, a subclass of int.
    return type(v) is int or (type(v) is float and math.isfinite(v))


def _show(v: Any, limit: int = 60) -> str:
    if _is_number(v):
        return repr(v)
    try:
        s = json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _fail(path: str, problem: str) -> ValidationError:
    return ValidationError(f"Invalid HumanLoopActivationConditions at {path}: {problem}")


# ---------------------------------------------------------------------------------------------
# Paths into InputContent ($.a.b, $.a[0].b, $['key-with-dash'], a.b)

_NAME = re.compile(r"[^.\[\]'\"\s*$]+")
_INDEX = re.compile(r"\[(\d+)\]")


def _compile_path(text: Any, where: str) -> tuple:
    """Compile a JSONPath-ish string into a tuple of str keys and int indexes."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(where, "must be a non-empty string path such as $.prediction.score")
    if len(text) > 1024:
        raise _fail(where, "path is longer than 1024 characters")
    s, i, n, steps = text, 0, len(text), []
    if s.startswith("$"):
        i = 1
    else:
        # Plain "a.b": the first name has no leading dot.
        m = _NAME.match(s, 0)
        if m is None and not s.startswith("["):
            raise _fail(where, f"{_show(text)}: expected a member name at offset 0")
        if m is not None:
            steps.append(m.group(0))
            i = m.end()
    while i < n:
        c = s[i]
        if c == "." or (c == "[" and s[i + 1:i + 2] == "*"):
            if s[i + 1:i + 2] in (".", "*"):
                raise _fail(where, f"{_show(text)}: wildcards and recursive descent are not supported")
            m = _NAME.match(s, i + 1)
            if m is None:
                raise _fail(where, f"{_show(text)}: expected a member name at offset {i + 1}")
            steps.append(m.group(0))
            i = m.end()
        elif c == "[":
            m = _INDEX.match(s, i)
            if m is not None:
                steps.append(int(m.group(1)))
                i = m.end()
                continue
            if i + 1 < n and s[i + 1] in "'\"":
                quote, j, buf = s[i + 1], i + 2, []
                while j < n and s[j] != quote:
                    if s[j] == "\\" and j + 1 < n:
                        j += 1
                    buf.append(s[j])
                    j += 1
                if j + 1 >= n or s[j + 1] != "]":
                    raise _fail(where, f"{_show(text)}: unterminated ['...'] at offset {i}")
                steps.append("".join(buf))
                i = j + 2
            else:
                raise _fail(where, f"{_show(text)}: expected [index] or ['name'] at offset {i}")
        else:
            raise _fail(where, f"{_show(text)}: unexpected {c!r} at offset {i}")
    if not steps:
        raise _fail(where, f"{_show(text)}: path must select a member of the InputContent")
    return tuple(steps)


def _resolve(doc: Any, steps: tuple) -> Any:
    cur = doc
    for step in steps:
        if type(step) is int:
            if not isinstance(cur, list) or step >= len(cur):
                return _MISSING
            cur = cur[step]
        else:
            if not isinstance(cur, dict) or step not in cur:
                return _MISSING
            cur = cur[step]
    return cur


def _field(d: dict, pascal: str, camel: str) -> Any:
    # Textract/Rekognition responses use PascalCase; A2I's own output JSON uses camelCase.
    v = d.get(pascal, _MISSING)
    return d.get(camel, _MISSING) if v is _MISSING else v


# ---------------------------------------------------------------------------------------------
# Per-evaluation context: parse InputContent once, derive service views lazily


class _Ctx:
    __slots__ = ("_raw", "_obj", "_doc", "_raw_bytes", "_textract", "_labels")

    def __init__(self, input_content: Any):
        self._doc = _MISSING  # not yet computed
        self._raw_bytes = None
        self._textract = None
        self._labels = _MISSING
        if isinstance(input_content, (bytes, bytearray)):
            self._raw, self._obj = bytes(input_content), None
        elif isinstance(input_content, str):
            self._raw, self._obj = input_content, None
        else:
            self._raw, self._obj = None, input_content

    def raw_bytes(self) -> bytes:
        """The InputContent bytes that Sampling hashes."""
        if self._raw_bytes is None:
            if isinstance(self._raw, bytes):
                self._raw_bytes = self._raw
            elif self._raw is not None:
                self._raw_bytes = self._raw.encode("utf-8", "surrogatepass")
            else:
                canon = json.dumps(self._obj, sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False, default=str)
                self._raw_bytes = canon.encode("utf-8", "surrogatepass")
        return self._raw_bytes

    def doc(self) -> dict | None:
        """The InputContent as a JSON object, or None when it is not one."""
        if self._doc is _MISSING:
            if self._raw is None:
                value = self._obj
            else:
                try:
                    value = json.loads(self._raw)
                except (ValueError, RecursionError):
                    value = None
            self._doc = value if isinstance(value, dict) else None
        return self._doc

    def textract_keys(self) -> list[tuple[str, str, Any, list]] | None:
        """(normalized text, text, KEY confidence, word confidences) per KEY block, or None."""
        if self._textract is None:
            self._textract = _index_textract(self.doc())
        return None if self._textract is False else self._textract

    def moderation_labels(self) -> list | None:
        """The Rekognition ModerationLabels list, or None when absent."""
        if self._labels is _MISSING:
            self._labels = _find_list(self.doc(), _LABEL_LOCATIONS)
        return self._labels


_BLOCK_LOCATIONS = (("aiServiceResponse", "Blocks"), ("aiServiceResponse", "blocks"), ("Blocks",), ("blocks",))
_LABEL_LOCATIONS = (
    ("aiServiceResponse", "ModerationLabels"), ("aiServiceResponse", "moderationLabels"),
    ("ModerationLabels",), ("moderationLabels",),
)


def _find_list(doc: dict | None, locations: tuple) -> list | None:
    if doc is None:
        return None
    for loc in locations:
        v = _resolve(doc, loc)
        if type(v) is list:
            return v
    return None


def _normalize_key(text: str) -> str:
    # Textract keys usually carry the form's colon ("Name:"); aliases are written without it.
    return text.strip().rstrip(":").strip().casefold()


def _index_textract(doc: dict | None) -> list | bool:
    """Build the KEY-block view of a Textract response once per evaluation (False if none)."""
    blocks = _find_list(doc, _BLOCK_LOCATIONS)
    if blocks is None:
        return False
    by_id: dict[Any, dict] = {}
    for b in blocks:
        if type(b) is dict:
            bid = _field(b, "Id", "id")
            if type(bid) is str:
                by_id[bid] = b

    def related(block: dict, kind: str) -> list[dict]:
        out = []
        rels = _field(block, "Relationships", "relationships")
        if type(rels) is not list:
            return out
        for rel in rels:
            if type(rel) is not dict or _field(rel, "Type", "type") != kind:
                continue
            ids = _field(rel, "Ids", "ids")
            if type(ids) is list:
                out.extend(by_id[i] for i in ids if type(i) is str and i in by_id)
        return out

    def words(block: dict) -> list[dict]:
        return [w for w in related(block, "CHILD") if _field(w, "BlockType", "blockType") == "WORD"]

    keys = []
    for b in blocks:
        if type(b) is not dict or _field(b, "BlockType", "blockType") != "KEY_VALUE_SET":
            continue
        entity = _field(b, "EntityTypes", "entityTypes")
        if type(entity) is not list or "KEY" not in entity:
            continue
        key_words = words(b)
        text = " ".join(t for t in (_field(w, "Text", "text") for w in key_words) if type(t) is str)
        pair_words = key_words + [w for v in related(b, "VALUE") for w in words(v)]
        confs = [c for c in (_field(w, "Confidence", "confidence") for w in pair_words) if _is_number(c)]
        keys.append((_normalize_key(text), text, _field(b, "Confidence", "confidence"), confs))
    return keys


# ---------------------------------------------------------------------------------------------
# Comparisons


class _Compare:
    """A conjunction of comparison operators, e.g. ``>= 0.5 and < 0.9``."""

    __slots__ = ("ops", "text")

    def __init__(self, ops: list[tuple[str, float]]):
        self.ops = tuple((name, value, _OPS[name][1]) for name, value in ops)
        self.text = " and ".join(f"{_OPS[n][0]} {_show(t)}" for n, t in ops)

    def holds(self, v: Any) -> bool:
        """True when ``v`` is a finite number satisfying every operator."""
        if not _is_number(v):
            return False
        for _, t, fn in self.ops:
            if not fn(v, t):
                return False
        return True

    def describe(self) -> str:
        """The operators as text, e.g. '>= 0.5 and < 0.9'."""
        return self.text


def _compile_compare(items: dict[str, tuple[Any, str]], where: str, lo: float | None, hi: float | None) -> _Compare:
    """Validate operator -> (value, path) pairs; refuse redundant or unsatisfiable mixes."""
    if not items:
        raise _fail(where, f"needs at least one comparison operator ({_OP_NAMES})")
    ops = []
    for name, (value, path) in items.items():
        if not _is_number(value):
            raise _fail(path, f"must be a number, got {_show(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise _fail(path, f"must be between {_show(lo)} and {_show(hi)}, got {_show(value)}")
        ops.append((name, value))
    names = set(items)
    if "Equals" in names and len(names) > 1:
        raise _fail(items["Equals"][1], "Equals cannot be combined with other comparison operators")
    for group in (_LOWER, _UPPER):
        if all(g in names for g in group):
            raise _fail(items[group[1]][1], f"give only one of {group[0]} and {group[1]}")
    low = next((n for n in _LOWER if n in names), None)
    high = next((n for n in _UPPER if n in names), None)
    if low and high:
        lv, hv = items[low][0], items[high][0]
        if lv > hv or (lv == hv and (low == "GreaterThan" or high == "LessThan")):
            raise _fail(items[high][1], f"{low} {_show(lv)} and {high} {_show(hv)} can never both hold")
    # Stable order (lower bound first) makes reasons read like a band: ">= 0.5 and < 0.9".
    order = {n: i for i, n in enumerate(("Equals",) + _LOWER + _UPPER)}
    ops.sort(key=lambda o: order[o[0]])
    return _Compare(ops)


# ---------------------------------------------------------------------------------------------
# Nodes


class _Node:
    """A compiled condition; ``run`` returns (value, result node, reason-or-None)."""

    __slots__ = ("template",)

    def run(self, ctx: _Ctx) -> tuple[bool, dict, str | None]:
        raise NotImplementedError


class _Leaf(_Node):
    __slots__ = ()

    def run(self, ctx: _Ctx) -> tuple[bool, dict, str | None]:
        value, reason = self.check(ctx)
        result = _jcopy(self.template)
        result["EvaluationResult"] = value
        if not value:
            return False, result, None
        # Reasons are formatted only for true conditions; check() may hand back a callable.
        return True, result, (reason() if callable(reason) else reason)

    def check(self, ctx: _Ctx) -> tuple[bool, str | Callable[[], str]]:
        raise NotImplementedError


class _Logic(_Node):
    __slots__ = ("op", "children")

    def __init__(self, template: dict, op: str, children: list[_Node]):
        self.template, self.op, self.children = template, op, tuple(children)

    def run(self, ctx: _Ctx) -> tuple[bool, dict, str | None]:
        # No short-circuit: every node needs its EvaluationResult in the results copy.
        outs = [c.run(ctx) for c in self.children]
        values = [o[0] for o in outs]
        value = all(values) if self.op == "And" else any(values)
        reason = None
        if value:
            reason = f"{self.op}(" + "; ".join(o[2] for o in outs if o[0]) + ")"
        return value, {self.op: [o[1] for o in outs], "EvaluationResult": value}, reason


class _Sampling(_Leaf):
    __slots__ = ("percentage", "_seed")

    def __init__(self, template: dict, path: str, percentage: float):
        self.template, self.percentage = template, percentage
        # Hash the path first so the prefix state can be computed once and copied per call.
        self._seed = hashlib.sha256(path.encode() + b"\x00")

    def check(self, ctx: _Ctx) -> tuple[bool, str | Callable[[], str]]:
        h = self._seed.copy()
        h.update(ctx.raw_bytes())
        draw = int.from_bytes(h.digest()[:8], "big") >> 11  # 53 uniform bits
        # Integer-vs-float comparison is exact, so 100 % always selects and 0.01 % stays 1 in 10^4.
        value = draw * 100 < self.percentage * (1 << 53)
        pct = self.percentage
        return value, lambda: f"Sampling {_show(pct)}%: draw {draw * 100 / (1 << 53):.4f} < {_show(pct)}"


class _ModelConfidence(_Leaf):
    __slots__ = ("path", "steps", "compare")

    def __init__(self, template: dict, path: str, steps: tuple, compare: _Compare):
        self.template, self.path, self.steps, self.compare = template, path, steps, compare

    def check(self, ctx: _Ctx) -> tuple[bool, str | Callable[[], str]]:
        doc = ctx.doc()
        v = _MISSING if doc is None else _resolve(doc, self.steps)
        if v is _MISSING:
            return True, f"ModelConfidence at {self.path} is missing (unknown confidence: human review)"
        if not _is_number(v):
            return True, f"ModelConfidence at {self.path} = {_show(v)} is not a number (unknown confidence: human review)"
        return self.compare.holds(v), lambda: f"ModelConfidence at {self.path} = {_show(v)} {self.compare.text}"


class _ModelLabel(_Leaf):
    __slots__ = ("path", "steps", "negate", "values", "shown")

    def __init__(self, template: dict, path: str, steps: tuple, negate: bool, values: list):
        self.template, self.path, self.steps, self.negate = template, path, steps, negate
        # Python equality is JSON equality here: bools are refused at parse time, 1 == 1.0, "1" != 1.
        self.values = frozenset(values)
        self.shown = _show(values)

    def check(self, ctx: _Ctx) -> tuple[bool, str | Callable[[], str]]:
        doc = ctx.doc()
        v = _MISSING if doc is None else _resolve(doc, self.steps)
        if v is _MISSING or v is None:
            return True, f"ModelLabel at {self.path} is missing (unknown label: human review)"
        if not (type(v) is str or _is_number(v)):
            return True, f"ModelLabel at {self.path} = {_show(v)} is not a string or number (unknown label: human review)"
        found = v in self.values
        value = found != self.negate
        return value, lambda: f"ModelLabel at {self.path} = {_show(v)} {'not in' if self.negate else 'in'} {self.shown}"


class _FormKey(_Leaf):
    __slots__ = ("key", "names", "wildcard", "kv", "word", "missing")

    def __init__(self, template: dict, key: str, aliases: list[str], kv: _Compare | None,
                 word: _Compare | None, missing: bool):
        self.template, self.key, self.kv, self.word, self.missing = template, key, kv, word, missing
        self.names = frozenset(_normalize_key(a) for a in [key, *aliases])
        self.wildcard = key == "*" or "*" in aliases

    def check(self, ctx: _Ctx) -> tuple[bool, str | Callable[[], str]]:
        keys = ctx.textract_keys()
        kind = "MissingImportantFormKey" if self.missing else "ImportantFormKeyConfidenceCheck"
        if keys is None:
            return self.missing, f"{kind} {_show(self.key)}: no Textract Blocks in InputContent"
        matching = [k for k in keys if self.wildcard or k[0] in self.names]
        if self.missing:
            return not matching, f"{kind} {_show(self.key)}: no matching KEY block"
        for _, text, key_conf, confs in matching:
            if self.kv is not None and not self.kv.holds(key_conf):
                continue
            if self.word is None:
                return True, f"{kind}: key {_show(text)} KEY confidence {_show(key_conf)} {self.kv.describe()}"
            hit = next((c for c in confs if self.word.holds(c)), None)
            if hit is not None:
                kv = f"KEY confidence {_show(key_conf)} {self.kv.describe()}, " if self.kv else ""
                return True, f"{kind}: key {_show(text)} {kv}WORD confidence {_show(hit)} {self.word.describe()}"
        return False, ""


class _Moderation(_Leaf):
    __slots__ = ("name", "compare")

    def __init__(self, template: dict, name: str, compare: _Compare):
        self.template, self.name, self.compare = template, name, compare

    def check(self, ctx: _Ctx) -> tuple[bool, str | Callable[[], str]]:
        labels = ctx.moderation_labels()
        if labels is None:
            return False, ""
        for label in labels:
            if type(label) is not dict:
                continue
            name = _field(label, "Name", "name")
            if self.name != "*" and name != self.name:
                continue
            conf = _field(label, "Confidence", "confidence")
            if self.compare.holds(conf):
                return True, (f"ModerationLabelConfidenceCheck: label {_show(name)} confidence "
                              f"{_show(conf)} {self.compare.describe()}")
        return False, ""


# ---------------------------------------------------------------------------------------------
# Parsing


def _expect_object(v: Any, where: str) -> dict:
    if type(v) is not dict:
        raise _fail(where, f"must be a JSON object, got {_show(v)}")
    return v


def _check_keys(params: dict, where: str, allowed: tuple[str, ...], kind: str) -> None:
    for k in params:
        if k not in allowed:
            raise _fail(f"{where}.{k}", f"unknown parameter for {kind} (allowed: {', '.join(allowed)})")


def _ops_from(params: dict, where: str, prefix: str) -> dict[str, tuple[Any, str]] | None:
    """Collect ``prefix`` comparisons in nested ({prefix: {op: n}}) or AWS flat ({prefix+op: n}) form."""
    items: dict[str, tuple[Any, str]] = {}
    flat = [op for op in _OPS if prefix + op in params]
    for op in flat:
        items[op] = (params[prefix + op], f"{where}.{prefix}{op}")
    if prefix and prefix in params:
        if flat:
            raise _fail(f"{where}.{prefix}", f"give either {prefix} or {prefix}<Operator> parameters, not both")
        nested = _expect_object(params[prefix], f"{where}.{prefix}")
        for k, v in nested.items():
            if k not in _OPS:
                raise _fail(f"{where}.{prefix}.{k}", f"unknown comparison operator (allowed: {_OP_NAMES})")
            items[k] = (v, f"{where}.{prefix}.{k}")
        if not items:
            raise _fail(f"{where}.{prefix}", f"needs at least one comparison operator ({_OP_NAMES})")
    return items or None


def _allowed_with_ops(base: tuple[str, ...], *prefixes: str) -> tuple[str, ...]:
    out = list(base)
    for p in prefixes:
        if p:
            out.append(p)
        out.extend(p + op for op in _OPS)
    return tuple(out)


def _form_key_params(params: dict, where: str) -> tuple[str, list[str]]:
    key = params.get("ImportantFormKey", _MISSING)
    if key is _MISSING:
        raise _fail(f"{where}.ImportantFormKey", "is required")
    if type(key) is not str or not _normalize_key(key):
        raise _fail(f"{where}.ImportantFormKey", f"must be a non-empty string, got {_show(key)}")
    aliases = params.get("ImportantFormKeyAliases", [])
    if type(aliases) is not list:
        raise _fail(f"{where}.ImportantFormKeyAliases", f"must be a list of strings, got {_show(aliases)}")
    for i, a in enumerate(aliases):
        if type(a) is not str or not _normalize_key(a):
            raise _fail(f"{where}.ImportantFormKeyAliases[{i}]", f"must be a non-empty string, got {_show(a)}")
    return key, aliases


def _build_sampling(template: dict, params: dict, where: str, path: str) -> _Node:
    _check_keys(params, where, ("RandomSamplingPercentage",), "Sampling")
    if "RandomSamplingPercentage" not in params:
        raise _fail(f"{where}.RandomSamplingPercentage", "is required")
    pct = params["RandomSamplingPercentage"]
    if not _is_number(pct):
        raise _fail(f"{where}.RandomSamplingPercentage", f"must be a number, got {_show(pct)}")
    if not 0.01 <= pct <= 100:
        raise _fail(f"{where}.RandomSamplingPercentage", f"must be between 0.01 and 100, got {_show(pct)}")
    return _Sampling(template, path, float(pct))


def _build_model_confidence(template: dict, params: dict, where: str, path: str) -> _Node:
    _check_keys(params, where, ("ScorePath", *_OPS), "ModelConfidenceCheck")
    if "ScorePath" not in params:
        raise _fail(f"{where}.ScorePath", "is required")
    steps = _compile_path(params["ScorePath"], f"{where}.ScorePath")
    compare = _compile_compare(_ops_from(params, where, "") or {}, where, None, None)
    return _ModelConfidence(template, params["ScorePath"], steps, compare)


def _build_model_label(template: dict, params: dict, where: str, path: str) -> _Node:
    _check_keys(params, where, ("LabelPath", "In", "NotIn"), "ModelLabelCheck")
    if "LabelPath" not in params:
        raise _fail(f"{where}.LabelPath", "is required")
    steps = _compile_path(params["LabelPath"], f"{where}.LabelPath")
    given = [k for k in ("In", "NotIn") if k in params]
    if len(given) != 1:
        raise _fail(where, "needs exactly one of In or NotIn")
    which = given[0]
    values = params[which]
    if type(values) is not list or not 1 <= len(values) <= 100:
        raise _fail(f"{where}.{which}", "must be a list of 1 to 100 strings or numbers")
    for i, v in enumerate(values):
        if not (type(v) is str or _is_number(v)):
            raise _fail(f"{where}.{which}[{i}]", f"must be a string or number, got {_show(v)}")
    return _ModelLabel(template, params["LabelPath"], steps, which == "NotIn", values)


def _build_form_key_confidence(template: dict, params: dict, where: str, path: str) -> _Node:
    allowed = _allowed_with_ops(("ImportantFormKey", "ImportantFormKeyAliases"),
                                "KeyValueBlockConfidence", "WordBlockConfidence")
    _check_keys(params, where, allowed, "ImportantFormKeyConfidenceCheck")
    key, aliases = _form_key_params(params, where)
    kv_items = _ops_from(params, where, "KeyValueBlockConfidence")
    word_items = _ops_from(params, where, "WordBlockConfidence")
    if kv_items is None and word_items is None:
        raise _fail(where, "needs KeyValueBlockConfidence or WordBlockConfidence comparisons (at least one)")
    kv = _compile_compare(kv_items, f"{where}.KeyValueBlockConfidence", 0, 100) if kv_items else None
    word = _compile_compare(word_items, f"{where}.WordBlockConfidence", 0, 100) if word_items else None
    return _FormKey(template, key, aliases, kv, word, missing=False)


def _build_missing_form_key(template: dict, params: dict, where: str, path: str) -> _Node:
    _check_keys(params, where, ("ImportantFormKey", "ImportantFormKeyAliases"), "MissingImportantFormKey")
    key, aliases = _form_key_params(params, where)
    return _FormKey(template, key, aliases, None, None, missing=True)


def _build_moderation(template: dict, params: dict, where: str, path: str) -> _Node:
    allowed = _allowed_with_ops(("ModerationLabelName",), "Confidence")
    _check_keys(params, where, allowed, "ModerationLabelConfidenceCheck")
    name = params.get("ModerationLabelName", _MISSING)
    if name is _MISSING:
        raise _fail(f"{where}.ModerationLabelName", "is required")
    if type(name) is not str or not name:
        raise _fail(f"{where}.ModerationLabelName", f"must be a non-empty string, got {_show(name)}")
    items = _ops_from(params, where, "Confidence")
    if items is None:
        raise _fail(f"{where}.Confidence", f"is required (one or more of {_OP_NAMES})")
    return _Moderation(template, name, _compile_compare(items, f"{where}.Confidence", 0, 100))


_BUILDERS: dict[str, Callable[[dict, dict, str, str], _Node]] = {
    "Sampling": _build_sampling,
    "ModelConfidenceCheck": _build_model_confidence,
    "ModelLabelCheck": _build_model_label,
    "ImportantFormKeyConfidenceCheck": _build_form_key_confidence,
    "MissingImportantFormKey": _build_missing_form_key,
    "ModerationLabelConfidenceCheck": _build_moderation,
}


def _build(node: Any, path: str, level: int) -> _Node:
    """Compile one ComplexCondition; ``level`` is the number of And/Or arrays enclosing it."""
    node = _expect_object(node, path)
    logic = [k for k in ("And", "Or") if k in node]
    if "ConditionType" in node or not logic:
        if logic:
            raise _fail(f"{path}.{logic[0]}", "a condition has exactly one of ConditionType, And, Or")
        if not node:
            raise _fail(path, "empty condition: needs ConditionType, And or Or")
        for k in node:
            if k not in ("ConditionType", "ConditionParameters"):
                raise _fail(f"{path}.{k}", "unknown key (allowed: ConditionType, ConditionParameters, And, Or)")
        ctype = node.get("ConditionType", _MISSING)
        if ctype is _MISSING:
            raise _fail(f"{path}.ConditionType", "is required")
        if type(ctype) is not str:
            raise _fail(f"{path}.ConditionType", f"must be a string, got {_show(ctype)}")
        builder = _BUILDERS.get(ctype)
        if builder is None:
            raise _fail(f"{path}.ConditionType", f"unknown condition type {_show(ctype)} (known: {', '.join(_BUILDERS)})")
        if "ConditionParameters" not in node:
            raise _fail(f"{path}.ConditionParameters", f"is required for {ctype}")
        where = f"{path}.ConditionParameters"
        params = _expect_object(node["ConditionParameters"], where)
        return builder(node, params, where, path)
    if len(node) != 1:
        extra = next(k for k in node if k != logic[0])
        raise _fail(f"{path}.{extra}", f"an {logic[0]} condition has no other keys")
    op = logic[0]
    where = f"{path}.{op}"
    if level >= MAX_NESTING:
        raise _fail(where, f"too deeply nested: at most {MAX_NESTING} levels of And/Or are allowed")
    members = node[op]
    if type(members) is not list:
        raise _fail(where, f"must be a list of conditions, got {_show(members)}")
    if len(members) < 2:
        raise _fail(where, f"needs at least 2 conditions, got {len(members)}")
    children = [_build(m, f"{where}[{i}]", level + 1) for i, m in enumerate(members)]
    return _Logic(node, op, children)


@dataclass
class Evaluation:
    """Outcome of evaluating a ConditionSet against one InputContent."""

    activated: bool
    results: dict  # AWS humanTaskActivationConditionResults: the definition plus EvaluationResult per node
    reasons: list[str] = field(default_factory=list)  # one per true top-level condition


class ConditionSet:
    """Compiled activation conditions; immutable and safe to share between threads."""

    __slots__ = ("raw", "definition", "_roots")

    def __init__(self, raw: str, definition: dict, roots: list[_Node]):
        self.raw = raw
        self.definition = definition  # the parsed JSON; treat as read-only
        self._roots = tuple(roots)

    def evaluate(self, input_content: str | object) -> Evaluation:
        """Evaluate every condition against InputContent (a JSON string, or an already-parsed object)."""
        ctx = _Ctx(input_content)
        results, reasons, activated = [], [], False
        for root in self._roots:
            value, result, reason = root.run(ctx)
            results.append(result)
            if value:
                activated = True
                reasons.append(reason)
        return Evaluation(activated, {"Conditions": results}, reasons)

    def __repr__(self) -> str:
        return f"ConditionSet({self.raw[:80]!r})"


def parse_conditions(raw: str) -> ConditionSet:
    """Validate an activation-conditions JSON string; raise ValidationError naming the bad part."""
    if not isinstance(raw, str):
        raise ValidationError("HumanLoopActivationConditions must be a JSON string")
    if len(raw) > MAX_CONDITIONS_LENGTH:
        raise ValidationError(
            f"HumanLoopActivationConditions is {len(raw)} characters; the maximum is {MAX_CONDITIONS_LENGTH}")
    return _parse_cached(raw)


@functools.lru_cache(maxsize=256)
def _parse_cached(raw: str) -> ConditionSet:
    # Flow definitions are few and their conditions never change, so callers that re-parse per
    # StartHumanLoop still pay the parse cost once; ConditionSet is immutable so sharing is safe.
    try:
        doc = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _BadJson as e:
        raise ValidationError(f"HumanLoopActivationConditions is not valid JSON: {e}") from None
    except (ValueError, RecursionError) as e:
        raise ValidationError(f"HumanLoopActivationConditions is not valid JSON: {e}") from None
    if type(doc) is not dict:
        raise ValidationError("HumanLoopActivationConditions must be a JSON object with a Conditions list")
    for k in doc:
        if k != "Conditions":
            raise _fail(k, "unknown key (the top level has only Conditions)")
    if "Conditions" not in doc:
        raise _fail("Conditions", "is required")
    conditions = doc["Conditions"]
    if type(conditions) is not list or not conditions:
        raise _fail("Conditions", "must be a non-empty list of conditions")
    roots = [_build(c, f"Conditions[{i}]", 0) for i, c in enumerate(conditions)]
    return ConditionSet(raw, doc, roots)
