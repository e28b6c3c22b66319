"""ABC on the exported relation (run by hand, not by the test suite; skips without ABC).

    python -m pytest tests/benchmarks/bench_abc.py -s

The default world under v3.4 with outputs for the three invariants whose shortest violation
is 21 steps (state_matches_memory, sysfs_dirs, sysfs_links), written by checker.engines.smt.aiger.
Measures ABC's sequential simplification, then on the simplified circuit ABC's BMC (bmc3,
cumulative time per depth, up to MEMHP_ABC_BMC seconds, default 300) and PDR (three runs,
median; the frame it reports). These are the figures docs/engines.md gives to show that BMC's
growth with depth is the problem's, not z3's.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from checker.engines.smt.aiger import export
from checker.engines.smt.system import System
from spec.profiles import get_profile
from spec.worlds import builtin_world

ABC = shutil.which("berkeley-abc") or shutil.which("abc")
NAMES = ["state_matches_memory", "sysfs_dirs", "sysfs_links"]
SIMPLIFY = "strash; dc2; scleanup; scorr; dc2"


def _abc(script: str) -> tuple[float, str]:
    t0 = time.monotonic()
    r = subprocess.run([ABC, "-c", script], capture_output=True, text=True, check=True)  # type: ignore[list-item]
    return time.monotonic() - t0, r.stdout


@pytest.mark.skipif(ABC is None, reason="ABC is not installed (Debian: apt-get install berkeley-abc)")
def test_abc_on_the_default_world(benchmark, tmp_path: Path) -> None:
    def run() -> None:
        w = builtin_world("default")
        c = export(System(w, get_profile("v3.4")), NAMES)
        raw, small = tmp_path / "d.aig", tmp_path / "d-small.aig"
        raw.write_bytes(c.binary())
        t, out = _abc(f"read_aiger {raw}; {SIMPLIFY}; print_stats; write_aiger {small}")
        stats = re.search(r"lat\s*=\s*(\d+)\s+and\s*=\s*(\d+)", out)
        print(f"\ncircuit: {len(c.latches)} latches, {len(c.g.ands)} and-gates; simplified in "
              f"{t:.1f} s to {stats.group(1) if stats else '?'} latches, "
              f"{stats.group(2) if stats else '?'} gates")
        limit = int(os.environ.get("MEMHP_ABC_BMC", "300"))
        _t, out = _abc(f"read_aiger {small}; bmc3 -F 31 -v -T {limit}")
        depths = re.findall(r"^\s*(\d+) \+ :.*?([\d.]+) sec", out, re.MULTILINE)
        print("bmc3, cumulative seconds per depth: "
              + ", ".join(f"{d}: {float(s):.1f}" for d, s in depths))
        runs = [_abc(f"read_aiger {small}; pdr -T 300") for _ in range(3)]
        frames = {m.group(1) for _t, o in runs if (m := re.search(r"asserted in frame (\d+)", o))}
        print(f"pdr: median {statistics.median(t for t, _ in runs):.1f} s of "
              f"{[round(t, 1) for t, _ in runs]}, violation reported at frame(s) "
              f"{', '.join(sorted(frames)) or 'none'} (the explorer's shortest: 21)")
    benchmark.pedantic(run, rounds=1, iterations=1)
