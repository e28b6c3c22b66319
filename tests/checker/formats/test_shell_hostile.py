"""A trace is data from outside: nothing in it may run when its shell reproducer runs.

Every string field of a trace (the action's thread, file, text and choice, the read text, the
violation's invariant, cause and message, the world's name) is given command substitutions,
backticks, quotes and newlines; the script is rendered and run against a fake sysfs tree (with
the test-VM marker and without it). Either the renderer refuses the trace (one TraceError that
names the field's value) or the script runs and nothing injected runs: no file appears."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from checker.formats import shell
from checker.formats.traces import Trace
from spec.errors import MemhpError, TraceError
from tests.checker.formats.test_shell import fake_root, run_script

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "default-v3.4"


def payloads(mark: Path) -> list[str]:
    return [f"$(touch {mark})", f"`touch {mark}`", f"'; touch {mark}; '", f"\"; touch {mark}; \"",
            f"x\ntouch {mark}\n", f"x\r\ntouch {mark} #", f"$(touch {mark})\n# '\"`"]


def fields(d: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, setter) of every string field a reproducer may show."""
    out: list[tuple[str, Any]] = []
    for i, st in enumerate(d["steps"]):
        for k in ("thread", "file", "text", "choice"):
            if k in st["action"]:
                out.append((f"steps[{i}].action.{k}", lambda d, v, i=i, k=k: d["steps"][i]["action"].__setitem__(k, v)))
        if "read" in st["obs"]:
            out.append((f"steps[{i}].obs.read", lambda d, v, i=i: d["steps"][i]["obs"].__setitem__("read", v)))
    for k in ("invariant", "cause", "message"):
        out.append((f"violation.{k}", lambda d, v, k=k: d["violation"].__setitem__(k, v)))
    out.append(("world.name", lambda d, v: d["world"].__setitem__("name", v)))
    return out


def base_traces() -> list[dict[str, Any]]:
    files = sorted(GOLDEN.glob("*.json"))
    assert files
    return [json.loads(files[0].read_text()), json.loads(files[-1].read_text())]


@pytest.mark.parametrize("k", range(2))
def test_nothing_in_a_trace_runs(tmp_path: Path, k: int) -> None:
    d0 = base_traces()[k]
    mark = tmp_path / "INJECTED"
    runs = refused = 0
    for label, put in fields(d0):
        for p in payloads(mark):
            d = copy.deepcopy(d0)
            put(d, p)
            try:
                t = Trace.from_json(d, "hostile.json")
                text = shell.render(t)
            except TraceError as e:
                assert "\n" not in str(e), str(e)  # one line, the newline written as an escape
                refused += 1
                continue
            except MemhpError:
                refused += 1  # the world or the trace itself was refused on reading
                continue
            assert not any(line.startswith("touch ") for line in text.splitlines()), (label, p)
            for marker in (True, False):
                root = fake_root(tmp_path / f"r{runs}", {1: "online", 2: "online", 32: "offline"})
                r = run_script(t, tmp_path, root, marker)
                assert r.returncode in (0, 1, 2), (label, p, r.stderr)
                assert not mark.exists(), f"{label} = {p!r} ran a command"
                runs += 1
    assert runs > 20  # the scripts ran (a trace without a file field refuses nothing)


def test_a_nul_byte_or_a_path_in_a_file_name_is_refused() -> None:
    d = base_traces()[0]
    d["steps"][0]["action"]["file"] = "../../../kernel/x"
    with pytest.raises(TraceError, match="not a sysfs attribute name"):
        shell.render(Trace.from_json(d, "t.json"))
    d = base_traces()[0]
    d["violation"]["message"] = "a\x00b"
    text = shell.render(Trace.from_json(d, "t.json"))  # in a comment: written as an escape
    assert "\x00" not in text and "a\\x00b" in text
