"""reports/summary.md and the text form of a trace keep hostile values on their own line:
a world name, a violation message or a note cannot add headings, HTML, table rows or step
lines, nor close the trace's fence."""

from __future__ import annotations

import dataclasses
import re

from checker.engines.explore import explore, verdicts
from checker.commands.common import findings_of
from checker.formats.report import markdown
from checker.formats.results import RunResult
from checker.model import SpecModel
from spec.worlds import builtin_world

EVIL = "x\n# Injected\n<script>alert(1)</script>\n```\n| a | b |"


def _result() -> RunResult:
    w = dataclasses.replace(builtin_world("default"), name=EVIL)
    model = SpecModel(w)
    res = explore(model, max_depth=6)
    r = RunResult("verify", w.profile, w.name)
    r.invariants = verdicts(model, res, 6)
    r.findings = findings_of(w, res)
    assert r.findings, "expected a finding within 6 steps"
    f = r.findings[0]
    f.trace.message = EVIL
    r.notes.append(EVIL)
    return r


def test_summary_keeps_hostile_values_in_place() -> None:
    text = markdown(_result())
    lines = text.splitlines()
    assert not any(line.startswith("# Injected") for line in lines)
    outside = [re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", line) for line in lines
               if not line.startswith("   ")]  # code spans removed (their text shows as written)
    inside_fence = False
    for line in outside:
        if line.startswith("```"):
            inside_fence = not inside_fence
        elif not inside_fence:
            assert "<script>" not in line, line
    assert sum(1 for line in lines if line.startswith("# ")) == 1  # the title only
    # every fence that opens is closed by a fence of the same length, and nothing in between
    # is a fence of that length
    opened = None
    for line in lines:
        if line.startswith("```"):
            run = len(line) - len(line.lstrip("`"))
            if opened is None:
                opened = run
            elif run == opened and line == "`" * run:
                opened = None
    assert opened is None
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert all(line.count(" | ") == 5 for line in rows[1:]), rows


def test_trace_text_is_one_line_per_step() -> None:
    r = _result()
    t = r.findings[0].trace
    lines = t.text().splitlines()
    assert len(lines) == 2 + len(t.steps) + sum(len(st.notes) for st in t.steps)
    assert "\\n# Injected" in lines[1]
