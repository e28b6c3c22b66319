"""memhp review: verdicts, reports, and one-line errors for patches that cannot be reviewed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.formats.schemas import validate

HERE = Path(__file__).resolve().parent
PATCHES = HERE / "review_patches"
CATALOGUE = HERE.parents[1] / "catalogue"
SMALL = str(CATALOGUE / "worlds" / "boot-movable.toml")


def test_a_bug_is_reported_with_its_trace_in_json_and_markdown(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    md = tmp_path / "r.md"
    patch = str(CATALOGUE / "bugs_detected" / "b16_cancel_before_undo.py")
    code = main(["review", "--impl", patch, "--against", "v6.1", "--world", SMALL, "--ops", "2",
                 "--budget", "none", "--json", "--markdown", str(md)])
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-review/1")
    assert data["verdict"] == "breaks promises" and data["overrides"] == ["offline_pages"]
    assert [b["invariant"] for b in data["broken"]] == ["alloc_cancel_offline"]
    text = md.read_text()
    assert "**Verdict: breaks promises.**" in text and "alloc_cancel_offline" in text
    assert "```mermaid\nsequenceDiagram" in text
    assert "MEM_CANCEL_OFFLINE" in text


def test_the_lockstep_engine_runs_where_asked(capsys) -> None:  # type: ignore[no-untyped-def]
    patch = str(CATALOGUE / "behaviour_changed" / "b3_online_returns_one.py")
    code = main(["review", "--impl", patch, "--against", "v6.1", "--world", SMALL, "--ops", "2",
                 "--budget", "dev", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["verdict"] == "changes behaviour"
    assert data["lockstep"].startswith("diverges from the v6.1 spec")


def test_a_refactoring_changes_nothing(capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["review", "--impl", str(PATCHES / "same_as_base.py"), "--against", "v3.4",
                 "--world", SMALL, "--ops", "2", "--budget", "none", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert (code, data["verdict"], data["broken"]) == (0, "no observable change", [])
    assert data["diff"]["differences"] == []


@pytest.mark.parametrize("patch,against,msg", [
    ("does_not_import.py", "v6.1", "the module raised while importing: ImportError"),
    ("overrides_nothing.py", "v6.1", "defines no function of the v6.1 kernel mirror (it defines: ofline_pages)"),
    ("raises.py", "v6.1", "in offline_pages (raises.py:12)"),
])
def test_bad_patches_are_one_line_errors(patch, against, msg, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["review", "--impl", str(PATCHES / patch), "--against", against, "--world", SMALL,
                 "--ops", "2", "--budget", "none"])
    err = capsys.readouterr().err
    assert code == 2
    assert msg in err and err.count("\n") == 1 and "Traceback" not in err


def test_profiles_without_a_mirror_are_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["review", "--impl", str(PATCHES / "same_as_base.py"), "--against", "v6.17",
                 "--world", SMALL, "--budget", "none"])
    assert code == 2 and "renders v3.4, v6.1 only" in capsys.readouterr().err


def test_a_patched_copy_of_a_whole_mirror_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A copy of spec/kernel/v6_1/memory_hotplug.py with the 3.4 order of CANCEL and undo."""
    src = (HERE.parents[2] / "spec" / "kernel" / "v6_1" / "memory_hotplug.py").read_text()
    old = ("    k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)\n"
           "    yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)\n")
    assert src.count(old) == 1
    patch = tmp_path / "memory_hotplug.py"
    patch.write_text(src.replace(old, "    yield from k.fn.memory_notify(k, MEM_CANCEL_OFFLINE, arg)\n"
                                      "    k.fn.undo_isolate_page_range(k, start_pfn, end_pfn)\n"))
    code = main(["review", "--impl", str(patch), "--against", "v6.1", "--world", SMALL,
                 "--ops", "2", "--budget", "none", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and "offline_pages" in data["overrides"]
    assert [(b["invariant"], b["cause"]) for b in data["broken"]] == [
        ("alloc_cancel_offline", "offline:MEM_CANCEL_OFFLINE")]


def test_the_terminal_gets_a_short_summary_and_asks_for_the_report(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    patch = str(CATALOGUE / "bugs_detected" / "b16_cancel_before_undo.py")
    argv = ["review", "--impl", patch, "--against", "v6.1", "--world", SMALL, "--ops", "2",
            "--budget", "none"]
    assert main(argv) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("breaks promises (1 broken, 0 differences, 0 reached sooner)") or \
        "breaks promises (1 broken" in out[0]
    assert any(line.startswith("  breaks alloc_cancel_offline [") for line in out)
    assert out[-1].startswith("the full report with traces: --markdown FILE")
    assert len(out) < 20
    assert main(argv + ["--markdown", "-"]) == 1
    assert "**Verdict: breaks promises.**" in capsys.readouterr().out
