"""Speed of the explorer (run by the benchmark command of docs/testing.md, not by the test suite).

    python -m pytest tests/benchmarks/bench_explore.py

Prints medians and states per second for: the spec on the default world (bounded and complete),
the kernel mirror through MirrorModel (which rebuilds each state by replay), and the lockstep
Hypothesis run at the ci budget. Figures depend on the machine; compare ratios.
"""

from __future__ import annotations

from checker.engines.explore import explore
from checker.model import MirrorModel, SpecModel
from checker.engines.stateful import run_stateful
from spec.worlds import builtin_world


def _rate(benchmark, res_box: list) -> None:
    res = res_box[-1]
    med = benchmark.stats.stats.median
    benchmark.extra_info.update(states=res.states, transitions=res.transitions,
                                states_per_s=round(res.states / med))
    print(f"\n{benchmark.name}: {res.states} states, {res.transitions} transitions, "
          f"median {med:.2f} s, {res.states / med:,.0f} states/s")


def test_spec_default_depth_30(benchmark) -> None:
    box: list = []
    benchmark.pedantic(lambda: box.append(explore(SpecModel(builtin_world("default")), max_depth=30)),
                       rounds=3, iterations=1)
    _rate(benchmark, box)


def test_spec_default_complete(benchmark) -> None:
    box: list = []
    benchmark.pedantic(lambda: box.append(explore(SpecModel(builtin_world("default")))),
                       rounds=1, iterations=1)
    assert box[-1].complete
    _rate(benchmark, box)


def test_mirror_default_depth_12(benchmark) -> None:
    box: list = []
    benchmark.pedantic(lambda: box.append(explore(MirrorModel(builtin_world("default")), max_depth=12)),
                       rounds=3, iterations=1)
    _rate(benchmark, box)


def test_lockstep_ci_budget(benchmark) -> None:
    w = builtin_world("default")
    out: list = []
    benchmark.pedantic(lambda: out.append(run_stateful(w, budget="ci", seed=0,
                                                       expected=_known(w))), rounds=1, iterations=1)
    print(f"\nlockstep: {out[-1].bound}, {out[-1].total_steps} steps in {benchmark.stats.stats.median:.1f} s")


def _known(w):
    import json
    from importlib import resources

    data = json.loads((resources.files("checker") / "baseline.json").read_text())
    return frozenset((f["invariant"], f["cause"]) for f in data["findings"]
                     if f["world"] == w.name and f["profile"] == w.profile)
