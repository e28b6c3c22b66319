"""Speed of the audit (run by the benchmark command of docs/testing.md, not by the test suite).

    python -m pytest tests/benchmarks/bench_audit.py -s

Prints medians for auditing the 192-block snapshot (tests/checker/audit/snapshots): the whole command path
(read the archive, audit, no picture) and the pure audit of the loaded view; and the pure audit
of a spec render (what the explorer pays per distinct quiescent machine). The target: the whole
audit of the 192-block snapshot under 0.5 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.audit.run import audit_source
from checker.audit.source import read_archive
from spec.audit import AUDIT_PROFILES, audit
from spec.profiles import get_profile
from spec.state import initial_machine
from spec.sysfs import render
from spec.worlds import builtin_world

BIG = Path(__file__).resolve().parents[1] / "checker" / "audit" / "snapshots" / "fc-6.18-1node-192blocks.tar.gz"


@pytest.fixture
def big() -> Path:
    if not BIG.exists():
        pytest.skip(f"{BIG} not available")
    return BIG


def test_audit_192_blocks_whole(benchmark, big) -> None:
    rep = benchmark.pedantic(lambda: audit_source(str(big)), rounds=15, iterations=1)
    med = benchmark.stats.stats.median
    print(f"\naudit of {big.name} (read + audit): median {med * 1000:.0f} ms; "
          f"{rep.counts['blocks']} blocks, {len(rep.findings)} findings")
    assert rep.exit == 0 and med < 0.5


def test_audit_192_blocks_pure(benchmark, big) -> None:
    view = read_archive(big)
    out = benchmark.pedantic(lambda: audit(view, AUDIT_PROFILES["v6.1"]), rounds=30, iterations=1)
    print(f"\npure audit of {big.name}: median {benchmark.stats.stats.median * 1000:.1f} ms")
    assert out == []


def test_audit_of_a_spec_render(benchmark) -> None:
    w = builtin_world("default")
    p = get_profile(w.profile)
    view = render(w, p, initial_machine(w, p))
    benchmark.pedantic(lambda: audit(view, AUDIT_PROFILES[p.name], w.section_size_mib << 20),
                       rounds=200, iterations=5)
    print(f"\npure audit of the default world's initial view: median "
          f"{benchmark.stats.stats.median * 1e6:.0f} us")
