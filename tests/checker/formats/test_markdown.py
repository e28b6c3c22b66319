"""Markdown with a Mermaid sequence diagram: the violation at the top, the participants in the
promised order, every notifier call with its event and answer, node-state flips, writes and
their return values, a plain-text table, and the embedded JSON that reads back and replays."""

from __future__ import annotations

import re

import pytest

from checker.formats import markdown, parse
from checker.model import SpecModel
from checker.formats.traces import replay
from spec.errors import TraceError


def participants(diagram: str) -> list[str]:
    return re.findall(r"^    participant (\S+)", diagram, re.MULTILINE)


def test_header_names_the_invariant_its_section_and_message(golden_traces) -> None:
    t = golden_traces["notifier_protocol--online_MEM_ONLINE"]
    md = markdown.render(t)
    top = md.split("## Sequence")[0]
    assert "`notifier_protocol`" in top and "section 8" in top
    assert t.message in top and "`online:MEM_ONLINE`" in top


def test_participants_in_order(golden_traces, v61_traces) -> None:
    d = markdown.mermaid(golden_traces["notifier_protocol--online_MEM_ONLINE"])
    assert d.startswith("sequenceDiagram\n")
    # default world: chain order is slub (priority 1), then tier and inject (priority 0)
    assert participants(d) == ["w0", "sysfs", "core", "cb_slub", "cb_tier", "cb_inject", "node", "fw"]
    from tests.checker.formats.conftest import race

    assert participants(markdown.mermaid(race()))[:3] == ["w0", "w1", "sysfs"]
    d61 = markdown.mermaid(v61_traces["cycle"])
    assert participants(d61) == ["w0", "user", "sysfs", "core", "cb_inject", "node", "fw"]


def test_every_call_write_return_and_flip_is_drawn(all_traces) -> None:
    for name, t in all_traces.items():
        d = markdown.mermaid(t)
        arrows = d.splitlines()
        for i, st in enumerate(t.steps, 1):
            for c in st.obs.calls:
                cb = "cb_" + c.callback
                assert any(f"core->>{cb}: {i}. {c.event} nid={c.status_change_nid}" in a
                           for a in arrows), (name, i, c)
            if st.action.kind == "write":
                who = st.action.thread
                assert any(line.lstrip().startswith(f"{who}->>sysfs: {i}. write ") for line in arrows), (name, i)
            if st.obs.ret is not None and st.action.kind not in ("read", "inject"):
                assert any(f": {i}. " in a and "returns" in a for a in arrows), (name, i)
        if t.invariant and t.steps:
            assert "rect rgb(" in d and f"violates {t.invariant}" in d, name


def test_answers_and_node_flips(golden_traces) -> None:
    d = markdown.mermaid(golden_traces["notifier_protocol--online_MEM_ONLINE"])
    assert "cb_tier-->>core: NOTIFY_STOP (choice NOTIFY_STOP)" in d
    assert "core->>node: node1 +N_HIGH_MEMORY" in d
    assert "core->>node: node1 online" in d
    assert "fw->>core: 1. hot-add memory16 (ACPI)" in d
    assert "core-->>fw: 2. returns 0" in d


def test_errno_returns(v61_traces) -> None:
    d = markdown.mermaid(v61_traces["cycle"])
    assert "sysfs-->>w0: 7. write returns -ENOMEM" in d
    assert "cb_inject-->>core: notifier_from_errno(-ENOMEM)" in d
    assert "sysfs-->>w0: 15. write returns -EINVAL" in d
    assert 'sysfs-->>user: "online\\n"' in d


def test_text_that_would_break_mermaid_is_escaped() -> None:
    from spec.actions import write
    from tests.checker.formats.conftest import build

    t = build("default", [(write("w0", 1, b"a;b#c<d>"), {})])
    d = markdown.mermaid(t)
    line = next(x for x in d.splitlines() if "w0->>sysfs" in x)
    assert ";" not in line.replace("#59;", "").replace("#35;", "").replace("#lt;", "").replace("#gt;", "")
    assert "a#59;b#35;c#lt;d#gt;" in line


def test_table_has_one_row_per_step(all_traces) -> None:
    for name, t in all_traces.items():
        rows = markdown.table(t).splitlines()
        assert len(rows) == len(t) + 1, name
        for i, row in enumerate(rows[1:], 1):
            assert row.split()[0] == str(i)


def test_round_trip_replays(all_traces) -> None:
    for name, t in all_traces.items():
        back = parse(markdown.render(t), name + ".md")
        assert back.to_json() == t.to_json(), name
        assert replay(back, SpecModel(back.world.with_profile(back.profile))).ok, name


def test_markdown_without_the_json_is_refused() -> None:
    with pytest.raises(TraceError, match="no embedded memhp-trace/1"):
        markdown.parse("# a report\n", "x.md")
    with pytest.raises(TraceError, match="damaged"):
        parse(f"{markdown.MARK}\n```json\n{{\"schema\": \n```\n", "x.md")


def test_readme_diagram_is_generated(golden_traces) -> None:
    """The README's example diagram is what the renderer draws for that golden trace."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("## Traces", 1)[1]
    block = section.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == markdown.mermaid(golden_traces["status_change_nid--offline_MEM_GOING_OFFLINE"])
