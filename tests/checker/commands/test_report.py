"""``memhp report`` and the --html/--junit/--sarif outputs of commands: what goes in is a JSON
document memhp wrote, validated first; what comes out is written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.formats.results import InvariantResult, RunResult


def _doc(tmp_path: Path) -> Path:
    r = RunResult("verify", "v3.4", "default")
    r.invariants.append(InvariantResult("node_state", "8", "explore", "passed", "complete"))
    r.counts = {"states": 10, "transitions": 20, "depth": 3}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(r.to_json()))
    return path


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("memhp: error: "), err
    return err


def test_report_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _doc(tmp_path)
    out = tmp_path / "out"
    assert main(["report", str(doc), "--html", str(out / "html"), "--junit", str(tmp_path / "j.xml"),
                 "--sarif", str(tmp_path / "s.sarif")]) == 0
    assert (out / "html" / "index.html").read_text().lstrip().lower().startswith("<!doctype html>")
    assert "node_state" in (tmp_path / "j.xml").read_text()
    assert json.loads((tmp_path / "s.sarif").read_text())["version"] == "2.1.0"
    assert not list(tmp_path.rglob("*.tmp"))
    assert capsys.readouterr().out.count("wrote ") == 3


def test_report_needs_an_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(_doc(tmp_path))]) == 2
    assert "--html DIR" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("text, says", [
    ("{", "not JSON"),
    ("[]", "its 'schema' is None"),
    ('{"schema": "memhp-trace/1"}', "expected one of"),
    ('{"schema": "memhp-result/1"}', "not a valid memhp-result/1"),
    ("\udcff", "not a UTF-8 text file"),
    ('{"schema": "memhp-result/1", "x": ' + "9" * 5000 + "}", "not a JSON document memhp wrote"),
    ("[" * 100_000 + "]" * 100_000, "not a JSON document memhp wrote"),
])
def test_bad_documents_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    text: str, says: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert main(["report", str(bad), "--junit", str(tmp_path / "j.xml")]) == 2
    err = _one_line(capsys.readouterr().err)
    assert str(bad) in err and says in err
    assert not (tmp_path / "j.xml").exists()


def test_an_unwritable_target_leaves_nothing_behind(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    doc = _doc(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    assert main(["report", str(doc), "--html", str(blocker)]) == 2
    assert "cannot create the report directory" in _one_line(capsys.readouterr().err)
    assert blocker.read_text() == "mine"
    assert main(["report", str(doc), "--junit", str(tmp_path / "missing" / "j.xml")]) == 2
    assert "cannot write the report" in _one_line(capsys.readouterr().err)
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.engine
def test_verify_writes_the_outputs_beside_its_reports(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "--engines", "explore", "--max-depth", "4", "--out", str(tmp_path / "r"),
                 "--html", str(tmp_path / "h"), "--junit", str(tmp_path / "j.xml")])
    assert code in (0, 1)
    out = capsys.readouterr().out
    assert str(tmp_path / "h" / "index.html") in out and str(tmp_path / "j.xml") in out
    # plain verify runs every mirrored profile: the same documents through memhp report give
    # the same JUnit file
    again = tmp_path / "again.xml"
    docs = [str(tmp_path / "r" / p / "result.json") for p in ("v3.4", "v6.1")]
    assert main(["report", *docs, "--junit", str(again)]) == 0
    assert again.read_text() == (tmp_path / "j.xml").read_text()


def test_a_fifo_is_refused_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    fifo = tmp_path / "result.json"
    os.mkfifo(fifo)
    assert main(["report", str(fifo), "--junit", str(tmp_path / "j.xml")]) == 2
    assert str(fifo) in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "j.xml").exists()
