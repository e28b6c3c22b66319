"""The Markdown of ``memhp diff`` and ``memhp review`` when every value in it is hostile.

What a difference shows (a sysfs file's contents, a callback's name, the text a write carried),
the world's and the patch's names, an invariant's message and the lockstep's report reach table
cells, headings, code spans, a ``<summary>`` and fenced traces and diagrams. Whatever they hold,
the report has the shape of the same report with a plain word in each: the same headings,
fences and table rows, six cells in every row, no HTML but memhp's own, every Mermaid line in
the grammar, and each value showing what it held."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from checker.formats.markdown import mermaid
from checker.formats.steps import visible
from checker.formats.traces import Trace
from checker.review.diff import DiffResult, Difference
from checker.review.engine import Broken, ReviewResult
from checker.review.report import diff_markdown, review_markdown
from spec.actions import write
from tests.checker.formats.hostile import (
    BENIGN, HOSTILE, SEQUENCE_LINE, check_mermaid, code_span, md_blocks, md_unescape,
    without_code_spans,
)
from tests.checker.formats.test_render_hostile import bases, more_fields
from tests.checker.formats.test_shell_hostile import fields

_CELL = re.compile(r"\\.|[^|\\]|\|")
_OWN_HTML = re.compile(r"</?details>|</?summary>|<br>")


def trace(text: str) -> Trace:
    d = bases()["golden"]
    for label, put in fields(d) + more_fields(d):
        if label.startswith(("world.name", "violation.")):
            put(d, text)
        elif label.startswith("world.callbacks"):  # names are unique
            put(d, text + label)
    return Trace.from_json(d)


def difference(text: str, t: Trace, aspect: str, same_b: bool) -> Difference:
    raw = text.encode("utf-8", "surrogateescape")
    return Difference(aspect, (aspect, text), text, text, text,
                      ops=[(write("w0", 1, raw, file=text), (text, text), (text,))], step=1,
                      trace_a=t, trace_b=t, tags=[text, aspect],
                      variants=[(text, text if same_b else text + "!")] * 5, part_a=1, part_b=2)


def results(text: str) -> tuple[DiffResult, ReviewResult]:
    t = trace(text)
    diff = DiffResult(text, text, text, 3, False, 10, 20, 1.5,
                      [difference(text, t, "ret", True), difference(text, t, "sysfs", False)])
    review = ReviewResult(text, text, text, 8, 2, [text, text], [Broken(text, text, text, text, t, text)],
                          [(text, text)], text, diff)
    return diff, review


def cells(row: str) -> list[str]:
    """The cells of a table row, split where GFM splits them (a pipe not escaped)."""
    out, cell = [], ""
    for tok in _CELL.findall(row):
        if tok == "|":
            out.append(cell)
            cell = ""
        else:
            cell += tok
    return out[1:]


def shape(doc: str) -> dict[str, Any]:
    """The structure of a report, each value checked to be quoted: lines outside fences,
    headings, fences, table rows (each of six cells), and the HTML memhp writes."""
    doc.encode("utf-8")
    assert all(line.isprintable() for line in doc.split("\n"))
    outside, fences = md_blocks(doc)
    for line in outside:
        assert "<" not in _OWN_HTML.sub("", without_code_spans(line)), f"HTML in {line!r}"
    rows = [line for line in outside if line.startswith("|")]
    for row in rows:
        assert len(cells(row)) == 6, row
        for cell in cells(row)[:3] + cells(row)[5:]:
            md_unescape(cell.strip())
    for info, body in fences:
        if info == "mermaid":
            check_mermaid("\n".join(body), SEQUENCE_LINE)
    return {"outside": len(outside), "headings": [h.split(" ", 1)[0] for h in outside if h.startswith("#")],
            "fences": [info for info, _ in fences], "rows": len(rows),
            "summaries": sum("<summary>" in line for line in outside)}


@pytest.mark.parametrize("payload", HOSTILE, ids=lambda p: repr(p)[:24])
def test_the_diff_report_keeps_its_shape(payload: str) -> None:
    diff, _ = results(payload)
    plain, _ = results(BENIGN)
    doc = diff_markdown(diff, mermaid)
    assert shape(doc) == shape(diff_markdown(plain, mermaid))
    outside, _ = md_blocks(doc)
    first = outside[0]
    assert code_span(first.rsplit(" (world ", 1)[1][:-1]) == visible(payload)
    row = next(line for line in outside if line.startswith("|") and "---" not in line and "what" not in line)
    summary, a, b = (md_unescape(c.strip()) for c in cells(row)[:3])  # GFM trims a cell
    assert summary == b == visible(payload).strip()
    assert a == (f"{visible(payload)} (or " + ", ".join([visible(payload)] * 4) + ", +1 more)").strip()
    summaries = [line for line in outside if line.startswith("<summary>")]
    assert summaries and all(visible(payload) in html.unescape(s) for s in summaries)


@pytest.mark.parametrize("payload", HOSTILE, ids=lambda p: repr(p)[:24])
def test_the_review_report_keeps_its_shape(payload: str) -> None:
    _, review = results(payload)
    _, plain = results(BENIGN)
    doc = review_markdown(review, mermaid)
    assert shape(doc) == shape(review_markdown(plain, mermaid))
    outside, _ = md_blocks(doc)
    title = outside[0]
    impl = title.removeprefix("## memhp review ").split(" against ", 1)[0]
    assert code_span(impl) == visible(payload)
    broken = outside[outside.index("### Promises the patch breaks") + 2]
    assert md_unescape(broken.rsplit("): ", 1)[1]) == visible(payload)
