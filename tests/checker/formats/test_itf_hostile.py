"""ITF JSON with hostile text and damaged values.

Every string a trace holds survives ITF: a trace whose world's name and description, callback
names, violation and informational notes hold text some format reads as syntax (and bytes that
were not UTF-8) is written as ASCII JSON that itf-py loads and memhp reads back to the same
trace. An ITF file whose inner values are damaged (a huge integer, nesting deeper than Python
recurses, a value of the wrong type, a name its world lacks) is one line on stderr and exit 2
for ``memhp trace`` and ``memhp replay``, never a traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import itf_py
import pytest

from checker.cli import main
from checker.formats import itf, parse
from checker.formats.traces import Trace
from spec.errors import TraceError
from tests.checker.formats.hostile import HOSTILE
from tests.checker.formats.test_render_hostile import bases, more_fields, read
from tests.checker.formats.test_shell_hostile import fields

#: fields a trace can hold anything in and still replay through the spec (ITF needs its states)
REPLAYING = ("world.name", "world.description", "world.callbacks", "violation.", ".note",
             ".sysfs_changes")


def _replays(label: str) -> bool:
    return label.startswith(REPLAYING) or label.endswith(REPLAYING)


@pytest.mark.parametrize("base", ["golden", "v61-cycle"])
def test_every_string_survives_itf(base: str) -> None:
    """Each payload in each field that keeps the golden trace replaying, all of them at once in
    its other fields (refused with one line) and in every replaying field of the v6.1 cycle."""
    d0 = bases()[base]
    written = 0
    for label, put in fields(d0) + more_fields(d0):
        if base != "golden" and not _replays(label):
            continue
        for p in HOSTILE if base == "golden" and _replays(label) else HOSTILE[-1:]:
            d = copy.deepcopy(d0)
            put(d, p)
            t = read(d)
            if t is None:
                continue
            try:
                text = itf.render(t, "hostile.json")
            except TraceError as e:  # a trace that does not replay has no states to write
                assert not _replays(label), (label, p, e)
                assert "\n" not in str(e) and "\r" not in str(e), str(e)
                continue
            assert text.isascii(), (label, p)
            if p == HOSTILE[-1]:  # itf-py, the format's own reader (slow: once per field)
                itf_py.trace_from_json(json.loads(text))
            assert parse(text, "hostile.itf.json").to_json() == t.to_json(), (label, p)
            written += 1
    assert written >= (8 * len(HOSTILE) if base == "golden" else 8)


def _golden_itf() -> dict[str, Any]:
    return json.loads(itf.render(Trace.from_json(bases()["golden"])))


def _obs(d: dict[str, Any], i: int = 1) -> dict[str, Any]:
    obs: dict[str, Any] = d["states"][i]["obs"]
    return obs


def _call(d: dict[str, Any]) -> dict[str, Any]:
    call: dict[str, Any] = next(s["obs"]["calls"][0] for s in d["states"] if s["obs"]["calls"])
    return call


DEEP = "[" * 100_000 + "]" * 100_000
NESTED = "@nested@"
DAMAGED: dict[str, Callable[[dict[str, Any]], None]] = {
    "extra: an integer of 5000 digits": lambda d: _obs(d).__setitem__("extra", {"#map": [["x", "1" * 5000]]}),
    "notes: nested 100000 deep": lambda d: _obs(d).__setitem__("notes", {"#map": [["x", DEEP]]}),
    "notes: not JSON": lambda d: _obs(d).__setitem__("notes", {"#map": [["x", "{"]]}),
    "notes: a number, not a JSON text": lambda d: _obs(d).__setitem__("notes", {"#map": [["x", {"#bigint": "5"}]]}),
    "notes: a list": lambda d: _obs(d).__setitem__("notes", [["x", "1"]]),
    "extra: a string": lambda d: _obs(d).__setitem__("extra", "x"),
    "notes: named calls": lambda d: _obs(d).__setitem__("notes", {"#map": [["calls", "[]"]]}),
    "extra: a key that is a number": lambda d: _obs(d).__setitem__("extra", {"#map": [[{"#bigint": "1"}, "1"]]}),
    "#map of something else than pairs": lambda d: _obs(d).__setitem__("extra", {"#map": [1]}),
    "#bigint of 5000 digits": lambda d: _call(d).__setitem__("ret", {"#bigint": "9" * 5000}),
    "#bigint a number": lambda d: _call(d).__setitem__("ret", {"#bigint": 5}),
    "#bigint 1e5": lambda d: _call(d).__setitem__("ret", {"#bigint": "1e5"}),
    # deep enough for the reading of states to recurse past Python's limit, shallow enough
    # for the JSON parser (written into the file's text: see NESTED)
    "calls nested 600 deep": lambda d: _obs(d).__setitem__("calls", NESTED),
    "start_pfn infinite": lambda d: _call(d).__setitem__("start_pfn", float("inf")),
    "callback a number": lambda d: _call(d).__setitem__("callback", 1.5),
    "allocatable a string": lambda d: _call(d).__setitem__("allocatable", "yes"),
    "calls a record": lambda d: _obs(d).__setitem__("calls", {"event": "x"}),
    "a state that is a string": lambda d: d["states"].__setitem__(1, "x"),
    "an obs that is a list": lambda d: d["states"][1].__setitem__("obs", [1]),
    "#meta a list": lambda d: d.__setitem__("#meta", [1]),
    "profile a number": lambda d: d["#meta"]["memhp"].__setitem__("profile", 6.1),
    "violation not strings": lambda d: d["#meta"]["memhp"].__setitem__("violation", {"invariant": {"a": 1}}),
    "a thread the world lacks": lambda d: d["states"][1]["action"].__setitem__("thread", ["w9;\n# x"]),
    "a block the world lacks": lambda d: d["states"][1]["action"].__setitem__("block", ["memory999"]),
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_damaged_itf_is_one_line_and_exit_2(damage: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    d = _golden_itf()
    DAMAGED[damage](d)
    p = tmp_path / "damaged.itf.json"
    p.write_text(json.dumps(d).replace(json.dumps(NESTED), "[" * 600 + "]" * 600))
    for command in ("trace", "replay"):
        assert main([command, str(p)]) == 2, (damage, command)
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"memhp: error: {p}: "), (damage, err)
        assert "Traceback" not in err and len(lines[0]) < 400, (damage, err)
