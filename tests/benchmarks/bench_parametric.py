"""Speed of the parametric proofs (run by the benchmark command of docs/testing.md, not by the test suite).

    python -m pytest tests/benchmarks/bench_parametric.py -s

Proves every parametric invariant of v3.4 and of v6.1 (Houdini over the candidate lemmas, one
Z3 query per transition and conjunct), three rounds each, and prints the median wall time and
the median CPU time of the process (Z3 runs in it), per profile and for both together. The
target is under 60 s for both profiles. Figures depend on the machine and on its load.
"""

from __future__ import annotations

import statistics
import time

from checker.engines.smt.parametric import prove

ROUNDS = 3


def _measure(profile: str) -> tuple[list[float], list[float], object]:
    walls, cpus, run = [], [], None
    for _ in range(ROUNDS):
        w0, c0 = time.monotonic(), time.process_time()
        run = prove(profile, 300.0)
        walls.append(time.monotonic() - w0)
        cpus.append(time.process_time() - c0)
    return walls, cpus, run


def test_parametric_proofs_both_profiles() -> None:
    total_wall, total_cpu = [0.0] * ROUNDS, [0.0] * ROUNDS
    for profile in ("v3.4", "v6.1"):
        walls, cpus, run = _measure(profile)
        verdicts = {k: o.verdict for k, o in run.outcomes.items()}  # type: ignore[attr-defined]
        assert "unknown" not in verdicts.values()
        print(f"\n{profile}: median {statistics.median(walls):.1f} s wall, "
              f"{statistics.median(cpus):.1f} s CPU, {run.queries} queries; "  # type: ignore[attr-defined]
              f"{', '.join(f'{k} {v}' for k, v in verdicts.items())}")
        total_wall = [a + b for a, b in zip(total_wall, walls)]
        total_cpu = [a + b for a, b in zip(total_cpu, cpus)]
    print(f"both profiles: median {statistics.median(total_wall):.1f} s wall, "
          f"{statistics.median(total_cpu):.1f} s CPU (target: under 60 s)")
