"""Render A2I task templates: Shopify Liquid with autoescape and AWS's extra filters.

AWS renders worker task templates with Liquid, HTML autoescaping switched on, and a few
filters of its own (``grant_read_access``, ``to_json``, ``skip_autoescape``, ``escape``,
``escape_once``). Lists and objects print as JSON rather than as language-specific text.
This module reproduces that on top of python-liquid 2.x.

Escaping facts (markupsafe, which python-liquid uses for autoescape):
``&`` -> ``&amp;``, ``<`` -> ``&lt;``, ``>`` -> ``&gt;``, ``"`` -> ``&#34;``,
``'`` -> ``&#39;``. Browsers decode all of these back inside text and attribute values.

JSON decision: ``to_json`` returns a plain (unsafe) string, so autoescape HTML-escapes it
when it is printed. ``attr="{{ x | to_json }}"`` and ``attr="{{ x | to_json | escape }}"``
therefore give the same, valid, double-quoted attribute (``escape`` never escapes twice).
Inside ``<script>`` use ``{{ x | to_json | skip_autoescape }}`` to get raw JSON. Every JSON
text this module produces writes ``<``, ``>``, ``&``, U+2028 and U+2029 inside strings as
``\\u003c``-style escapes (the same JSON value, as Rails' to_json does), so hostile input
cannot close a ``<script>`` element even when autoescape is skipped.
"""

from __future__ import annotations

import contextvars
import hashlib
import html as _html
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Callable
from typing import TextIO
from urllib.parse import unquote
from urllib.parse import urlsplit

from liquid import BoundTemplate
from liquid import Environment
from liquid import Markup
from liquid import Undefined
from liquid import escape as _markup_escape
from liquid import is_undefined
from liquid.builtin.output import Output
from liquid.builtin.output import OutputNode
from liquid.builtin.tags.echo_tag import EchoNode
from liquid.builtin.tags.echo_tag import EchoTag
from liquid.context import RenderContext
from liquid.exceptions import FilterArgumentError
from liquid.exceptions import FilterError
from liquid.exceptions import LiquidError
from liquid.filter import math_filter
from liquid.filter import num_arg
from liquid.token import TOKEN_EXPRESSION
from liquid.token import TOKEN_OUTPUT
from liquid.token import TOKEN_TAG

__all__ = [
    "CompiledTemplate",
    "TemplateError",
    "parse_s3_url",
    "parse_template",
    "render_task",
    "rewrite_crowd_script",
]

GrantReadAccess = Callable[[str], str]


class TemplateError(Exception):
    """A task template that does not parse or fails to render."""

    def __init__(
        self, message: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        # 1-based position in the template source, when python-liquid knows it.
        self.line = line
        self.column = column


# --- value -> text ---------------------------------------------------------------

# Characters that may only occur inside JSON strings, so swapping them for \u escapes
# changes no JSON value but keeps the text inert inside <script> and HTML.
_JSON_SCRIPT_SAFE = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _json_default(value: object) -> object:
    # Only reached for values json cannot encode itself: Liquid drops and locals.
    if isinstance(value, Undefined):
        return None
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (range, set, frozenset)):
        return list(value)
    return str(value)


def _dump_json(value: object) -> str:
    # Compact and non-ASCII-preserving, like Ruby's to_json.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    # A few str.replace calls beat str.translate with a dict by ~10x on typical input.
    for char, escaped in _JSON_SCRIPT_SAFE:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _to_text(value: object) -> str:
    """Unescaped text of a value as AWS's Liquid prints it."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return _dump_json(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, range):
        return f"{value.start}..{value.stop - 1}"
    if isinstance(value, Mapping):
        return _dump_json(value)
    return str(value)


def _to_output(value: object) -> str:
    """HTML for ``{{ value }}`` under autoescape (Markup passes through unchanged)."""
    if isinstance(value, str):
        return _markup_escape(value)
    return _markup_escape(_to_text(value))


class _AwsOutputNode(OutputNode):
    """``{{ ... }}`` that prints lists and objects as JSON, as AWS does."""

    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Render the node to the output buffer."""
        return buffer.write(_to_output(self.expression.evaluate(context)))

    async def render_to_output_async(
        self, context: RenderContext, buffer: TextIO
    ) -> int:
        """Render the node to the output buffer."""
        return buffer.write(_to_output(await self.expression.evaluate_async(context)))


class _AwsOutput(Output):
    node_class = _AwsOutputNode


class _AwsEchoNode(EchoNode):
    """``{% echo ... %}`` printing the same way as ``{{ ... }}``."""

    __slots__ = ()
    render_to_output = _AwsOutputNode.render_to_output
    render_to_output_async = _AwsOutputNode.render_to_output_async


class _AwsEchoTag(EchoTag):
    node_class = _AwsEchoNode


# --- AWS filters -----------------------------------------------------------------

# The grant_read_access callable of the render in progress. A context variable (not a
# template variable) so templates can neither read nor replace it, and concurrent
# renders in other threads each see their own.
_grant_var: contextvars.ContextVar[GrantReadAccess | None] = contextvars.ContextVar(
    "hitl_grant_read_access", default=None
)


def _filter_to_json(value: object) -> str:
    # Plain str on purpose: autoescape then makes it safe in an attribute.
    if isinstance(value, Undefined):
        return "null"
    return _dump_json(value)


def _filter_skip_autoescape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(_to_text(value))


def _filter_escape(value: object) -> Markup:
    # Same as autoescape, made explicit: already-safe text (Markup) is not escaped again.
    if isinstance(value, str):
        return _markup_escape(value)
    return _markup_escape(_to_text(value))


# An "&" that already starts a character reference is left alone by escape_once.
_ESCAPE_ONCE_RE = re.compile(r"[<>\"']|&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
_ESCAPE_ONCE_MAP = {"<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "&": "&amp;"}


def _filter_escape_once(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    text = _to_text(value)
    return Markup(_ESCAPE_ONCE_RE.sub(lambda m: _ESCAPE_ONCE_MAP[m.group()], text))


def _filter_grant_read_access(value: object) -> str:
    if value is None or isinstance(value, Undefined):
        return ""
    url = _to_text(value).strip()
    grant = _grant_var.get()
    if grant is None or not url:
        return url
    try:
        granted = grant(url)
    except Exception as err:  # noqa: BLE001 - any failure becomes a template error
        raise FilterError(
            f"grant_read_access: cannot grant read access to {url!r}: {err}",
            token=None,
        ) from err
    # Plain str so autoescape encodes the presigned URL's "&" as "&amp;".
    return str(granted)


@math_filter
def _filter_round(num: float | int, ndigits: object = None) -> float | int:
    # python-liquid uses Python's round() (ties to even: 2.5 -> 2); Shopify Liquid is
    # Ruby, which rounds ties away from zero (2.5 -> 3). Templates were written for Ruby.
    digits = 0
    if ndigits is not None and not is_undefined(ndigits):
        try:
            digits = int(num_arg(ndigits))
        except FilterArgumentError:
            digits = 0
    if digits < 0:
        return 0
    if isinstance(num, int):
        return num
    if not math.isfinite(num) or abs(num) >= 2**52:
        # Already integral (or not a number); Decimal would only lose precision here.
        return int(num) if digits == 0 and math.isfinite(num) else num
    rounded = Decimal(repr(num)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return int(rounded) if digits == 0 else float(rounded)


class _AwsEnvironment(Environment):
    # Template authors are trusted, but a runaway loop must not pin a web worker.
    loop_iteration_limit = 1_000_000

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        """Register standard Liquid plus AWS's output rules and filters."""
        super().setup_tags_and_filters(extra=extra)
        # A task template is one self-contained document; there is nothing to include,
        # so say so at parse time instead of "template not found" at render time.
        for tag_name in ("include", "render"):
            self.tags.pop(tag_name, None)
        self.add_tag(_AwsOutput)
        self.add_tag(_AwsEchoTag)
        self.add_filter("to_json", _filter_to_json)
        self.add_filter("skip_autoescape", _filter_skip_autoescape)
        self.add_filter("escape", _filter_escape)
        self.add_filter("escape_once", _filter_escape_once)
        self.add_filter("grant_read_access", _filter_grant_read_access)
        self.add_filter("round", _filter_round)


# Built once: environments are costly to create and immutable after setup.
_ENV = _AwsEnvironment(autoescape=True)


# --- errors ----------------------------------------------------------------------

_UNCLOSED_RE = re.compile(r"^expected tag end(\w+), found end of expression$")


def _position(source: str, index: int) -> tuple[int, int]:
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return line, column


def _statement_sources(source: str):
    """Yield (index, text) for each top-level tag or output statement in source."""
    tokens = list(_ENV.tokenizer()(source))
    for i, tok in enumerate(tokens):
        if tok.kind == TOKEN_OUTPUT:
            yield tok.start_index, tok.value
        elif tok.kind == TOKEN_TAG and tok.value in _ENV.tags:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            expr = nxt.value if nxt is not None and nxt.kind == TOKEN_EXPRESSION else ""
            text = f"{{% {tok.value} {expr} %}}"
            if _ENV.tags[tok.value].block:
                text += f"{{% end{tok.value} %}}"
            yield tok.start_index, text


def _locate(source: str, message: str) -> int | None:
    """Find where a parse error python-liquid reports without a position happened."""
    try:
        unclosed = _UNCLOSED_RE.match(message)
        if unclosed:
            # The innermost still-open block of that kind is the one missing its end tag.
            stack: list[tuple[str, int]] = []
            for tok in _ENV.tokenizer()(source):
                if tok.kind != TOKEN_TAG:
                    continue
                tag = _ENV.tags.get(tok.value)
                if tag is not None and tag.block:
                    stack.append((tok.value, tok.start_index))
                elif tok.value.startswith("end"):
                    for depth in range(len(stack) - 1, -1, -1):
                        if stack[depth][0] == tok.value[3:]:
                            del stack[depth:]
                            break
            for name, index in reversed(stack):
                if name == unclosed.group(1):
                    return index
            return None
        # Otherwise parse statements one at a time; the first failing the same way is it.
        for index, text in _statement_sources(source):
            try:
                _ENV.from_string(text)
            except LiquidError as err:
                if str(err.message) == message:
                    return index
    except LiquidError:
        return None
    return None


def _template_error(err: LiquidError, source: str | None) -> TemplateError:
    message = str(err.message) if err.message is not None else type(err).__name__
    index: int | None = None
    token = err.token
    if token is not None and token.start_index >= 0 and token.source:
        source, index = token.source, token.start_index
    elif source is not None:
        index = _locate(source, message)
    unclosed = _UNCLOSED_RE.match(message)
    if unclosed:
        # python-liquid calls the end of the template "end of expression".
        message = (
            f"'{{% {unclosed.group(1)} %}}' is never closed: expected "
            f"'{{% end{unclosed.group(1)} %}}' before the end of the template"
        )
    if index is None or source is None:
        return TemplateError(message)
    line, column = _position(source, index)
    return TemplateError(f"{message} (line {line}, column {column})", line=line, column=column)


# --- compile and render ----------------------------------------------------------


class CompiledTemplate:
    """A parsed task template, reused for every task rendered with it."""

    __slots__ = ("_bound", "sha256")

    def __init__(self, bound: BoundTemplate, sha256: str) -> None:
        self._bound = bound
        self.sha256 = sha256

    def render(
        self, task_input: object, *, grant_read_access: GrantReadAccess | None = None
    ) -> str:
        """Render for one task whose parsed InputContent is task_input."""
        reset = _grant_var.set(grant_read_access)
        try:
            return self._bound.render(task={"input": task_input})
        except LiquidError as err:
            raise _template_error(err, None) from err
        except (ArithmeticError, ValueError, TypeError, RecursionError) as err:
            # Filters can trip over odd input data; the reviewer page needs a message,
            # not a 500.
            raise TemplateError(f"template failed to render: {err}") from err
        finally:
            _grant_var.reset(reset)


_CACHE_MAX = 256
_cache: OrderedDict[str, CompiledTemplate] = OrderedDict()
_cache_lock = threading.Lock()


def _compile(source: str, digest: str) -> CompiledTemplate:
    try:
        bound = _ENV.from_string(source)
        # python-liquid only looks filters up at render time; AWS rejects an unknown
        # filter when the template is created, so check every filter now.
        filters = bound.analyze(include_partials=False).filters
    except LiquidError as err:
        raise _template_error(err, source) from err
    for name, spans in filters.items():
        if name not in _ENV.filters:
            line, column = _position(source, spans[0].index)
            raise TemplateError(
                f"unknown filter '{name}' (line {line}, column {column})",
                line=line,
                column=column,
            )
    return CompiledTemplate(bound, digest)


def parse_template(source: str) -> CompiledTemplate:
    """Parse a task template; raise TemplateError with the Liquid error message if it does not parse."""
    if not isinstance(source, str):
        raise TypeError(f"template source must be str, not {type(source).__name__}")
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    with _cache_lock:
        compiled = _cache.get(digest)
        if compiled is not None:
            _cache.move_to_end(digest)
            return compiled
    # Parse outside the lock: two threads parsing the same new template is harmless.
    compiled = _compile(source, digest)
    with _cache_lock:
        _cache[digest] = compiled
        _cache.move_to_end(digest)
        while len(_cache) > _CACHE_MAX:
            _cache.popitem(last=False)
    return compiled


def render_task(
    source_or_compiled: str | CompiledTemplate,
    task_input: object,
    *,
    grant_read_access: GrantReadAccess | None = None,
) -> str:
    """Render a task template for one task: `task.input` is the parsed InputContent; returns HTML (str)."""
    compiled = (
        source_or_compiled
        if isinstance(source_or_compiled, CompiledTemplate)
        else parse_template(source_or_compiled)
    )
    return compiled.render(task_input, grant_read_access=grant_read_access)


# --- S3 URLs ---------------------------------------------------------------------

# s3.amazonaws.com, s3.<region>.amazonaws.com, s3-<region>.amazonaws.com,
# s3.dualstack.<region>.amazonaws.com, and the .com.cn partition; with "<bucket>."
# in front for virtual-hosted style.
_S3_HOST_RE = re.compile(
    r"^(?:(?P<bucket>.+)\.)?s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$"
)


def parse_s3_url(url: str) -> tuple[str, str] | None:
    """Return (bucket, key) for an s3:// URI or an S3 https URL, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if url[:5].lower() == "s3://":
        # s3:// URIs carry the key verbatim (no percent-decoding, "?" is part of it).
        bucket, sep, key = url[5:].partition("/")
        return (bucket, key) if bucket and sep and key else None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    match = _S3_HOST_RE.match(parts.hostname.lower())
    if match is None:
        return None
    path = parts.path.lstrip("/")
    if match.group("bucket"):
        bucket, key = match.group("bucket"), path
    else:
        bucket, _, key = path.partition("/")
    key = unquote(key)
    return (bucket, key) if bucket and key else None


# --- crowd-html-elements.js ------------------------------------------------------

# A <script ...> start tag; quoted attribute values may contain ">".
_SCRIPT_TAG_RE = re.compile(r"""<script\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_SRC_ATTR_RE = re.compile(
    r"""(?P<lead>\s)src\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\s"'=<>`]+))""",
    re.IGNORECASE,
)
_CROWD_JS_RE = re.compile(
    r"^\s*(?:https?:)?//assets\.crowd\.aws/crowd-html-elements(?:-v2)?\.js(?:[?#].*)?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def rewrite_crowd_script(html: str, local_src: str) -> str:
    """Point every <script> that loads AWS's crowd-html-elements.js (v1 or -v2) at local_src instead."""
    replacement_attr = f'src="{_html.escape(local_src, quote=True)}"'

    def rewrite_tag(tag_match: re.Match[str]) -> str:
        tag = tag_match.group()
        src = _SRC_ATTR_RE.search(tag)
        if src is None:
            return tag
        value = src.group("dq")
        if value is None:
            value = src.group("sq") if src.group("sq") is not None else src.group("uq")
        if not _CROWD_JS_RE.match(_html.unescape(value)):
            return tag
        return tag[: src.start()] + src.group("lead") + replacement_attr + tag[src.end() :]

    return _SCRIPT_TAG_RE.sub(rewrite_tag, html)
