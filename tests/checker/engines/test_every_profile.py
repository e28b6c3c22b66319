"""Every command on every profile and every built-in world, bounded: a verdict or a one-line
refusal (exit 2), never a traceback; every ``--json`` output validates against its schema.

The engines' declarations (checker.engines) decide which runs are refusals: a named engine that
cannot run is exit 2 with one line; the same engine by default is a note.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.engines import ENGINES, refusal
from checker.formats.schemas import validate
from spec.profiles import PROFILES, get_profile
from spec.worlds import BUILTIN, builtin_world

TINY = str(Path(__file__).resolve().parent / "smt" / "worlds" / "tiny.toml")
CASES = [(w, p) for w in BUILTIN for p in PROFILES]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("memhp: error: "), err
    return code, out, err


def verdicts(out: str) -> dict[str, str]:
    doc = json.loads(out)
    validate(doc, "memhp-result/1")
    return {i["name"]: i["verdict"] for i in doc["invariants"]}


@pytest.mark.slow
@pytest.mark.parametrize("world,profile", CASES)
def test_every_command_runs_or_refuses_in_one_line(world: str, profile: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    w, p = builtin_world(world), get_profile(profile)
    code, out, _ = run(capsys, "explore", "--world", world, "--profile", profile, "--max-depth", "3",
                       "--json")
    assert code in (0, 1) and verdicts(out)
    code, out, _ = run(capsys, "verify", "--world", world, "--profile", profile, "--engines",
                       "explore,hypothesis", "--budget", "dev", "--max-depth", "3", "--no-baseline",
                       "--json", "--out", str(tmp_path / "reports"))
    if refusal("hypothesis", w, p) is None:
        assert code in (0, 1, 3) and verdicts(out)
    else:
        assert code == 2 and not (tmp_path / "reports").exists()
    code, out, _ = run(capsys, "explore", "--world", world, "--profile", profile, "--impl", "mirror",
                       "--max-depth", "2", "--json")
    assert code == 2 if refusal("hypothesis", w, p) else code in (0, 1)
    aig = tmp_path / "m.aig"
    code, _, _ = run(capsys, "export", "aiger", "--world", world, "--profile", profile, "-o", str(aig))
    assert code == 0 and aig.read_bytes().startswith((b"aig ", b"aag "))
    code, out, _ = run(capsys, "prove", "--world", world, "--profile", profile, "--k", "1",
                       "--bmc-depth", "1", "--timeout", "2", "--json")
    assert code in (0, 1, 3) and verdicts(out)
    code, out, _ = run(capsys, "diff", profile, "v6.1", "--world", world, "--depth", "1", "--json")
    assert code in (0, 1)
    validate(json.loads(out), "memhp-diff/1")


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILES)
def test_prove_gives_verdicts_for_every_profile_on_a_small_world(
        profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "--world", TINY, "--profile", profile, "--timeout", "120",
                       "--json")
    got = verdicts(out)
    assert code in (0, 1, 3)
    assert "proved" in got.values(), got  # the small world is within Z3's reach: not all unknown
    assert all(v in ("proved", "violated", "cti", "unknown") for v in got.values())


@pytest.mark.parametrize("profile", PROFILES)
def test_parametric_gives_verdicts_or_one_refusal(profile: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    why = refusal("parametric", builtin_world("default"), get_profile(profile))
    code, out, err = run(capsys, "prove", "--parametric", "--profile", profile, "--json",
                         "--timeout", "60")
    if why is not None:
        assert code == 2 and why in err and out == ""
    else:
        assert code in (0, 1, 3) and verdicts(out)


def test_a_named_engine_that_cannot_run_is_refused_a_defaulted_one_is_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "--profile", "v3.8", "--engines", "hypothesis",
                         "--out", str(tmp_path / "a"))
    assert code == 2 and "no kernel mirror of v3.8" in err and not (tmp_path / "a").exists()
    code, out, err = run(capsys, "verify", "--engines", " , ", "--out", str(tmp_path / "e"))
    assert code == 2 and "names no engine" in err and not (tmp_path / "e").exists()
    code, out, _ = run(capsys, "verify", "--world", TINY, "--profile", "v3.8", "--budget", "dev",
                       "--no-baseline", "--json", "--out", str(tmp_path / "b"))
    doc = json.loads(out)
    validate(doc, "memhp-result/1")
    assert any(n.startswith("hypothesis did not run: no kernel mirror of v3.8") for n in doc["notes"])
    assert code in (0, 1)


def test_every_engine_declares_what_it_runs_on() -> None:
    w = builtin_world("default")
    assert set(ENGINES) == {"explore", "hypothesis", "mirror", "smt", "parametric"}
    for e in ("hypothesis", "mirror"):  # both compare the spec with a kernel mirror
        assert [p for p in PROFILES if refusal(e, w, get_profile(p)) is None] == ["v3.4", "v6.1"]
    assert all(refusal(e, w, get_profile(p)) is None for e in ("explore", "smt") for p in PROFILES)
    assert refusal("parametric", w, get_profile("v6.17")) is not None


def test_a_new_profile_is_one_definition_every_engine_runs(tmp_path: Path) -> None:
    """Adding a kernel version is a change in one place: a Profile. A profile derived from
    v6.1 with one behaviour changed (MEM_CANCEL_OFFLINE before the isolation is undone, as up
    to 4.15) runs under the explorer, BMC and k-induction, the AIGER export, the parametric
    proofs and diff, with no other change; the lockstep engine refuses it (no mirror)."""
    import dataclasses
    import time

    from checker.review.diff import diff_models
    from checker.engines.explore import explore, verdicts as explore_verdicts
    from checker.model import SpecModel
    from checker.engines.smt.aiger import export
    from checker.engines.smt.engine import prove
    from checker.engines.smt.parametric import prove_all
    from checker.engines.smt.system import System
    from spec.config import load_world

    vnew = dataclasses.replace(get_profile("v6.1"), name="v6.1-cancel-first", cancel_before_undo=True)
    w = load_world(Path(TINY)).with_profile("v6.1")
    res = explore(SpecModel(w, vnew))
    assert res.complete and res.states > 100
    got = {v.name: v.verdict for v in explore_verdicts(SpecModel(w, vnew), res, None)}
    smt, _ = prove(w, vnew, 1, 120.0, bmc_depth=2)
    assert {r.verdict for r in smt} <= {"proved", "violated", "cti", "unknown"}
    for r in smt:  # Z3 never contradicts the complete exploration
        if r.verdict == "proved":
            assert got[r.name] == "passed", r.name
        if r.verdict == "violated":
            assert got[r.name] == "violated", r.name
    assert any(r.verdict == "proved" for r in smt)
    assert export(System(w, vnew)).outputs
    t0 = time.monotonic()
    par = prove_all(vnew, 120.0)
    assert par and time.monotonic() - t0 < 200
    assert all(r.verdict in ("proved", "violated", "cti", "unknown") for r in par)
    d = diff_models(SpecModel(w, get_profile("v6.1")), SpecModel(w, vnew), depth=3)
    assert [x.summary for x in d.differences] == [  # the changed behaviour, and only it
        "MEM_CANCEL_OFFLINE: pages allocatable in A, not allocatable in B"]
    assert refusal("hypothesis", w, vnew) is not None
