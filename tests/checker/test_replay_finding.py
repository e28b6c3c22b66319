"""memhp replay of a finding's trace says whether the model still violates it, beside whether
every observation replays as recorded (a patch that fixes a finding diverges, and says so)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.formats.schemas import validate

GOLDEN = Path(__file__).resolve().parent / "golden" / "default-v3.4"
TRACE = GOLDEN / "status_change_nid--offline_MEM_GOING_OFFLINE.json"


def _replay(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["replay", *argv, "--json"])
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-replay/1")
    return code, data


def test_the_spec_still_violates_its_own_finding(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _replay(capsys, str(TRACE))
    assert code == 0 and data["ok"]
    assert data["finding"]["status"] == "still violates"
    assert data["finding"]["text"] == ("still violates status_change_nid [offline:MEM_GOING_OFFLINE]: "
                                       "status_change_nid=1, expected -1")
    assert main(["replay", str(TRACE)]) == 0
    assert "the trace still violates status_change_nid" in capsys.readouterr().out


def test_a_model_without_the_finding_says_no_longer(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _replay(capsys, str(TRACE), "--profile", "v6.1")
    assert code == 1 and not data["ok"]
    assert data["finding"]["status"] == "no longer violates"
    assert data["finding"]["text"].startswith(
        "no longer violates status_change_nid [offline:MEM_GOING_OFFLINE]: the last step shows ")


def test_an_action_the_model_does_not_take_is_named(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(TRACE.read_text())
    first = data["steps"][0]
    data["steps"].insert(0, {"action": {"kind": "step", "thread": "fw"}, "obs": first["obs"]})
    f = tmp_path / "t.json"
    f.write_text(json.dumps(data))
    code, out = _replay(capsys, str(f))
    assert code == 1 and out["finding"]["status"] == "no longer violates"
    assert "step 1 (fw: step) is not possible on spec:v3.4" in out["finding"]["text"]


def test_a_trace_without_a_finding_has_no_status(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(TRACE.read_text())
    del data["violation"]
    f = tmp_path / "t.json"
    f.write_text(json.dumps(data))
    code, out = _replay(capsys, str(f))
    assert code == 0 and "finding" not in out
