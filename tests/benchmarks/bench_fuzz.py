"""The hostile-input properties of tests/checker/test_fuzz_*.py, run 10-50x longer (not part of
the test run):

    python -m pytest tests/benchmarks/bench_fuzz.py -s

(with ``-n``, pytest-xdist hides what passing campaigns print; failing ones carry the whole
report in their assertion message)

Same strategies and the same property (tests/fuzzing.py: exit 2 with one ``memhp: error: FILE:``
line, or a result; never a traceback, a hang, a write outside the output folder, an injected
command), another seed, no shrinking: every input is run and counted. Prints per parser the
inputs tried, how they ended (a result, exit 2, a traceback, a hang, another broken promise) and
the time; then one reproducer (command and exact file content) per distinct failure. Fails when
any input broke the property. ``MEMHP_FUZZ_SCALE`` multiplies the budgets (default 1: 10x the CI
tier); ``MEMHP_FUZZ_SEED`` picks another seed.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

import checker.engines.stateful  # noqa: F401 - imported here, not inside a Hypothesis run (it sets a profile)
from tests.fuzzing import (archive_case, baseline_case, expect_case, run_case, trace_case, vocab_for,
                           world_case)

SCALE = float(os.environ.get("MEMHP_FUZZ_SCALE", "1"))
SEED = int(os.environ.get("MEMHP_FUZZ_SEED", "20240601"))

CAMPAIGNS = {
    "world": (lambda: world_case(vocab_for("world")), 8000),  # 10x the CI tier
    "trace": (lambda: trace_case(vocab_for("trace")), 10000),
    "archive": (lambda: archive_case(), 6000),
    "baseline": (lambda: baseline_case(vocab_for("baseline")), 5000),
    "expect": (lambda: expect_case(vocab_for("expect")), 5000),
}


def _signature(problem: str, exc: str | None) -> str:
    """Failures with one cause count once: the problem's kind and, for a traceback, the
    exception and the innermost frame of the tool."""
    kind = problem.split(":", 1)[0]
    if exc:
        frames = [line.strip() for line in exc.splitlines() if line.strip().startswith("File ")]
        ours = [f for f in frames if "/tests/" not in f] or frames
        return f"{kind}: {exc.strip().splitlines()[-1][:160]} at {ours[-1] if ours else '?'}"
    rest = re.sub(r"/\S*/in/\S*", " ", problem.split(":", 1)[-1])
    rest = re.sub(r"'[^']*'", " ", rest.replace("\\'", ""))  # quoted values (keys, texts) vary
    return f"{kind}: {' '.join(re.findall(r'[A-Za-z_]{3,}', rest)[:14])}"


@pytest.mark.parametrize("parser", sorted(CAMPAIGNS))
def test_fuzz_campaign(parser, tmp_path_factory) -> None:
    make, budget = CAMPAIGNS[parser]
    n = max(1, int(budget * SCALE))
    base = tmp_path_factory.mktemp(f"fuzz-{parser}")
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, str]] = {}
    t0 = time.monotonic()

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @seed(SEED)
    @given(case=make())
    def campaign(case) -> None:
        o = run_case(case, base)
        counts["inputs"] += 1
        counts[o.kind] += 1
        counts["slowest_ms"] = max(counts["slowest_ms"], int(o.seconds * 1000))
        for prob in o.problems:
            sig = _signature(prob, o.exc)
            counts["failures"] += 1
            size = sum(len(v) for v in case.files.values())
            if sig not in first or size < first[sig][0]:
                first[sig] = (size, o.report())

    campaign()
    secs = time.monotonic() - t0
    summary = (f"=== {parser}: {counts['inputs']} inputs in {secs:.0f} s "
          f"({secs / max(1, counts['inputs']) * 1000:.0f} ms each, slowest {counts['slowest_ms']} ms): "
          f"{counts['ok']} results (exit 0/1), {counts['error']} exit 2, {counts['traceback']} tracebacks, "
          f"{counts['hang']} hangs, {counts['write']} writes outside, {counts['injected']} injections, "
          f"{counts['stderr'] + counts['stdout']} bad error lines, {counts['roundtrip']} round-trip, "
          f"{counts['script'] + counts['exit'] + counts['output']} other; {len(first)} distinct failures")
    details = "".join(f"\n\n--- {parser}: {sig}\n{report}" for sig, (_, report) in sorted(first.items()))
    print("\n" + summary + details)
    assert not first, summary + details
