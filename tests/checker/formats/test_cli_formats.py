"""``memhp trace FILE --format F [-o OUT]``: every format written, read back by ``memhp trace``
and ``memhp replay``; golden outputs of two traces per format (``--regen-golden``)."""

from __future__ import annotations

import json

import pytest

from checker.cli import main
from tests.checker.formats.conftest import GOLDEN

GOLDEN_OUT = GOLDEN / "formats"
GOLDEN_NAMES = ("status_change_nid--offline_MEM_GOING_OFFLINE", "notifier_protocol--online_MEM_ONLINE")
SUFFIX = {"itf": ".itf.json", "markdown": ".md", "shell": ".sh"}


@pytest.mark.parametrize("fmt", ["json", "itf", "markdown", "shell"])
def test_write_read_back_replay(all_traces, tmp_path, capsys, fmt) -> None:
    for name, trace in all_traces.items():
        src = tmp_path / "in.json"
        trace.save(src)
        before = src.read_bytes()
        out = tmp_path / ("out" + SUFFIX.get(fmt, ".json"))
        assert main(["trace", str(src), "--format", fmt, "-o", str(out)]) == 0
        assert src.read_bytes() == before
        capsys.readouterr()
        assert main(["trace", str(out), "--format", "json"]) == 0, name
        assert json.loads(capsys.readouterr().out) == trace.to_json(), (name, fmt)
        assert main(["replay", str(out)]) == 0, name
        assert "every observation as recorded" in capsys.readouterr().out
        if fmt == "shell":
            assert out.stat().st_mode & 0o111


def test_stdout_equals_file(golden_traces, tmp_path, capsys) -> None:
    src = GOLDEN / f"{GOLDEN_NAMES[0]}.json"
    for fmt in ("text", "itf", "markdown", "shell"):
        assert main(["trace", str(src), "--format", fmt]) == 0
        printed = capsys.readouterr().out
        out = tmp_path / f"x.{fmt}"
        assert main(["trace", str(src), "--format", fmt, "-o", str(out)]) == 0
        assert out.read_text() == printed


def test_output_over_the_input_is_refused(tmp_path, capsys) -> None:
    src = tmp_path / "t.json"
    src.write_bytes((GOLDEN / f"{GOLDEN_NAMES[0]}.json").read_bytes())
    before = src.read_bytes()
    assert main(["trace", str(src), "--format", "markdown", "-o", str(src)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("memhp: error:") and "is the input" in err[0]
    assert src.read_bytes() == before


def test_not_a_trace_is_one_line(tmp_path, capsys) -> None:
    bad = tmp_path / "notes.md"
    bad.write_text("# some notes\n")
    assert main(["trace", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "Traceback" not in err[0]
    out_dir = tmp_path / "missing" / "x.md"
    assert main(["trace", str(GOLDEN / f"{GOLDEN_NAMES[0]}.json"), "--format", "markdown",
                 "-o", str(out_dir)]) == 2
    assert not out_dir.exists()


@pytest.mark.parametrize("fmt", ["itf", "markdown", "shell"])
def test_golden_outputs(regen_golden: bool, capsys, fmt) -> None:
    GOLDEN_OUT.mkdir(exist_ok=True)
    for name in GOLDEN_NAMES:
        assert main(["trace", str(GOLDEN / f"{name}.json"), "--format", fmt]) == 0
        got = capsys.readouterr().out
        path = GOLDEN_OUT / f"{name}{SUFFIX[fmt]}"
        if regen_golden:
            path.write_text(got)
            continue
        assert path.exists(), f"no golden output {path.name} (run with --regen-golden)"
        assert path.read_text() == got, f"{path.name} changed (run with --regen-golden)"


def test_trace_the_spec_does_not_show(tmp_path, capsys) -> None:
    """A trace whose observations the spec does not reproduce (one from a patched mirror, or
    edited): ITF needs the spec's states and refuses in one line; Markdown still renders it from
    what it recorded; the reproducer marks it NOT REPRODUCIBLE."""
    data = json.loads((GOLDEN / f"{GOLDEN_NAMES[0]}.json").read_text())
    data["steps"][1]["obs"]["ret"] = -16
    src = tmp_path / "edited.json"
    src.write_text(json.dumps(data))
    out = tmp_path / "edited.itf.json"
    assert main(["trace", str(src), "--format", "itf", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"memhp: error: {src}: step 2 (fw: step) shows")
    assert "on spec:v3.4, the trace says ret; ret -EBUSY" in err[0]
    assert not out.exists()
    assert main(["trace", str(src), "--format", "markdown"]) == 0
    assert "core-->>fw: 2. returns -EBUSY" in capsys.readouterr().out
    assert main(["trace", str(src), "--format", "shell"]) == 0
    head = capsys.readouterr().out.split("\nset -u")[0]
    assert "NOT REPRODUCIBLE" in head and "does not replay through the spec" in head


def test_trace_formats_and_graph_never_write_to_sys(monkeypatch, tmp_path, capsys) -> None:
    """Under the guard of tests/test_no_sys_writes.py: writing every format (the reproducer
    included: it is written, never run) and a state graph touches nothing under /sys."""
    from tests.test_no_sys_writes import Guard

    guard = Guard(monkeypatch).install()
    src = GOLDEN / f"{GOLDEN_NAMES[0]}.json"
    for fmt, suffix in (("itf", ".itf.json"), ("markdown", ".md"), ("shell", ".sh"), ("text", ".txt")):
        assert main(["trace", str(src), "--format", fmt, "-o", str(tmp_path / f"t{suffix}")]) == 0
    world = tmp_path / "tiny.toml"
    world.write_text('name = "tiny"\nprofile = "v6.1"\nsection_size_mib = 128\n'
                     'sections_per_block = 1\n[[nodes]]\nid = 0\n[[blocks]]\nid = 1\nnode = 0\n'
                     'boot = "absent"\nhotplug = true\n')
    assert main(["explore", "--world", str(world), "--graph", str(tmp_path / "g.dot")]) in (0, 1)
    capsys.readouterr()
    assert guard.seen == [], guard.seen
    assert sum(str(tmp_path) in w for w in guard.writes) >= 5, guard.writes
