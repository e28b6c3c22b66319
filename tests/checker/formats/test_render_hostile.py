"""A trace is data from outside: no value in it may change the shape of its Markdown rendering.

Every string field a trace holds (the ones the shell reproducer is checked on, see
test_shell_hostile, and the world's description and callback names, a step's point, the events
of its calls, its recorded node changes and informational notes, the profile) is given text
that some format reads as syntax: newlines, pipes, backticks and fences, HTML, Mermaid's ``;``,
``#``, ``%%`` and arrows, quotes, backslashes, bytes that were not UTF-8, ``]]``, ``}``. Either
the trace is refused on reading (one line, exit 2) or its Markdown has exactly the shape of the
same trace with a plain word in that field: the same lines, headings and fences, a Mermaid
diagram whose every line is in the grammar memhp writes, one table row per step, and the
embedded JSON that reads back to the very same trace."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.formats import markdown, parse
from checker.formats.steps import visible
from checker.formats.traces import Trace
from spec.errors import MemhpError
from tests.checker.formats.conftest import race, v61_cycle
from tests.checker.formats.hostile import (
    BENIGN, HOSTILE, SEQUENCE_LINE, check_mermaid, code_span, md_blocks, md_unescape, mermaid_decode,
)
from tests.checker.formats.test_shell_hostile import base_traces, fields

Setter = Callable[[dict[str, Any], str], None]


def _rename_callback(i: int) -> Setter:
    """Rename callback i in the world and in every call of the steps (the trace still replays)."""
    def put(d: dict[str, Any], v: str) -> None:
        old = d["world"]["callbacks"][i]["name"]
        d["world"]["callbacks"][i]["name"] = v
        for st in d["steps"]:
            for c in st["obs"].get("calls", []):
                if c["callback"] == old:
                    c["callback"] = v
    return put


def more_fields(d: dict[str, Any]) -> list[tuple[str, Setter]]:
    """(label, setter) of the string fields :func:`fields` leaves out."""
    out: list[tuple[str, Setter]] = [
        ("profile", lambda d, v: d.__setitem__("profile", v)),
        ("world.description", lambda d, v: d["world"].__setitem__("description", v)),
    ]
    out += [(f"world.callbacks[{i}].name", _rename_callback(i)) for i in range(len(d["world"]["callbacks"]))]
    for i, st in enumerate(d["steps"]):
        obs = lambda d, i=i: d["steps"][i]["obs"]  # noqa: E731
        out.append((f"steps[{i}].obs.point", lambda d, v, obs=obs: obs(d).__setitem__("point", v)))
        out.append((f"steps[{i}].obs.node_changes", lambda d, v, obs=obs: obs(d).__setitem__("node_changes", [v])))
        out.append((f"steps[{i}].obs.note", lambda d, v, obs=obs: obs(d).__setitem__("note", v)))
        out.append((f"steps[{i}].obs.sysfs_changes",
                    lambda d, v, obs=obs: obs(d).__setitem__("sysfs_changes", {v: v})))
        if st["obs"].get("calls"):
            out.append((f"steps[{i}].obs.calls[0].event",
                        lambda d, v, obs=obs: obs(d)["calls"][0].__setitem__("event", v)))
    return out


def bases() -> dict[str, dict[str, Any]]:
    """Traces of every kind of step: a golden v3.4 finding (writes, steps, callback answers, a
    violation), the v6.1 cycle (hot-add, reads, debugfs injects, eject) and the v3.4 race (two
    writers), each with a violation (as a trace file may claim)."""
    out = {"golden": base_traces()[0], "v61-cycle": v61_cycle().to_json(), "race": race().to_json()}
    for d in out.values():
        d.setdefault("violation", {"invariant": "notifier_protocol", "cause": "online:MEM_ONLINE",
                                   "message": "a claim"})
    return out


def variants(d0: dict[str, Any], payloads: list[str]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(field, payload, the trace with the payload in that field, the same with a plain word)."""
    for label, put in fields(d0) + more_fields(d0):
        plain = copy.deepcopy(d0)
        put(plain, BENIGN)
        for p in payloads:
            d = copy.deepcopy(d0)
            put(d, p)
            yield label, p, d, plain


def read(d: dict[str, Any]) -> Trace | None:
    """The trace, or None when memhp refuses it on reading (with one line)."""
    try:
        return Trace.from_json(d, "hostile.json")
    except MemhpError as e:
        assert "\n" not in str(e) and "\r" not in str(e), str(e)
        return None


def _after(line: str, prefix: str, suffix: str = "") -> str:
    assert line.startswith(prefix) and line.endswith(suffix), (line, prefix)
    return line[len(prefix):len(line) - len(suffix)]


def check_markdown(t: Trace, doc: str, plain: str | None) -> None:
    """``doc`` (the Markdown of ``t``) has the shape of ``plain`` (the same trace with a plain
    word where ``t`` holds hostile text), and every value in it shows what ``t`` holds."""
    doc.encode("utf-8")
    lines = doc.split("\n")
    assert all(line.isprintable() for line in lines)
    if plain is not None:
        assert len(lines) == len(plain.split("\n"))
    outside, fences = md_blocks(doc)
    assert [info for info, _ in fences] == ["mermaid", "text", "json"]
    headings = [line for line in outside if line.startswith("#")]
    assert headings[1:] == ["## Sequence", "## Steps"] and len(headings) == 3
    # HTML: only memhp's own (a code span shows ``<`` as it is: checked below)
    assert [line for line in outside if "<" in line and not line.startswith(("**Violated", "**Cause"))] \
        == ["<details><summary>memhp-trace/1 JSON</summary>", markdown.MARK, "</details>"]
    title = md_unescape(_after(headings[0], "# memhp-check trace: "))
    assert visible(t.world.name) in title and visible(t.profile) in title
    header = {line.split(":**", 1)[0]: line for line in outside if line.startswith("**")}
    if t.invariant:
        assert title.startswith(visible(t.invariant))
        inv = header["**Violated invariant"].rsplit(", memory-hotplug.txt section ", 1)[0]
        assert code_span(_after(inv, "**Violated invariant:** ")) == visible(t.invariant)
        assert code_span(_after(header["**Cause"], "**Cause:** ", "  ")) == visible(t.cause)
        assert md_unescape(_after(header["**Message"], "**Message:** ", "  ")) == visible(t.message)
    shown = md_unescape(header["**Profile"].replace("**Profile:** ", "").replace(", **world:** ", "")
                        .replace(", **steps:** ", ""))
    assert shown == visible(t.profile) + visible(t.world.name) + str(len(t))
    diagram = check_mermaid("\n".join(fences[0][1]), SEQUENCE_LINE)
    assert diagram == markdown.mermaid(t).rstrip("\n").split("\n")
    ids = [line.split()[1] for line in diagram if line.startswith("    participant ")]
    assert len(ids) == len(set(ids)), ids
    described = {mermaid_decode(line.split(" as ", 1)[1]) for line in diagram
                 if line.startswith("    participant ") and " as " in line}
    for cb in t.world.chain():
        assert f"{visible(cb.name)} (priority {cb.priority})" in described
    if t.invariant:
        notes = [mermaid_decode(line) for line in diagram if "Note over" in line and "violate" in line]
        assert len(notes) == 1 and f"{visible(t.invariant)} [{visible(t.cause or '')}]" in notes[0]
    rows = fences[1][1]
    assert len(rows) == len(t) + 1 and all(re.match(r" *\d+  ", row) for row in rows[1:])
    assert parse(doc, "hostile.md").to_json() == t.to_json()


@pytest.mark.parametrize("base", ["golden", "v61-cycle", "race"])
def test_no_value_changes_the_shape_of_the_markdown(base: str) -> None:
    d0 = bases()[base]
    rendered = refused = 0
    plain_docs: dict[str, str | None] = {}
    for label, p, d, plain in variants(d0, HOSTILE[-1:]):
        t = read(d)
        if t is None:
            refused += 1
            continue
        if label not in plain_docs:
            tp = read(plain)
            plain_docs[label] = None if tp is None else markdown.render(tp)
        doc = markdown.render(t)
        try:
            check_markdown(t, doc, plain_docs[label])
        except AssertionError as e:
            raise AssertionError(f"{label} = {p!r}: {e}") from None
        rendered += 1
    assert rendered > 10 and refused < rendered


@pytest.mark.parametrize("payload", HOSTILE[:-1], ids=lambda p: repr(p)[:24])
def test_each_payload_in_the_fields_a_reader_sees_first(payload: str) -> None:
    """Each payload alone (not only all of them at once) in the fields that land in every
    part of the document: the title, the code spans, the message, a participant, a message of
    the diagram, a row of the table."""
    d0 = bases()["golden"]
    wanted = ("world.name", "violation.invariant", "violation.cause", "violation.message",
              "world.callbacks[1].name", "steps[0].action.file", "steps[4].action.choice",
              "steps[3].obs.calls[0].event", "steps[5].obs.node_changes")
    seen = set()
    for label, p, d, plain in variants(d0, [payload]):
        if label not in wanted:
            continue
        seen.add(label)
        t = read(d)
        if t is None:
            continue
        tp = read(plain)
        try:
            check_markdown(t, markdown.render(t), None if tp is None else markdown.render(tp))
        except AssertionError as e:
            raise AssertionError(f"{label} = {p!r}: {e}") from None
    assert seen == set(wanted)


def test_two_callbacks_never_share_a_participant() -> None:
    """``a-b`` and ``a_b`` (and ``a b``) are three callbacks: three participants, each call
    drawn to its own."""
    d = bases()["golden"]
    names = ["a-b", "a_b", "a b"]
    for cb, name in zip(d["world"]["callbacks"], names):
        _rename_callback(d["world"]["callbacks"].index(cb))(d, name)
    t = Trace.from_json(d)
    diagram = check_mermaid(markdown.mermaid(t), SEQUENCE_LINE)
    ids = {mermaid_decode(line.split(" as ", 1)[1]).rsplit(" (priority", 1)[0]: line.split()[1]
           for line in diagram if line.startswith("    participant cb")}
    assert set(ids) == set(names) and len(set(ids.values())) == 3
    for st in t.steps:
        for c in st.obs.calls:
            assert any(line.startswith(f"    core->>{ids[c.callback]}: ") for line in diagram)


def test_the_embedded_json_is_found_only_where_memhp_put_it() -> None:
    """A message that spells the marker and a fence does not stand for the embedded trace."""
    d = bases()["golden"]
    d["violation"]["message"] = f"{markdown.MARK}\n```json\n{{\"schema\": \"x\"}}\n```"
    t = Trace.from_json(d)
    assert parse(markdown.render(t), "x.md").to_json() == t.to_json()


def test_the_cli_prints_hostile_traces_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``memhp trace F --format FMT`` on a trace holding every payload: exit 0 and output that
    UTF-8 can hold (a byte that was not UTF-8 shown as an escape), or one line and exit 2."""
    for name, d0 in bases().items():
        d = copy.deepcopy(d0)
        for label, put in fields(d) + more_fields(d):
            if label.startswith(("world.name", "violation.", "world.description", "world.callbacks")):
                put(d, HOSTILE[-1])
        src = tmp_path / f"{name}.json"
        src.write_text(json.dumps(d))
        for fmt in ("text", "json", "itf", "markdown", "shell"):
            code = main(["trace", str(src), "--format", fmt])
            out, err = capsys.readouterr()
            out.encode("utf-8")
            if code == 2:
                assert len(err.strip().splitlines()) == 1 and err.startswith(f"memhp: error: {src}"), err
                continue
            assert code == 0, (name, fmt, err)
            if fmt == "markdown":
                check_markdown(Trace.from_json(d), out, None)
