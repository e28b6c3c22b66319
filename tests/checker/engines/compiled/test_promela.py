"""`memhp export promela` on spec worlds: SPIN on the generated model stores exactly the states
the compiled explorer stores, and finds the history findings memhp finds.

The model is generated from the same paths as the compiled explorer (checker.engines.compiled.
promela); these tests run SPIN on it (Debian packages spin and gcc, which .ci/run installs).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.cli import main
from checker.engines.compiled.promela import TrailError, spin_trace
from checker.engines.explore import explore
from checker.formats.traces import replay
from checker.model import SpecModel
from spec.config import load_world
from spec.profiles import PROFILES, get_profile
from spec.worlds import builtin_world

SMT_WORLDS = Path(__file__).parents[1] / "smt" / "worlds"
needs_spin = pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                                reason="spin (Debian package spin) or gcc not installed")


def _pan(d: Path, world: str, profile: str, *flags: str) -> str:
    pml = d / "m.pml"
    assert main(["export", "promela", "--world", world, "--profile", profile, "-o", str(pml)]) == 0
    subprocess.run(["spin", "-a", "m.pml"], cwd=d, check=True, capture_output=True)
    # spin -a hides the variables no statement reads (then states differing there would
    # merge); the model reads every field, so only its scratch variables are hidden
    hidden = re.findall(r"hidden variable: \*/\s+\w+ (\w+);", (d / "pan.h").read_text())
    assert hidden and all(h.startswith("x_") for h in hidden), hidden
    subprocess.run(["gcc", "-O1", "-DSAFETY", "-DMEMLIM=4000", "-o", "pan", "pan.c"], cwd=d,
                   check=True, capture_output=True)
    return subprocess.run(["./pan", "-E", "-m10000000", "-w22", *flags], cwd=d,
                          capture_output=True, text=True, timeout=600).stdout


def _counts(out: str) -> tuple[int, int]:
    stored = re.search(r"(\d+) states, stored", out)
    tr = re.search(r"(\d+) transitions \(= stored\+matched\)", out)
    assert stored and tr, out
    return int(stored.group(1)), int(tr.group(1))


@needs_spin
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_spin_counts_equal_the_explorers_on_every_profile(tmp_path: Path, profile: str) -> None:
    world = SMT_WORLDS / "tiny.toml"
    out = _pan(tmp_path, str(world), profile, "-A")  # -A: count the states, leave the asserts out
    # SPIN keys states by every variable: memhp's --no-reduce
    r = explore(SpecModel(load_world(world), get_profile(profile), reduce=False), engine="compiled")
    assert r.complete and "errors: 0" in out
    assert _counts(out) == (r.states, r.transitions + 1)  # SPIN counts the initial state's arrival


@needs_spin
def test_spin_on_the_default_world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default world under v3.4: 371,953 states, as memhp with --no-reduce (207,115 with
    the merge of write byte counts); without -A, SPIN stops at a violated assert, one of the
    history findings memhp reports there."""
    out = _pan(tmp_path, "default", "v3.4", "-A")
    assert _counts(out) == (371_953, 858_356)
    r0 = explore(SpecModel(builtin_world("default"), reduce=False), engine="compiled")
    assert (r0.states, r0.transitions + 1) == (371_953, 858_356) and r0.complete
    out = _pan(tmp_path, "default", "v3.4")
    m = re.search(r"assertion violated .*", out)
    assert m and "errors: 1" in out, out
    # the trail, replayed as a memhp trace: the spec's Monitor reports a finding memhp's
    # explorer reports too, whose invariant the Promela model asserts
    pml = (tmp_path / "m.pml").read_text()
    shown = subprocess.run(["spin", "-t", "-p", "m.pml"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120).stdout
    model = SpecModel(builtin_world("default"))
    t = spin_trace(model, pml, shown)
    asserted = set(re.findall(r"/\* (\w+) \*/", pml))
    r = explore(model, engine="compiled")
    assert t.invariant in asserted and (t.invariant, t.cause) in r.hits
    assert len(t) >= len(r.traces[(t.invariant, t.cause)])  # SPIN's is no shorter than BFS's
    assert replay(t, model).ok
    with pytest.raises(TrailError, match="is not path"):  # a trail of another model
        spin_trace(SpecModel(builtin_world("default"), get_profile("v6.1")), pml, shown)
    # the same on the command line: memhp trace reads the trail as a trace
    (tmp_path / "shown.txt").write_text(shown)
    argv = ["trace", str(tmp_path / "shown.txt"), "--spin-model", str(tmp_path / "m.pml"),
            "--world", "default"]
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["violation"]["invariant"] == t.invariant
    assert main([*argv, "--profile", "v6.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("memhp: error: ") and "m.pml" in err and "\n" not in err
    assert main(["trace", str(tmp_path / "m.pml"), *argv[2:]]) == 2
    assert "no step of a SPIN trail" in capsys.readouterr().err


def test_export_refuses_what_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "x.pml"
    assert main(["export", "promela", "--world", "default", "--invariant", "node_state",
                 "-o", str(target)]) == 2
    assert "--invariant" in capsys.readouterr().err and not target.exists()
    assert main(["export", "promela", "--world", "spin-bench:B=2,N=1,K=1,W=1", "--profile", "v3.4"]) == 2
    assert "no kernel profile" in capsys.readouterr().err
    assert main(["export", "promela", "--world", "default", "--profile", "v9.9"]) == 2
    assert "v9.9" in capsys.readouterr().err
    assert main(["export", "promela", "--world", "default", "-o", str(target)]) == 0
    text = target.read_text()
    assert "active proctype memhp()" in text and text.count(":: d_step") > 100
    assert "byte f_t0_count = 0;" in text and "hidden int x_" in text  # scratch only is hidden


def test_a_hostile_world_name_stays_inside_its_comment(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = (Path(__file__).parents[4] / "spec" / "worlds" / "default.toml").read_text()
    evil = tmp_path / "evil.toml"
    evil.write_text(src.replace('name = "default"', 'name = "x */ $(touch pwned) \\n y"', 1))
    out = tmp_path / "m.pml"
    assert main(["export", "promela", "--world", str(evil), "-o", str(out)]) == 0
    text = out.read_text()
    header = text[:text.index("*/") + 2]
    assert "judged by memhp only" in header and "$(touch pwned)" in header
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and "\\n" in said
    assert not (tmp_path / "pwned").exists()
