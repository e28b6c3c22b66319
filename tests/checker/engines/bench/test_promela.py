"""Promela export: the file SPIN reads, and (when spin and gcc are installed) SPIN's counts and
shortest counterexamples equal the explorer's on small worlds."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.engines.bench import BenchModel, parse_bench
from checker.cli import main
from checker.engines.explore import explore

HAVE_SPIN = shutil.which("spin") is not None and shutil.which("gcc") is not None
needs_spin = pytest.mark.skipif(not HAVE_SPIN, reason="spin (Debian package spin) or gcc not installed")


def test_export_writes_the_world(tmp_path, capsys) -> None:
    out = tmp_path / "m.pml"
    assert main(["export", "promela", "--world", "spin-bench:B=3,N=2,K=2,W=2", "-o", str(out)]) == 0
    text = out.read_text()
    assert "#define B 3" in text and "#define W 2" in text
    assert "bit present[B] = {1, 0, 0};" in text and "byte pp[N] = {1, 0};" in text
    # per block: add, remove and its BUG3 variant; two picks per block; 9 writer transitions
    assert text.count(":: d_step") == 3 * 3 + 2 * 3 + 9
    assert "#define BUG" not in text


def test_export_names_the_bug(tmp_path, capsys) -> None:
    assert main(["export", "promela", "--world", "spin-bench:B=2,N=1,K=1,W=1,BUG=3"]) == 0
    assert "#define BUG3" in capsys.readouterr().out
    # spec worlds: tests/checker/engines/compiled/test_promela.py


def _pan(tmp_path: Path, world: str, *defines: str, run: tuple[str, ...] = ()) -> str:
    pml = tmp_path / "m.pml"
    assert main(["export", "promela", "--world", world, "-o", str(pml)]) == 0
    subprocess.run(["spin", *[f"-D{d}" for d in defines if d.startswith("BUG")], "-a", "m.pml"],
                   cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(["gcc", "-O1", "-DSAFETY", *[f"-D{d}" for d in defines if not d.startswith("BUG")],
                    "-o", "pan", "pan.c"], cwd=tmp_path, check=True, capture_output=True)
    return subprocess.run(["./pan", "-m100000", *run], cwd=tmp_path, capture_output=True,
                          text=True).stdout


@needs_spin
@pytest.mark.parametrize("world", ["spin-bench:B=2,N=1,K=1,W=1", "spin-bench:B=3,N=2,K=2,W=2",
                                   "spin-bench:B=4,N=2,K=2,W=2"])
def test_spin_counts_equal_the_explorers(tmp_path, world) -> None:
    out = _pan(tmp_path, world)
    stored = int(re.search(r"(\d+) states, stored", out).group(1))
    spin_tr = int(re.search(r"(\d+) transitions \(= stored\+matched\)", out).group(1))
    assert "errors: 0" in out
    res = explore(BenchModel(parse_bench(world)), symmetry=False)
    assert (stored, spin_tr) == (res.states, res.transitions + 1)


@needs_spin
@pytest.mark.parametrize("bug", [1, 2, 3])
def test_spin_finds_the_same_shortest_counterexample(tmp_path, bug) -> None:
    world = "spin-bench:B=4,N=2,K=2,W=2"
    out = _pan(tmp_path, world, f"BUG{bug}", "REACH", run=("-i",))
    assert "assertion violated" in out
    trail = [ln for ln in (tmp_path / "m.pml.trail").read_text().splitlines() if not ln.startswith("-")]
    res = explore(BenchModel(parse_bench(f"{world},BUG={bug}")))
    assert len(trail) == min(len(t) for t in res.traces.values())
