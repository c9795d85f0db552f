"""Task template rendering: what a reviewer's browser receives for AWS-style templates."""

from __future__ import annotations

import html
import json
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hitl_service.review import liquid
from hitl_service.review.liquid import CompiledTemplate
from hitl_service.review.liquid import TemplateError
from hitl_service.review.liquid import parse_s3_url
from hitl_service.review.liquid import parse_template
from hitl_service.review.liquid import render_task
from hitl_service.review.liquid import rewrite_crowd_script

TEMPLATES = Path(__file__).parent / "templates" / "liquid"
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


class _Elements(HTMLParser):
    """Collect start tags with attributes decoded the way a browser decodes them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text.append(data)


def parse_html(text: str) -> _Elements:
    parser = _Elements()
    parser.feed(text)
    parser.close()
    return parser


def attrs_of(text: str, tag: str) -> dict[str, str | None]:
    matches = [attrs for name, attrs in parse_html(text).found if name == tag]
    assert len(matches) == 1, f"expected one <{tag}>, found {len(matches)}"
    return matches[0]


def render(source: str, task_input: object = None, **kwargs) -> str:
    return render_task(source, task_input if task_input is not None else {}, **kwargs)


# --- sample templates ------------------------------------------------------------


def test_sentiment_template_escapes_hostile_input():
    out = render(
        template("sentiment.liquid.html"),
        {"taskObject": f"I'm {XSS} & fine", "initialValue": "1"},
    )
    assert (
        f"<classification-target>I&#39;m {XSS_ESCAPED} &amp; fine</classification-target>"
        in out
    )
    assert XSS not in out
    assert 'initial-value="1"' in out
    assert "categories=\"['-1', '0', '1']\"" in out
    assert "<short-instructions>" in out and "<full-instructions" in out
    # The browser sees the reviewer-visible text exactly as submitted.
    assert html.unescape(out).count(XSS) == 1


def test_bounding_box_presigns_and_escapes_for_attribute():
    presigned = "https://bucket.s3.amazonaws.com/img%201.jpg?X-Amz-Signature=ab&X-Amz-Expires=300"
    calls: list[str] = []

    def grant(url: str) -> str:
        calls.append(url)
        return presigned

    task_input = {
        "taskObject": "s3://bucket/img 1.jpg",
        "labels": ["Car", "Bus's \"stop\"", "<Sign>"],
        "initialBoxes": [{"label": "Car", "left": 1, "top": 2, "width": 3, "height": 4}],
    }
    out = render(template("bounding_box.liquid.html"), task_input, grant_read_access=grant)

    assert calls == ["s3://bucket/img 1.jpg"]
    assert 'src="https://bucket.s3.amazonaws.com/img%201.jpg?X-Amz-Signature=ab&amp;X-Amz-Expires=300"' in out
    box = attrs_of(out, "crowd-bounding-box")
    # What the element sees after the browser decodes the attributes.
    assert box["src"] == presigned
    assert json.loads(box["labels"]) == task_input["labels"]
    assert json.loads(box["initial-value"]) == task_input["initialBoxes"]
    assert box["header"] == "Draw a tight box around every object"
    assert "Draw one box per car / bus&#39;s &#34;stop&#34; / &lt;sign&gt;." in out


def test_bounding_box_without_grant_callable_keeps_url():
    out = render(template("bounding_box.liquid.html"), {"taskObject": "s3://b/k.png", "labels": []})
    assert attrs_of(out, "crowd-bounding-box")["src"] == "s3://b/k.png"
    assert 'labels="[]"' in out


# the sample order is shared with the B9 benchmark (bench/micro.py), which renders the same template
ORDER_INPUT = json.loads((TEMPLATES / "order_review.input.json").read_text())
assert ORDER_INPUT["lines"][1]["description"] == XSS


@pytest.fixture(scope="module")
def order_html() -> str:
    return render(
        template("order_review.liquid.html"),
        ORDER_INPUT,
        grant_read_access=lambda url: (
            url.replace("s3://scans/", "https://scans.s3.amazonaws.com/") + "?sig=1&exp=2"
        ),
    )


def test_order_capture_assign_hyphenated_and_bracketed_keys(order_html):
    assert '<h1 id="title">Order A-17 (3 lines)</h1>' in order_html
    assert (
        '<a href="https://scans.s3.amazonaws.com/orders/A-17.pdf?sig=1&amp;exp=2" target="_blank">'
        "s3://scans/orders/A-17.pdf</a>" in order_html
    )
    assert attrs_of(order_html, "input")["value"] == "A-17"
    assert "<p id=\"customer\">ANA O&#39;NEIL / ana@example.com</p>" in order_html


def test_order_hash_iteration(order_html):
    assert '<p id="meta"><span>channel=web</span><span>region=eu&lt;west&gt;</span></p>' in order_html


def test_order_for_loop_and_forloop_variables(order_html):
    assert '<tr class="odd" data-row="1">' in order_html
    assert '<tr class="even" data-row="2">' in order_html
    assert "<td>1 (first)</td>" in order_html
    assert "<td>3 (last)</td>" in order_html
    assert "<td>2</td>" in order_html
    assert "<td>AB-1</td>" in order_html
    assert f"<td>{XSS_ESCAPED}</td>" in order_html
    assert "<td>Bolts &amp; nuts</td>" in order_html
    assert '<span class="warn">Check</span>' in order_html
    assert "<td>Unknown</td>" in order_html
    assert order_html.count("<td>tax-free</td>") == 1
    # limit/offset: lines 2 and 3, renumbered from 1.
    assert '<p id="preview">[1:cd-2][2:ef-3]</p>' in order_html


def test_order_arithmetic_filters(order_html):
    # 3*1.5 + 1*2.25 + 10*0.125 = 8.0 (a float, printed as such); 8.0/3 = 2.666...; 8.0-0.5 = 7.5
    assert "<td>4.5</td>" in order_html and "<td>2.25</td>" in order_html and "<td>1.25</td>" in order_html
    assert '<p id="total">Total: 8.0; per line 2.67; after discount 7.5</p>' in order_html


def test_order_increment_split_join_default_append_conditions(order_html):
    assert '<p id="counter">0,1,2</p>' in order_html
    assert '<p id="tags">red + green + blue</p>' in order_html
    assert '<p id="note">no note!</p>' in order_html
    assert '<p id="priority">normal</p>' in order_html
    assert '<p id="flags">true|false||</p>' in order_html


def test_order_json_in_attributes(order_html):
    classifier = attrs_of(order_html, "crowd-classifier")
    assert json.loads(classifier["categories"]) == ORDER_INPUT["decisions"]
    assert classifier["initial-value"] == "approve"
    entities = attrs_of(order_html, "crowd-entity-annotation")
    assert json.loads(entities["labels"]) == ORDER_INPUT["entityLabels"]
    assert entities["text"] == "Ana O'Neil"
    assert attrs_of(order_html, "crowd-text-area")["value"] == ORDER_INPUT["comment"]
    assert attrs_of(order_html, "crowd-input")["value"] == "3"


def test_order_script_gets_raw_json_that_cannot_close_the_script(order_html):
    scripts = parse_html(order_html).script_text
    body = next(text for text in scripts if "const TASK" in text)
    literal = body.split("const TASK = ", 1)[1].split(";\n", 1)[0]
    assert json.loads(literal) == ORDER_INPUT
    # The hostile description is inside the JSON as \u003c escapes, not as a tag.
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in literal
    assert order_html.count("</script>") == 2  # the loader's and the template's own


# --- printing values -------------------------------------------------------------


def test_lists_and_objects_print_as_escaped_json():
    task_input = {"labels": ["a'b", "<c>", 1, None, True], "obj": {"k": [1.5, {"x": "&"}]}}
    out = render("{{ task.input.labels }}|{{ task.input.obj }}|{{ task }}", task_input)
    labels, obj, task = out.split("|")
    assert labels == "[&#34;a&#39;b&#34;,&#34;\\u003cc\\u003e&#34;,1,null,true]"
    assert json.loads(html.unescape(labels)) == task_input["labels"]
    assert json.loads(html.unescape(obj)) == task_input["obj"]
    assert json.loads(html.unescape(task)) == {"input": task_input}


def test_scalars_print_like_liquid():
    out = render(
        "{{ task.input.t }}|{{ task.input.f }}|{{ task.input.n }}|{{ task.input.i }}|{{ task.input.x }}"
        "|{{ nope.deeper }}",
        {"t": True, "f": False, "n": None, "i": 42, "x": 2.5},
    )
    assert out == "true|false||42|2.5|"


def test_autoescape_characters():
    # markupsafe's choices: ' -> &#39; and " -> &#34;
    out = render("{{ task.input }}", "a'b\"c&d<e>f")
    assert out == "a&#39;b&#34;c&amp;d&lt;e&gt;f"


def test_input_is_data_never_liquid():
    out = render("<p>{{ task.input.q }}</p>", {"q": "{{ 7 | times: 7 }}{% if true %}x{% endif %}"})
    assert out == "<p>{{ 7 | times: 7 }}{% if true %}x{% endif %}</p>"


# --- AWS filters -----------------------------------------------------------------


def test_escape_does_not_double_escape_autoescape():
    out = render("{{ task.input | escape }}|{{ task.input }}", "<a href='x'>&amp;</a>")
    first, second = out.split("|")
    assert first == second == "&lt;a href=&#39;x&#39;&gt;&amp;amp;&lt;/a&gt;"


def test_escape_once_keeps_existing_entities():
    out = render("{{ task.input | escape_once }}", "a &amp; b & <c> &#39; &#x27; &copy; &nope")
    assert out == "a &amp; b &amp; &lt;c&gt; &#39; &#x27; &copy; &amp;nope"


def test_skip_autoescape_returns_raw():
    out = render(
        "{{ task.input.h | skip_autoescape }}|{{ task.input.l | skip_autoescape }}",
        {"h": "<b>&</b>", "l": ["<i>"]},
    )
    assert out == '<b>&</b>|["\\u003ci\\u003e"]'


def test_to_json_values_and_attribute_form():
    task_input = {"s": "He said \"hi\" & <left>", "n": 3, "o": {"a": [1, 2]}, "u": "ü"}
    out = render(
        '{{ task.input.s | to_json }}|{{ task.input.n | to_json }}|{{ missing | to_json }}'
        '|<x-el data="{{ task.input.o | to_json }}" same="{{ task.input.o | to_json | escape }}">'
        "|{{ task.input.u | to_json }}",
        task_input,
    )
    s, n, missing, element, u = out.split("|")
    assert s == "&#34;He said \\&#34;hi\\&#34; \\u0026 \\u003cleft\\u003e&#34;"
    assert json.loads(html.unescape(s)) == task_input["s"]
    assert n == "3"
    assert missing == "null"
    assert element == '<x-el data="{&#34;a&#34;:[1,2]}" same="{&#34;a&#34;:[1,2]}">'
    attrs = attrs_of(element, "x-el")
    assert json.loads(attrs["data"]) == json.loads(attrs["same"]) == task_input["o"]
    assert u == "&#34;ü&#34;"


def test_grant_read_access_receives_url_and_result_is_attribute_escaped():
    seen: list[str] = []

    def grant(url: str) -> str:
        seen.append(url)
        return "https://b.s3.amazonaws.com/k?a=1&b=<2>"

    out = render(
        '<img src="{{ task.input.u | grant_read_access }}">', {"u": " s3://b/k "}, grant_read_access=grant
    )
    assert seen == ["s3://b/k"]
    assert out == '<img src="https://b.s3.amazonaws.com/k?a=1&amp;b=&lt;2&gt;">'
    assert attrs_of(out, "img")["src"] == "https://b.s3.amazonaws.com/k?a=1&b=<2>"


def test_grant_read_access_is_per_render():
    source = "{{ task.input | grant_read_access }}"
    assert render(source, "s3://b/k", grant_read_access=lambda url: "signed") == "signed"
    assert render(source, "s3://b/k") == "s3://b/k"
    # A missing value never reaches the callable.
    def never(url: str) -> str:
        raise AssertionError("called for a missing value")

    assert render("[{{ task.input.none | grant_read_access }}]", {}, grant_read_access=never) == "[]"


def test_grant_read_access_failure_is_template_error():
    def refuse(url: str) -> str:
        raise PermissionError("bucket not allowed")

    with pytest.raises(TemplateError) as info:
        render("line one\n{{ task.input | grant_read_access }}", "s3://other/k", grant_read_access=refuse)
    assert "bucket not allowed" in info.value.message
    assert "s3://other/k" in info.value.message
    assert info.value.line == 2
    assert isinstance(info.value.__cause__.__cause__, PermissionError)


def test_grant_read_access_threads_do_not_share_callables():
    compiled = parse_template("{{ task.input | grant_read_access }}")
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def worker(name: str) -> None:
        def grant(url: str) -> str:
            barrier.wait(timeout=5)
            return f"{name}:{url}"

        results[name] = compiled.render("s3://b/k", grant_read_access=grant)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == {"one": "one:s3://b/k", "two": "two:s3://b/k"}


# --- standard Liquid -------------------------------------------------------------


def test_round_ties_away_from_zero_like_ruby():
    out = render(
        "{{ 2.5 | round }} {{ -2.5 | round }} {{ 0.125 | round: 2 }} {{ 3 | round }} {{ 1.23456 | round: 3 }}"
    )
    assert out == "3 -3 0.13 3 1.235"


def test_math_and_string_filters():
    out = render(
        "{{ 7 | times: 3 }} {{ 7 | plus: 0.5 }} {{ 7 | minus: 10 }} {{ 7 | divided_by: 2 }}"
        " {{ 7.0 | divided_by: 2 }} {{ task.input.l | size }} {{ task.input.s | size }}"
        " {{ 'AbC' | downcase }} {{ 'x' | append: task.input.s }}",
        {"l": [1, 2, 3], "s": "hey"},
    )
    assert out == "21 7.5 -3 3 3.5 3 3 abc xhey"


def test_capture_output_is_not_escaped_twice():
    out = render("{% capture c %}<b>{{ task.input }}</b>{% endcapture %}{{ c }}|{{ c | escape }}", "<i>")
    assert out == "<b>&lt;i&gt;</b>|<b>&lt;i&gt;</b>"


def test_undefined_values_render_empty():
    out = render(
        "[{{ nothing }}][{{ task.input.a.b.c }}][{{ task.input.list[5] }}][{% for x in nope %}x{% endfor %}]",
        {"list": []},
    )
    assert out == "[][][][]"


def test_echo_and_liquid_tag_print_json_too():
    out = render("{% echo task.input %}|{% liquid\n echo task.input | size\n %}", [1, "a"])
    assert out == "[1,&#34;a&#34;]|2"


# --- errors ----------------------------------------------------------------------


def test_unclosed_if_is_a_template_error_naming_the_tag_and_line():
    with pytest.raises(TemplateError) as info:
        parse_template("<p>\n  {% if task.input.x %}\n  hello\n</p>")
    message = info.value.message
    assert "{% if %}" in message and "{% endif %}" in message and "never closed" in message
    assert info.value.line == 2
    assert "line 2" in message
    assert str(info.value) == message


def test_unclosed_outer_block_is_located():
    with pytest.raises(TemplateError) as info:
        parse_template("{% for a in b %}\n{% for c in d %}{% endfor %}\n")
    assert "{% endfor %}" in info.value.message
    assert info.value.line == 1


@pytest.mark.parametrize(
    ("source", "fragment", "line"),
    [
        ("ok\n{% frobnicate %}", "unexpected tag 'frobnicate'", 2),
        ("a\nb\n{% endif %}", "unexpected tag 'endif'", 3),
        ("a\n{% for x in %}{% endfor %}", "expected", 2),
        ("a\n\n{{ x | }}", "expected", 3),
        ("{{ 'a' ", "expected '}}'", 1),
        ("a\n{% include 'other' %}", "unexpected tag 'include'", 2),
        ("{% render 'other' %}", "unexpected tag 'render'", 1),
    ],
)
def test_syntax_errors(source, fragment, line):
    with pytest.raises(TemplateError) as info:
        parse_template(source)
    assert fragment in info.value.message
    assert info.value.line == line
    assert f"line {line}" in info.value.message


def test_unknown_filter_fails_at_parse_time():
    with pytest.raises(TemplateError) as info:
        parse_template("<p>\n{{ task.input | no_such_filter: 1 }}</p>")
    assert info.value.message.startswith("unknown filter 'no_such_filter'")
    assert info.value.line == 2


def test_unknown_filter_inside_tags_fails_at_parse_time():
    with pytest.raises(TemplateError, match="unknown filter 'shout'"):
        parse_template("{% if x %}{% assign y = x | shout %}{% endif %}")


def test_render_time_error_is_template_error():
    with pytest.raises(TemplateError) as info:
        render("a\nb\n{{ 1 | divided_by: task.input }}", 0)
    assert "divide by 0" in info.value.message
    assert info.value.line == 3


def test_runaway_loop_is_stopped():
    with pytest.raises(TemplateError, match="loop iteration limit"):
        render("{% for i in (1..100000000) %}{% endfor %}")


def test_non_string_source_is_type_error():
    with pytest.raises(TypeError):
        parse_template(b"{{ x }}")


# --- compiled-template cache -----------------------------------------------------


def test_parse_is_cached_by_source():
    source = "<p>{{ task.input }} cached</p>"
    first = parse_template(source)
    assert isinstance(first, CompiledTemplate)
    assert parse_template("".join(["<p>{{ task.input }}", " cached</p>"])) is first
    assert render_task(first, "x") == render_task(source, "x") == "<p>x cached</p>"


def test_cache_is_bounded():
    for i in range(liquid._CACHE_MAX + 20):
        parse_template(f"{{{{ task.input }}}} #{i}")
    assert len(liquid._cache) == liquid._CACHE_MAX


def test_failed_parse_is_not_cached():
    before = len(liquid._cache)
    for _ in range(2):
        with pytest.raises(TemplateError):
            parse_template("{% if %}")
    assert len(liquid._cache) == before


# --- S3 URLs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket/key.jpg", ("bucket", "key.jpg")),
        ("s3://bucket/dir/a b?.jpg", ("bucket", "dir/a b?.jpg")),
        ("S3://bucket/k", ("bucket", "k")),
        ("https://bucket.s3.amazonaws.com/dir/a%20b.jpg", ("bucket", "dir/a b.jpg")),
        ("https://my.dotted.bucket.s3.us-west-2.amazonaws.com/k?versionId=1", ("my.dotted.bucket", "k")),
        ("https://bucket.s3-eu-west-1.amazonaws.com/k", ("bucket", "k")),
        ("https://s3.amazonaws.com/bucket/dir/k.png", ("bucket", "dir/k.png")),
        ("https://s3.eu-central-1.amazonaws.com/bucket/k", ("bucket", "k")),
        ("http://s3-us-east-2.amazonaws.com/bucket/k", ("bucket", "k")),
        ("https://s3.dualstack.us-east-1.amazonaws.com/bucket/k", ("bucket", "k")),
        ("https://bucket.s3.cn-north-1.amazonaws.com.cn/k", ("bucket", "k")),
        ("https://example.com/bucket/k", None),
        ("https://s3.amazonaws.com.evil.net/bucket/k", None),
        ("https://s3.amazonaws.com/bucket", None),
        ("https://bucket.s3.amazonaws.com/", None),
        ("s3://bucket", None),
        ("s3:///key", None),
        ("ftp://s3.amazonaws.com/bucket/k", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_s3_url(url, expected):
    assert parse_s3_url(url) == expected


# --- crowd-html-elements.js ------------------------------------------------------

LOCAL = "/static/crowd/crowd-html-elements.js?v=3&x=1"
LOCAL_ATTR = 'src="/static/crowd/crowd-html-elements.js?v=3&amp;x=1"'


CROWD_JS = "https://assets.crowd.aws/crowd-html-elements.js"


@pytest.mark.parametrize(
    ("start_tag", "expected"),
    [
        (f'<script src="{CROWD_JS}">', f"<script {LOCAL_ATTR}>"),
        (f"<script src='{CROWD_JS}'>", f"<script {LOCAL_ATTR}>"),
        (f"<script src={CROWD_JS}>", f"<script {LOCAL_ATTR}>"),
        ('<script src="http://assets.crowd.aws/crowd-html-elements.js">', f"<script {LOCAL_ATTR}>"),
        ('<script src="//assets.crowd.aws/crowd-html-elements.js">', f"<script {LOCAL_ATTR}>"),
        ('<script src="https://assets.crowd.aws/crowd-html-elements-v2.js">', f"<script {LOCAL_ATTR}>"),
        (f'<script src="{CROWD_JS}?v=1&amp;y=2#top">', f"<script {LOCAL_ATTR}>"),
        ('<SCRIPT SRC = "HTTPS://ASSETS.CROWD.AWS/crowd-html-elements.js?v=1">', f"<SCRIPT {LOCAL_ATTR}>"),
        (
            f'<script\n  type="text/javascript" data-note="a>b"\n  src="{CROWD_JS}" defer>',
            f'<script\n  type="text/javascript" data-note="a>b"\n  {LOCAL_ATTR} defer>',
        ),
    ],
)
def test_rewrite_crowd_script_spellings(start_tag, expected):
    page = f"<html>{start_tag}</script><p>after</p></html>"
    assert rewrite_crowd_script(page, LOCAL) == f"<html>{expected}</script><p>after</p></html>"


@pytest.mark.parametrize(
    "tag",
    [
        '<script src="https://assets.crowd.aws/other.js"></script>',
        '<script src="https://assets.crowd.aws/crowd-html-elements-v3.js"></script>',
        '<script src="https://evil.example/assets.crowd.aws/crowd-html-elements.js"></script>',
        '<script data-src="https://assets.crowd.aws/crowd-html-elements.js"></script>',
        "<script>var u = 'https://assets.crowd.aws/crowd-html-elements.js';</script>",
        '<img src="https://assets.crowd.aws/crowd-html-elements.js">',
    ],
)
def test_rewrite_crowd_script_leaves_other_tags(tag):
    assert rewrite_crowd_script(tag, LOCAL) == tag


def test_rewrite_crowd_script_rewrites_every_occurrence_in_rendered_templates():
    out = rewrite_crowd_script(render(template("sentiment.liquid.html"), {"taskObject": "x"}), LOCAL)
    out += rewrite_crowd_script(render(template("bounding_box.liquid.html"), {"taskObject": "x"}), LOCAL)
    out += rewrite_crowd_script(render(template("order_review.liquid.html"), ORDER_INPUT), LOCAL)
    assert "assets.crowd.aws" not in out
    assert out.count(LOCAL_ATTR) == 3
